package io.kop.tests;

import io.kop.standalone.KopStandalone;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Not part of the default test run ({@code ./kop bench transactions} runs it): transactional produce,
 * KoP against Apache Kafka 4.4 on the same machine, one after the other. One producer sends
 * {@value #RECORDS} records of {@value #VALUE_BYTES} bytes to {@value #PARTITIONS} partitions,
 * {@value #PER_TRANSACTION} records per transaction, each transaction committed before the next
 * begins; beside it, the same records from an idempotent producer without transactions. Reported:
 * records/s and the commit's latency (p50, p99), after a warm-up of the same size.
 */
@Tag("benchmark")
class TransactionsBenchmark {
    private static final int RECORDS = 100_000;
    private static final int PER_TRANSACTION = 100;
    private static final int VALUE_BYTES = 1024;
    private static final int PARTITIONS = 4;

    record Figures(String system, double plainPerSec, double txnPerSec, double commitP50Ms, double commitP99Ms) {
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void transactionalProduceAgainstApacheKafka() throws Exception {
        Path dir = Files.createTempDirectory("kop-txn-bench-");
        Figures kafka;
        try (ApacheKafka broker = ApacheKafka.start(dir.resolve("kafka"), "1g", List.of(), List.of())) {
            kafka = measure("Apache Kafka 4.4", broker.bootstrap());
        }
        KopStandalone.Options options = new KopStandalone.Options(dir.resolve("kop"),
                Files.list(Path.of(System.getProperty("kop.nar.dir"))).filter(p -> p.toString().endsWith(".nar"))
                        .findFirst().orElseThrow(), "127.0.0.1", KopTestBroker.freePort(), KopTestBroker.freePort(),
                KopTestBroker.freePort(), KopTestBroker.freePort(), true, false, Map.of());
        Figures kop;
        try (KopStandalone broker = KopStandalone.start(options)) {
            kop = measure("KoP", broker.kafkaBootstrap());
        }
        System.out.println();
        System.out.printf("transactions: %,d records of %d bytes to %d partitions, %d per transaction, one producer%n",
                RECORDS, VALUE_BYTES, PARTITIONS, PER_TRANSACTION);
        System.out.println("| system | idempotent records/s | transactional records/s | commit p50 ms | commit p99 ms |");
        System.out.println("|---|---|---|---|---|");
        for (Figures f : List.of(kafka, kop)) {
            System.out.printf("| %s | %,.0f | %,.0f | %.1f | %.1f |%n", f.system(), f.plainPerSec(), f.txnPerSec(),
                    f.commitP50Ms(), f.commitP99Ms());
        }
        System.out.printf("KoP / Kafka: idempotent %.2f, transactional %.2f%n", kop.plainPerSec() / kafka.plainPerSec(),
                kop.txnPerSec() / kafka.txnPerSec());
    }

    private static Figures measure(String system, String bootstrap) throws Exception {
        Properties admin = new Properties();
        admin.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin a = Admin.create(admin)) {
            a.createTopics(List.of(new NewTopic("txn-bench-warmup", PARTITIONS, (short) 1),
                    new NewTopic("txn-bench-plain", PARTITIONS, (short) 1),
                    new NewTopic("txn-bench", PARTITIONS, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
        run(bootstrap, "txn-bench-warmup", true, new ArrayList<>());
        double plain = run(bootstrap, "txn-bench-plain", false, new ArrayList<>());
        List<Double> commits = new ArrayList<>();
        double txn = run(bootstrap, "txn-bench", true, commits);
        double[] sorted = commits.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        Figures f = new Figures(system, plain, txn, sorted[sorted.length / 2],
                sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * 0.99) - 1)]);
        System.out.println(f);
        return f;
    }

    /** Records/s of one producer; with {@code transactional}, each commit's latency (ms) goes to {@code commits}. */
    private static double run(String bootstrap, String topic, boolean transactional, List<Double> commits)
            throws Exception {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 131072);
        if (transactional) {
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, topic + "-" + System.nanoTime());
        }
        byte[] value = new byte[VALUE_BYTES];
        Arrays.fill(value, (byte) 'x');
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            if (transactional) {
                producer.initTransactions();
            }
            long start = System.nanoTime();
            for (int sent = 0; sent < RECORDS; ) {
                if (transactional) {
                    producer.beginTransaction();
                }
                for (int i = 0; i < PER_TRANSACTION; i++, sent++) {
                    producer.send(new ProducerRecord<>(topic, sent % PARTITIONS, null, value));
                }
                if (transactional) {
                    long commit = System.nanoTime();
                    producer.commitTransaction();
                    commits.add((System.nanoTime() - commit) / 1e6);
                }
            }
            producer.flush();
            return RECORDS / ((System.nanoTime() - start) / 1e9);
        }
    }
}
