package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Transactions from clients other than Kafka's Java one: librdkafka (confluent-kafka for Python, and
 * kcat) and KafkaJS. Each commits, aborts, and commits with offsets; read_committed readers see the
 * committed records only.
 */
class TransactionClientsTest {
    private final KopTestBroker broker = KopTestBroker.get();

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static JsonNode run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out + err);
        return new ObjectMapper().readTree(out.lines().reduce((a, b) -> b).orElseThrow());
    }

    @Test
    void confluentKafkaForPython() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-confluent");
        String id = "confluent-" + UUID.randomUUID();
        try (var admin = broker.admin()) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 1, (short) 1))).all()
                    .get(30, TimeUnit.SECONDS);
        }
        JsonNode r = run(Path.of("src/test/python"), "/usr/bin/python3", "confluent_transactions.py",
                broker.bootstrap(), topic, id, "g-" + id);
        assertEquals(List.of(), strings(r.get("errors")), r.toString());
        assertEquals(List.of("c0", "c1", "c2", "c3"), strings(r.get("readCommitted")), r.toString());
        assertEquals(List.of("c0", "c1", "c2", "a0", "a1", "c3"), strings(r.get("readUncommitted")), r.toString());
        assertEquals(3, r.get("committedOffset").asLong(), r.toString());
    }

    @Test
    void kcatProducesInATransactionAndReadsCommitted() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-kcat");
        Process produce = new ProcessBuilder("kcat", "-b", broker.bootstrap(), "-P", "-t", topic, "-p", "0",
                "-X", "transactional.id=kcat-" + UUID.randomUUID()).start();
        produce.getOutputStream().write("t1\nt2\nt3\n".getBytes(StandardCharsets.UTF_8));
        produce.getOutputStream().close();
        String err = new String(produce.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(produce.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, produce.exitValue(), err);
        Process consume = new ProcessBuilder("kcat", "-b", broker.bootstrap(), "-C", "-t", topic, "-o", "beginning",
                "-e", "-q", "-X", "isolation.level=read_committed").start();
        String consumed = new String(consume.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(consume.waitFor(60, TimeUnit.SECONDS));
        assertEquals(List.of("t1", "t2", "t3"), consumed.lines().toList());
    }

    /**
     * A Kafka 3.9 client (transactions v1) and a 4.4 one (transactions v2, as the broker finalizes
     * {@code transaction.version} 2) write transactions to the same partition; both read_committed.
     */
    @Test
    void kafka39ClientWithTransactionsV1BesideA44ClientWithV2() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-v1v2");
        org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition(topic, 0);
        try (var admin = broker.admin();
             var producer = broker.producer(java.util.Map.of(
                     org.apache.kafka.clients.producer.ProducerConfig.TRANSACTIONAL_ID_CONFIG, "v2-" + UUID.randomUUID()))) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 1, (short) 1))).all()
                    .get(30, TimeUnit.SECONDS);
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 3; i++) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, 0, null,
                        ("v4-" + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, 0, null,
                    "v4-aborted".getBytes(StandardCharsets.UTF_8)));
            producer.flush();
            producer.abortTransaction();
        }
        Path dir = Path.of(System.getProperty("kop.kafka3.dir"));
        String classpath = dir.resolve("classes") + ":" + java.nio.file.Files.readString(dir.resolve("classpath.txt")).trim();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                classpath, "io.kop.kafka3.Kafka3Transactions", broker.bootstrap(), topic, "v1-" + UUID.randomUUID(),
                "6").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out + err);
        List<String> lines = out.lines().toList();
        assertTrue(lines.get(0).startsWith("client 3."), out);
        List<String> expected = List.of("v4-0", "v4-1", "v4-2", "v3-0", "v3-1", "v3-2");
        assertEquals(expected, lines.stream().filter(l -> l.startsWith("read ")).map(l -> l.substring(5)).toList(),
                "the 3.9 client reads both clients' committed records");
        List<String> read = new ArrayList<>();
        try (var consumer = broker.consumer(java.util.Map.of(
                org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.currentTimeMillis() + 30_000;
            while (read.size() < 6 && System.currentTimeMillis() < deadline) {
                consumer.poll(java.time.Duration.ofMillis(300)).forEach(r -> read.add(new String(r.value(),
                        StandardCharsets.UTF_8)));
            }
        }
        assertEquals(expected, read, "and so does the 4.4 client");
    }

    @Test
    void kafkaJs() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-kafkajs");
        String id = "kafkajs-" + UUID.randomUUID();
        JsonNode r = run(Path.of("src/test/js"), "node", "kafkajs-transactions.mjs", broker.bootstrap(), topic, id,
                "g-" + id);
        assertEquals(List.of("c0", "c1", "c2"), strings(r.get("readCommitted")), r.toString());
        assertEquals(List.of("c0", "c1", "a0", "c2"), strings(r.get("readUncommitted")), r.toString());
        assertEquals(2, r.get("committedOffset").asLong(), r.toString());
    }
}
