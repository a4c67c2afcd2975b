package io.kop.tests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Node;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Not part of the default test run ({@code ./kop bench cluster} runs it): Kafka's own
 * VerifiableProducer (acks=all, idempotent, retries on) and VerifiableConsumer (a group, committing)
 * against the test cluster through 10 bundle unloads and then 5 kill -9s of a broker that leads
 * partitions of the topic. Prints records acked, lost (acked but not stored), duplicated (stored more
 * than once) and consumed, and the client stall per move: the longest gap between two acknowledgements
 * of one partition in the 30 s after the fault, p50 and max over the moves of each kind.
 */
@Tag("benchmark")
class ClusterFaultsBenchmark {
    private static final int PARTITIONS = 4;
    private static final int RATE = 500; // records per second
    private final KopTestCluster cluster = KopTestCluster.get();
    private final ObjectMapper json = new ObjectMapper();

    /** One ack of the producer: when, which partition, which offset, which value. */
    private record Ack(long time, int partition, long offset, long value) {
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void verifiableClientsThroughUnloadsAndKills() throws Exception {
        String topic = KopTestBroker.uniqueTopic("faults");
        String pulsarTopic = "persistent://public/default/" + topic;
        try (Admin admin = cluster.admin(0)) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        String bootstrap = cluster.bootstrap(0) + "," + cluster.bootstrap(1);
        Path config = Files.createTempFile("verifiable-producer", ".properties");
        // the tool sets retries=0 unless told otherwise, which idempotence refuses
        Files.writeString(config, "enable.idempotence=true\nretries=2147483647\nlinger.ms=5\n"
                + "delivery.timeout.ms=300000\n");
        List<Ack> acks = new CopyOnWriteArrayList<>();
        List<String> sendErrors = new CopyOnWriteArrayList<>();
        Process producer = tool("org.apache.kafka.tools.VerifiableProducer", "--topic", topic, "--bootstrap-server",
                bootstrap, "--acks", "-1", "--throughput", Integer.toString(RATE), "--command-config", config.toString(),
                // keyed records reach every partition all the time (null keys stick to one partition
                // per batch, which leaves gaps in a partition's acks that are not stalls)
                "--repeating-keys", "1000");
        Thread producerOut = reader(producer, node -> {
            if (!node.path("name").isTextual()) {
                return;
            }
            String name = node.path("name").asText();
            if (name.equals("producer_send_success")) {
                acks.add(new Ack(node.path("timestamp").asLong(), node.path("partition").asInt(),
                        node.path("offset").asLong(), Long.parseLong(node.path("value").asText())));
            } else if (name.equals("producer_send_error")) {
                sendErrors.add(node.toString());
            }
        });
        Map<Integer, BitSet> consumed = new HashMap<>();
        long[] consumedRecords = new long[1];
        Process consumer = tool("org.apache.kafka.tools.VerifiableConsumer", "--topic", topic, "--group-id",
                "g-" + topic, "--bootstrap-server", bootstrap, "--reset-policy", "earliest");
        Thread consumerOut = reader(consumer, node -> {
            if (node.path("name").asText().equals("records_consumed")) {
                synchronized (consumed) {
                    for (JsonNode p : node.path("partitions")) {
                        BitSet seen = consumed.computeIfAbsent(p.path("partition").asInt(), k -> new BitSet());
                        seen.set((int) p.path("minOffset").asLong(), (int) p.path("maxOffset").asLong() + 1);
                        consumedRecords[0] += p.path("count").asLong();
                    }
                }
            }
        });
        List<Long> unloads = new ArrayList<>();
        List<Long> kills = new ArrayList<>();
        try (PulsarAdmin pulsar = cluster.pulsarAdmin(0); Admin admin = cluster.admin(0)) {
            Thread.sleep(10_000);
            for (int i = 0; i < 10; i++) {
                String partition = pulsarTopic + "-partition-" + (i % PARTITIONS);
                unloads.add(System.currentTimeMillis());
                pulsar.namespaces().unloadNamespaceBundle("public/default", pulsar.lookups().getBundleRange(partition));
                Thread.sleep(6_000);
            }
            for (int i = 0; i < 5; i++) {
                int victim = leaderOfSomePartition(admin, topic, i);
                kills.add(System.currentTimeMillis());
                cluster.cluster().killBroker(victim);
                Thread.sleep(20_000);
                cluster.cluster().startBroker(victim);
                Thread.sleep(5_000);
            }
            Thread.sleep(10_000);
        } finally {
            for (int i = 0; i < KopTestCluster.BROKERS; i++) {
                if (!cluster.cluster().brokerAlive(i)) {
                    cluster.cluster().startBroker(i);
                }
            }
            producer.destroy(); // SIGTERM: the tool stops sending and closes its producer, which flushes
            producer.waitFor(120, TimeUnit.SECONDS);
            producerOut.join(10_000);
        }
        // let the consumer catch up with the last acks, then stop it
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline && !coversAll(consumed, acks)) {
            Thread.sleep(1_000);
        }
        consumer.destroy();
        consumer.waitFor(60, TimeUnit.SECONDS);
        consumerOut.join(10_000);

        // every acked record read back by value (small batches read slowly from storage: allow minutes)
        Map<Long, Integer> stored = new ClusterTest().readAll(0, topic, PARTITIONS, acks.size(), 300_000)
                .entrySet().stream()
                .collect(HashMap::new, (m, e) -> m.put(Long.parseLong(e.getKey()), e.getValue()), HashMap::putAll);
        long lost = acks.stream().filter(a -> !stored.containsKey(a.value())).count();
        long duplicated = stored.values().stream().filter(c -> c > 1).mapToLong(c -> c - 1).sum();
        long consumerMissed = acks.stream().filter(a -> {
            synchronized (consumed) {
                BitSet seen = consumed.get(a.partition());
                return seen == null || !seen.get((int) a.offset());
            }
        }).count();
        System.out.printf("%nKoP cluster (%d brokers, 3 bookies), %d partitions at %d records/s:%n",
                KopTestCluster.BROKERS, PARTITIONS, RATE);
        System.out.printf("  VerifiableProducer: %d acked, %d send errors, %d lost, %d duplicated (%d records stored)%n",
                acks.size(), sendErrors.size(), lost, duplicated, stored.values().stream().mapToInt(c -> c).sum());
        System.out.printf("  VerifiableConsumer: %d records consumed, %d acked records it never consumed%n",
                consumedRecords[0], consumerMissed);
        List<Long> faults = new ArrayList<>(unloads);
        faults.addAll(kills);
        System.out.printf("  stall per bundle unload (%d): %s%n", unloads.size(), stalls(acks, unloads, faults));
        System.out.printf("  stall per broker kill -9 (%d): %s%n", kills.size(), stalls(acks, kills, faults));
        if (!sendErrors.isEmpty()) {
            System.out.println("  first send error: " + sendErrors.get(0));
        }
    }

    private static boolean coversAll(Map<Integer, BitSet> consumed, List<Ack> acks) {
        synchronized (consumed) {
            for (Ack a : acks) {
                BitSet seen = consumed.get(a.partition());
                if (seen == null || !seen.get((int) a.offset())) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Per fault, the longest gap between two acks of one partition from just before it until the next
     * fault (at most 30 s); p50 and max.
     */
    private static String stalls(List<Ack> acks, List<Long> faults, List<Long> allFaults) {
        List<Long> perFault = new ArrayList<>();
        for (long t : faults) {
            long end = allFaults.stream().filter(f -> f > t).min(Long::compare).orElse(Long.MAX_VALUE);
            end = Math.min(end, t + 30_000);
            long worst = 0;
            for (int p = 0; p < PARTITIONS; p++) {
                long previous = -1;
                for (Ack a : acks) {
                    if (a.partition() != p || a.time() < t - 1_000 || a.time() > end) {
                        continue;
                    }
                    if (previous >= 0) {
                        worst = Math.max(worst, a.time() - previous);
                    }
                    previous = a.time();
                }
            }
            perFault.add(worst);
        }
        List<Long> sorted = new ArrayList<>(perFault);
        Collections.sort(sorted);
        return String.format("p50 %d ms, max %d ms (each: %s)", sorted.get(sorted.size() / 2),
                sorted.get(sorted.size() - 1), perFault);
    }

    private int leaderOfSomePartition(Admin admin, String topic, int round) throws Exception {
        Map<Integer, Node> leaders = ClusterTest.leaders(admin, topic);
        Node n = leaders.get(round % PARTITIONS);
        return cluster.brokerAt(n.host(), n.port());
    }

    private static Process tool(String main, String... args) throws IOException {
        String classpath = Files.readString(Path.of(System.getProperty("kop.tools.classpath"))).trim();
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", classpath, main));
        command.addAll(List.of(args));
        Path err = Path.of("target", main.substring(main.lastIndexOf('.') + 1) + ".err");
        return new ProcessBuilder(command).redirectError(err.toFile()).start();
    }

    private Thread reader(Process process, java.util.function.Consumer<JsonNode> onEvent) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("{")) {
                        try {
                            onEvent.accept(json.readTree(line));
                        } catch (IOException e) {
                            // not an event line
                        }
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }
}
