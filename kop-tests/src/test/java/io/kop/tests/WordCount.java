package io.kop.tests;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The Kafka Streams word count the framework tests run: lines in, a repartition by word, a count
 * store with its changelog, every count out (no caching, commits every 200 ms).
 */
final class WordCount {
    private WordCount() {
    }

    /** Starts the application; {@code extra}: more Streams settings (the processing guarantee, say). */
    static KafkaStreams start(String id, String input, String output, String bootstrap, Path state,
                              Map<String, Object> extra) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
                .flatMap((k, line) -> Arrays.stream(line.toLowerCase(Locale.ROOT).split(" "))
                        .map(w -> KeyValue.pair(w, w)).toList())
                .groupByKey(Grouped.with("words", Serdes.String(), Serdes.String()))
                .count(Materialized.as("counts"))
                .toStream()
                .to(output, Produced.with(Serdes.String(), Serdes.Long()));
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, id);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        p.putAll(extra);
        KafkaStreams app = new KafkaStreams(builder.build(), p);
        app.start();
        return app;
    }

    /** How often each word occurs in the lines. */
    static Map<String, Long> counts(List<String> lines) {
        Map<String, Long> out = new HashMap<>();
        lines.forEach(l -> Arrays.stream(l.split(" ")).forEach(w -> out.merge(w, 1L, Long::sum)));
        return out;
    }

    static void deleteRecursively(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
