package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.kop.tests.functions.TagRecords;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/**
 * A Pulsar Function on Kafka data: Pulsar's local runner (its own JVM, as an operator starts it) runs
 * {@link TagRecords} from a topic Kafka producers write to a topic a Kafka consumer reads. Keys,
 * headers (Pulsar properties to the function) and timestamps (its event times) arrive intact.
 */
class FunctionsTest {
    private static final int RECORDS = 20;
    private static final long T0 = 1_700_000_000_000L;
    private final KopTestBroker broker = KopTestBroker.get();

    @Test
    void aPulsarFunctionReadsAndWritesKafkaTopics() throws Exception {
        String in = KopTestBroker.uniqueTopic("fn-in");
        String out = KopTestBroker.uniqueTopic("fn-out");
        String name = "tag-" + in;
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(in, 1, (short) 1), new NewTopic(out, 1, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
        }
        Path dir = Path.of(System.getProperty("kop.functions.dir", "target/functions")).toAbsolutePath();
        Path jar = functionJar(dir.resolve(name + ".jar"));
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("tenant", "public");
        function.put("namespace", "default");
        function.put("name", name);
        function.put("className", TagRecords.class.getName());
        function.put("jar", jar.toString());
        function.put("runtime", "JAVA");
        function.put("inputs", List.of("persistent://public/default/" + in));
        function.put("output", "persistent://public/default/" + out);
        function.put("subscriptionPosition", "Earliest");
        function.put("processingGuarantees", "ATLEAST_ONCE");
        Process runner = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", runnerClasspath(dir),
                "org.apache.pulsar.functions.LocalRunner",
                "--brokerServiceUrl", broker.pulsarUrl(), "--webServiceUrl", broker.httpUrl(),
                "--runtime", "THREAD", "--functionConfig", new ObjectMapper().writeValueAsString(function))
                .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
        try {
            try (var producer = broker.producer(Map.of())) {
                for (int i = 0; i < RECORDS; i++) {
                    RecordHeaders headers = new RecordHeaders();
                    headers.add("trace", ("t" + i).getBytes(StandardCharsets.UTF_8));
                    producer.send(new ProducerRecord<>(in, 0, T0 + i, ("k" + i).getBytes(StandardCharsets.UTF_8),
                            ("value " + i).getBytes(StandardCharsets.UTF_8), headers)).get();
                }
            }
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            try (var consumer = broker.consumer()) {
                TopicPartition tp = new TopicPartition(out, 0);
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                long deadline = System.currentTimeMillis() + 120_000; // the runner starts in its own JVM
                while (records.size() < RECORDS && System.currentTimeMillis() < deadline && runner.isAlive()) {
                    consumer.poll(Duration.ofMillis(500)).forEach(records::add);
                }
            }
            assertTrue(runner.isAlive(), "the local runner exited: see " + dir.resolve(name + ".log"));
            assertEquals(RECORDS, records.size(), "records the function wrote; its log: " + dir.resolve(name + ".log"));
            for (int i = 0; i < RECORDS; i++) {
                ConsumerRecord<byte[], byte[]> r = records.get(i);
                assertEquals(i, r.offset());
                assertEquals("k" + i, new String(r.key(), StandardCharsets.UTF_8));
                assertEquals("VALUE " + i, new String(r.value(), StandardCharsets.UTF_8));
                assertEquals(T0 + i, r.timestamp(), "the event time is the Kafka timestamp");
                assertEquals("t" + i, new String(r.headers().lastHeader("trace").value(), StandardCharsets.UTF_8));
                assertEquals(name, new String(r.headers().lastHeader("tagged-by").value(), StandardCharsets.UTF_8));
            }
        } finally {
            runner.destroy();
            if (!runner.waitFor(30, TimeUnit.SECONDS)) {
                runner.destroyForcibly();
            }
        }
    }

    /** The function's classes in a jar, as a user packages a function. */
    private static Path functionJar(Path jar) throws IOException {
        Files.createDirectories(jar.getParent());
        String path = TagRecords.class.getName().replace('.', '/') + ".class";
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file);
             var in = TagRecords.class.getClassLoader().getResourceAsStream(path)) {
            out.putNextEntry(new JarEntry(path));
            in.transferTo(out);
            out.closeEntry();
        }
        return jar;
    }

    /** This module's test class path, which has the local runner of the broker's Pulsar version. */
    private static String runnerClasspath(Path dir) throws IOException {
        return Files.readString(dir.resolve("classpath.txt")).trim();
    }
}
