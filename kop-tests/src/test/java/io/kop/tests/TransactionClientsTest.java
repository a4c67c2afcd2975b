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
