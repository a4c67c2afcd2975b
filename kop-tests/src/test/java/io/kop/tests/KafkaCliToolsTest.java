package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Apache Kafka's own command-line tools (kafka-tools 4.4.0), each in its own JVM as users run them. */
class KafkaCliToolsTest {
    private final KopTestBroker broker = KopTestBroker.get();

    @Test
    void topicsProducerConsumerAndGetOffsets() throws Exception {
        String topic = KopTestBroker.uniqueTopic("cli");
        String bs = broker.bootstrap();

        Result create = run(null, "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bs, "--create",
                "--topic", topic, "--partitions", "2");
        assertTrue(create.out.contains("Created topic " + topic), create.toString());

        Result describe = run(null, "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bs, "--describe",
                "--topic", topic);
        assertTrue(describe.out.contains("PartitionCount: 2"), describe.toString());
        assertTrue(describe.out.contains("Partition: 1"), describe.toString());

        Result list = run(null, "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bs, "--list");
        assertTrue(list.out.lines().anyMatch(topic::equals), list.toString());

        Result produce = run("one\ntwo\nthree\n", "org.apache.kafka.tools.ConsoleProducer", "--bootstrap-server", bs,
                "--topic", topic, "--property", "partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner");
        assertEquals(0, produce.exitCode, produce.toString());

        Result offsets = run(null, "org.apache.kafka.tools.GetOffsetShell", "--bootstrap-server", bs, "--topic", topic);
        long total = offsets.out.lines().filter(l -> l.startsWith(topic + ":"))
                .mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(':') + 1))).sum();
        assertEquals(3, total, offsets.toString());

        List<String> consumed = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            Result consume = run(null, "org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server", bs,
                    "--topic", topic, "--partition", Integer.toString(p), "--offset", "earliest",
                    "--timeout-ms", "5000", "--property", "print.offset=true");
            consume.out.lines().filter(l -> l.contains("Offset:")).forEach(consumed::add);
        }
        assertEquals(3, consumed.size(), consumed.toString());
        assertTrue(consumed.stream().anyMatch(l -> l.endsWith("two")), consumed.toString());
    }

    /**
     * Leader election and partition reassignment have no meaning on Pulsar (a partition's leader is the
     * owner of its bundle, its replicas are bookies): the APIs are not advertised, Kafka's tools say so
     * and exit, and the broker goes on serving.
     */
    @Test
    void leaderElectionAndReassignmentAreNotOffered() throws Exception {
        String topic = KopTestBroker.uniqueTopic("cli-elect");
        String bs = broker.bootstrap();
        assertEquals(0, run(null, "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bs, "--create",
                "--topic", topic, "--partitions", "1").exitCode);
        Result elect = run(null, "org.apache.kafka.tools.LeaderElectionCommand", "--bootstrap-server", bs,
                "--election-type", "PREFERRED", "--topic", topic, "--partition", "0");
        assertTrue(elect.exitCode != 0 && (elect.out + elect.err).contains("UnsupportedVersionException"),
                elect.toString());
        Result reassign = run(null, "org.apache.kafka.tools.reassign.ReassignPartitionsCommand", "--bootstrap-server",
                bs, "--list");
        assertTrue(reassign.exitCode != 0 && (reassign.out + reassign.err).contains("UnsupportedVersionException"),
                reassign.toString());
        Result list = run(null, "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bs, "--list");
        assertTrue(list.out.lines().anyMatch(topic::equals), "still serving: " + list);
    }

    record Result(int exitCode, String out, String err) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    static Result run(String stdin, String mainClass, String... args) throws IOException, InterruptedException {
        String classpath = Files.readString(Path.of(System.getProperty("kop.tools.classpath"))).trim();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", classpath, mainClass));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("kafka-tool", ".out");
        Path err = Files.createTempFile("kafka-tool", ".err");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        Process process = pb.start();
        if (stdin != null) {
            process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        process.getOutputStream().close();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(mainClass + " did not finish within 90 s: " + Files.readString(err));
        }
        return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    }
}
