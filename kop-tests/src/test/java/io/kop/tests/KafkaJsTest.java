package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * KafkaJS (a Kafka client written from scratch in JavaScript) creates a topic, produces idempotently
 * with and without gzip, and lists offsets; the Java consumer checks what it wrote.
 * Node.js and {@code npm install} in src/test/js are part of {@code ./kop test}.
 */
class KafkaJsTest {
    private final KopTestBroker broker = KopTestBroker.get();

    @Test
    void kafkaJsProducesAndAdministers() throws Exception {
        Path js = Path.of("src/test/js").toAbsolutePath();
        assertTrue(Files.isDirectory(js.resolve("node_modules/kafkajs")),
                "KafkaJS is not installed: run ./kop test (it runs npm install in " + js + ")");
        String topic = KopTestBroker.uniqueTopic("kafkajs");
        Process node = new ProcessBuilder("node", "kafkajs-produce.mjs", broker.bootstrap(), topic)
                .directory(js.toFile()).redirectErrorStream(false).start();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(node.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(node.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, node.exitValue(), out + err);
        JsonNode result = new ObjectMapper().readTree(out.lines().reduce((a, b) -> b).orElseThrow());
        assertTrue(result.get("created").asBoolean());
        assertEquals(2, result.get("partitions").asInt());
        for (int i = 0; i < 10; i++) {
            assertEquals(i, result.get("sent").get(i).get("offset").asInt(), out);
        }
        for (JsonNode p : result.get("offsets")) {
            assertEquals(p.get("partition").asInt() == 0 ? "10" : "0", p.get("high").asText(), out);
        }
        List<ConsumerRecord<byte[], byte[]>> got = ProduceFetchTest.readFromStart(broker, topic, 10);
        assertEquals(10, got.size());
        for (int i = 0; i < 10; i++) {
            ConsumerRecord<byte[], byte[]> r = got.get(i);
            assertArrayEquals(("k" + i).getBytes(StandardCharsets.UTF_8), r.key());
            assertArrayEquals(("v" + i).getBytes(StandardCharsets.UTF_8), r.value());
            assertArrayEquals(("x" + i).getBytes(StandardCharsets.UTF_8), r.headers().lastHeader("h").value());
            assertEquals(1_700_000_000_000L + i, r.timestamp());
        }
    }
}
