package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.junit.jupiter.api.Test;

/**
 * Kafka Streams 4.4 word count with {@code processing.guarantee=exactly_once_v2} on the two-broker
 * cluster, across a restart of the application (its local state wiped) and a kill -9 of a broker
 * that leads partitions: read_committed, every word's counts are exactly 1, 2, ..., n, with no
 * count repeated or skipped.
 */
class StreamsExactlyOnceTest {
    private static final List<String> WORDS = List.of("alpha", "beta", "gamma", "delta", "epsilon", "zeta");
    private final KopTestCluster cluster = KopTestCluster.get();

    @Test
    void wordCountIsExactAcrossAnAppRestartAndABrokerKill() throws Exception {
        String id = KopTestBroker.uniqueTopic("eos");
        String input = id + "-in";
        String output = id + "-out";
        int victim = 1;
        try (Admin admin = cluster.admin(0)) {
            admin.createTopics(List.of(new NewTopic(input, 2, (short) 1), new NewTopic(output, 2, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
            awaitLeadership(admin, input, victim);
        }
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            lines.add(WORDS.get(i % WORDS.size()) + " " + WORDS.get((i * 7 + 3) % WORDS.size()));
        }
        Path state = Files.createTempDirectory("kop-eos");
        String bootstrap = cluster.bootstrap(0) + "," + cluster.bootstrap(1);
        KafkaStreams app = start(id, input, output, bootstrap, state);
        try {
            produce(bootstrap, input, lines.subList(0, 100));
            awaitOutput(bootstrap, output, counts(lines.subList(0, 100)));

            // an application restart with its local state gone: the store comes back from the changelog
            app.close(Duration.ofSeconds(30));
            deleteRecursively(state);
            app = start(id, input, output, bootstrap, state);
            produce(bootstrap, input, lines.subList(100, 200));

            // kill -9 of a broker that leads input partitions, while the application processes
            cluster.cluster().killBroker(victim);
            produce(bootstrap, input, lines.subList(200, 300));
            cluster.cluster().startBroker(victim);

            Map<String, List<Long>> emitted;
            try {
                emitted = awaitOutput(bootstrap, output, counts(lines));
            } catch (AssertionError e) {
                try (Admin admin = cluster.admin(0)) { // what holds read_committed readers back
                    System.out.println("transactions: " + admin.listTransactions().all().get(30, TimeUnit.SECONDS));
                    List<org.apache.kafka.common.TopicPartition> tps = new ArrayList<>();
                    for (String t : List.of(input, id + "-words-repartition", id + "-counts-changelog", output)) {
                        tps.add(new org.apache.kafka.common.TopicPartition(t, 0));
                        tps.add(new org.apache.kafka.common.TopicPartition(t, 1));
                    }
                    System.out.println("producers: " + admin.describeProducers(tps).all().get(30, TimeUnit.SECONDS));
                    Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest =
                            new HashMap<>();
                    tps.forEach(tp -> latest.put(tp, org.apache.kafka.clients.admin.OffsetSpec.latest()));
                    System.out.println("end: " + admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS));
                    System.out.println("stable: " + admin.listOffsets(latest, new org.apache.kafka.clients.admin
                            .ListOffsetsOptions(org.apache.kafka.common.IsolationLevel.READ_COMMITTED)).all()
                            .get(30, TimeUnit.SECONDS));
                    System.out.println("groups: " + admin.listConsumerGroupOffsets(id).partitionsToOffsetAndMetadata()
                            .get(30, TimeUnit.SECONDS));
                    System.out.println("states: " + admin.describeTransactions(admin.listTransactions().all()
                            .get(30, TimeUnit.SECONDS).stream().map(l -> l.transactionalId()).toList()).all()
                            .get(30, TimeUnit.SECONDS));
                }
                throw e;
            }
            for (String word : WORDS) {
                List<Long> seen = emitted.get(word);
                List<Long> exact = new ArrayList<>();
                for (long n = 1; n <= counts(lines).get(word); n++) {
                    exact.add(n);
                }
                assertEquals(exact, seen, "counts of '" + word + "' are each emitted exactly once");
            }
        } finally {
            app.close(Duration.ofSeconds(30));
            if (!cluster.cluster().brokerAlive(victim)) {
                cluster.cluster().startBroker(victim);
            }
            deleteRecursively(state);
        }
    }

    private void awaitLeadership(Admin admin, String topic, int broker) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            boolean leads = false;
            for (Node n : ClusterTest.leaders(admin, topic).values()) {
                leads |= n != null && !n.isEmpty() && cluster.brokerAt(n.host(), n.port()) == broker;
            }
            if (leads) {
                return;
            }
            assertTrue(System.currentTimeMillis() < deadline, "broker " + broker + " leads no partition of " + topic);
            try (PulsarAdmin pulsar = cluster.pulsarAdmin(0)) {
                pulsar.topics().unload("persistent://public/default/" + topic);
            }
            Thread.sleep(500);
        }
    }

    private static KafkaStreams start(String id, String input, String output, String bootstrap, Path state) {
        return WordCount.start(id, input, output, bootstrap, state,
                Map.of(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2));
    }

    private static void produce(String bootstrap, String topic, List<String> lines) throws Exception {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (String line : lines) {
                producer.send(new ProducerRecord<>(topic, line, line));
                Thread.sleep(5); // spread over time, so the faults fall between commits
            }
            producer.flush();
        }
    }

    private static Map<String, Long> counts(List<String> lines) {
        return WordCount.counts(lines);
    }

    /** Every count emitted per word (read_committed, in order), once the latest ones equal {@code expected}. */
    private static Map<String, List<Long>> awaitOutput(String bootstrap, String output, Map<String, Long> expected) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, LongDeserializer.class);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + output + "-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, Long> latest = new HashMap<>();
        Map<String, List<Long>> all = new HashMap<>();
        try (KafkaConsumer<String, Long> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(output));
            long deadline = System.currentTimeMillis() + 180_000;
            while (!latest.equals(expected) && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, Long> r : consumer.poll(Duration.ofMillis(500))) {
                    latest.put(r.key(), r.value());
                    all.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
                }
            }
        }
        assertEquals(expected, latest);
        return all;
    }

    private static void deleteRecursively(Path dir) throws Exception {
        WordCount.deleteRecursively(dir);
    }
}
