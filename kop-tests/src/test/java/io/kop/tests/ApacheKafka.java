package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A single-node KRaft Apache Kafka 4.4 broker in its own JVM (Kafka's own jars), for side-by-side runs. */
final class ApacheKafka implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    private ApacheKafka(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Formats {@code dir} and starts the broker; {@code serverProps} are added to its server.properties and
     * {@code jvmArgs} to its command line. Returns once it listens.
     */
    static ApacheKafka start(Path dir, String heap, List<String> serverProps, List<String> jvmArgs) throws Exception {
        Files.createDirectories(dir);
        int port = KopTestBroker.freePort();
        int controllerPort = KopTestBroker.freePort();
        Path props = dir.resolve("server.properties");
        List<String> lines = new ArrayList<>(List.of(
                "process.roles=broker,controller", "node.id=1",
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER", "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + dir.resolve("data"), "num.partitions=1", "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1", "transaction.state.log.min.isr=1",
                "group.initial.rebalance.delay.ms=0"));
        lines.addAll(serverProps);
        Files.writeString(props, String.join("\n", lines) + "\n");
        String tools = Files.readString(Path.of(System.getProperty("kop.tools.classpath"))).trim();
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process format = new ProcessBuilder(javaBin, "-cp", tools, "kafka.tools.StorageTool", "format", "-t",
                java.util.UUID.randomUUID().toString().replace("-", "").substring(0, 22), "-c", props.toString(),
                "--standalone").redirectErrorStream(true).redirectOutput(dir.resolve("format.log").toFile()).start();
        assertTrue(format.waitFor(120, TimeUnit.SECONDS) && format.exitValue() == 0,
                Files.readString(dir.resolve("format.log")));
        List<String> command = new ArrayList<>(List.of(javaBin, "-Xmx" + heap, "-cp", tools,
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
        command.addAll(jvmArgs);
        command.addAll(List.of("kafka.Kafka", props.toString()));
        Path log = dir.resolve("kafka.log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ApacheKafka kafka = new ApacheKafka(process, port, log);
        try {
            kafka.awaitPort();
        } catch (Exception | AssertionError e) {
            kafka.close();
            throw e;
        }
        return kafka;
    }

    String bootstrap() {
        return "127.0.0.1:" + port;
    }

    Path log() {
        return log;
    }

    private void awaitPort() throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("exited: " + Files.readString(log));
            }
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (java.io.IOException notYet) {
                Thread.sleep(300);
            }
        }
        throw new AssertionError("port " + port + " did not open: " + Files.readString(log));
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
