package io.kop.tests;

import io.kop.standalone.KopStandalone;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Not part of the default test run ({@code ./kop bench compaction} runs it): the cost of compaction, KoP
 * against Apache Kafka 4.4 on the same machine, one after the other. Each gets the same partition:
 * {@value #RECORDS} records of {@value #VALUE_BYTES}-byte values over {@value #KEYS} keys, written with
 * {@code cleanup.policy=delete}; then the topic is switched to {@code compact}, so each broker's cleaner
 * compacts the whole partition in one run. Reported: records per second the cleaner got through (from
 * each broker's own report of the run: KoP's log line, Kafka's log-cleaner statistics), and the read
 * rate of a consumer reading the compacted partition from the start (best of three).
 */
@Tag("benchmark")
class CompactionBenchmark {
    private static final int RECORDS = 1_000_000;
    private static final int KEYS = 100_000;
    private static final int VALUE_BYTES = 100;
    private static final String TOPIC = "compaction-bench";
    private static final Pattern KOP_RUN = Pattern.compile(
            "compaction-bench-partition-0\\] compacted below offset \\d+: read (\\d+) records \\((\\d+) bytes\\), "
                    + "kept (\\d+), (\\d+) ms");
    private static final Pattern KAFKA_RUN = Pattern.compile(
            "cleaned log " + TOPIC + "-0 .*?MB of log processed in ([\\d.,]+) seconds.*?Start size: [\\d.,]+ MB "
                    + "\\(([\\d,]+) messages\\).*?End size: [\\d.,]+ MB \\(([\\d,]+) messages\\)", Pattern.DOTALL);

    record Figures(String system, long recordsCompacted, double seconds, long kept, double readRecordsPerSec,
                   double readMiBPerSec) {
        double compactedPerSec() {
            return recordsCompacted / seconds;
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void compactionCostAgainstApacheKafka() throws Exception {
        Path dir = Files.createTempDirectory("kop-compaction-bench-");
        Figures kafka;
        try (ApacheKafka broker = ApacheKafka.start(dir.resolve("kafka"), "1g",
                List.of("log.cleaner.backoff.ms=1000"),
                List.of("-Dorg.slf4j.simpleLogger.log.org.apache.kafka.storage.internals.log.LogCleaner$CleanerThread=info"))) {
            kafka = measure("Apache Kafka 4.4", broker.bootstrap(), () -> {
                Matcher m = KAFKA_RUN.matcher(Files.readString(broker.log()));
                if (!m.find()) {
                    return null;
                }
                return new long[] {parseLong(m.group(2)), (long) (Double.parseDouble(m.group(1).replace(",", ""))
                        * 1000), parseLong(m.group(3))};
            });
        }
        Path kopLog = Path.of(System.getProperty("kop.log.dir"), "kop.log");
        long kopLogStart = Files.exists(kopLog) ? Files.size(kopLog) : 0;
        KopStandalone.Options options = new KopStandalone.Options(dir.resolve("kop"),
                Files.list(Path.of(System.getProperty("kop.nar.dir"))).filter(p -> p.toString().endsWith(".nar"))
                        .findFirst().orElseThrow(), "127.0.0.1", KopTestBroker.freePort(), KopTestBroker.freePort(),
                KopTestBroker.freePort(), KopTestBroker.freePort(), true, false,
                Map.of("kafkaLogCleanerBackoffMs", "1000"));
        Figures kop;
        try (KopStandalone broker = KopStandalone.start(options)) {
            kop = measure("KoP", broker.kafkaBootstrap(), () -> {
                String log = Files.readString(kopLog);
                Matcher m = KOP_RUN.matcher(log.substring((int) Math.min(kopLogStart, log.length())));
                long read = 0;
                long ms = 0;
                long kept = -1;
                while (m.find()) {
                    read += Long.parseLong(m.group(1));
                    kept = Long.parseLong(m.group(3));
                    ms += Long.parseLong(m.group(4));
                }
                return kept < 0 ? null : new long[] {read, ms, kept};
            });
        }
        System.out.println();
        System.out.println("compaction: " + RECORDS + " records of " + VALUE_BYTES + " bytes over " + KEYS
                + " keys, one partition");
        System.out.println("| system | records compacted | cleaner run | records/s compacted | records after "
                + "| read compacted records/s | read MiB/s |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (Figures f : List.of(kafka, kop)) {
            System.out.printf("| %s | %,d | %,.2f s | %,.0f | %,d | %,.0f | %,.1f |%n", f.system(), f.recordsCompacted(),
                    f.seconds(), f.compactedPerSec(), f.kept(), f.readRecordsPerSec(), f.readMiBPerSec());
        }
        System.out.printf("KoP / Kafka: compaction rate %.2f, read rate %.2f%n",
                kop.compactedPerSec() / kafka.compactedPerSec(), kop.readRecordsPerSec() / kafka.readRecordsPerSec());
    }

    interface RunReport {
        /** {records read, milliseconds, records kept} of the finished run, or null while there is none. */
        long[] get() throws Exception;
    }

    private static Figures measure(String system, String bootstrap, RunReport report) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(p)) {
            // segment.ms: Kafka never cleans its active segment, so it must roll before the switch
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1).configs(Map.of("cleanup.policy", "delete",
                    "segment.ms", "3000")))).all().get(60, TimeUnit.SECONDS);
            produce(p, 0, RECORDS - 1);
            Thread.sleep(3500);
            produce(p, RECORDS - 1, RECORDS); // rolls Kafka's segment: everything before it is cleanable
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, TOPIC);
            admin.incrementalAlterConfigs(Map.of(topic, List.of(
                    new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("min.cleanable.dirty.ratio", "0.01"), AlterConfigOp.OpType.SET))))
                    .all().get(60, TimeUnit.SECONDS);
        }
        long deadline = System.currentTimeMillis() + 600_000;
        long[] run = report.get();
        while (run == null && System.currentTimeMillis() < deadline) {
            Thread.sleep(500);
            run = report.get();
        }
        if (run == null) {
            throw new AssertionError(system + ": no compaction run reported in 10 minutes");
        }
        double[] best = {0, 0};
        for (int i = 0; i < 3; i++) {
            double[] r = readAll(p);
            if (r[0] > best[0]) {
                best = r;
            }
        }
        return new Figures(system, run[0], run[1] / 1000.0, run[2], best[0], best[1]);
    }

    private static void produce(Properties admin, int from, int to) throws Exception {
        Properties p = new Properties();
        p.putAll(admin);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        byte[] value = new byte[VALUE_BYTES];
        Arrays.fill(value, (byte) 'v');
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            for (int i = from; i < to; i++) {
                producer.send(new ProducerRecord<>(TOPIC, 0, String.format("key-%06d", i % KEYS).getBytes(), value));
            }
            producer.flush();
        }
    }

    /** Reads the partition from the start to its end: {records/s, MiB/s}. */
    private static double[] readAll(Properties admin) {
        Properties p = new Properties();
        p.putAll(admin);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 10_000);
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long records = 0;
            long bytes = 0;
            long start = System.nanoTime();
            while (consumer.position(tp) < end) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    records++;
                    bytes += r.serializedKeySize() + r.serializedValueSize();
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return new double[] {records / seconds, bytes / seconds / (1024.0 * 1024.0)};
        }
    }

    private static long parseLong(String s) {
        return Long.parseLong(s.replace(",", ""));
    }
}
