package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
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
import org.junit.jupiter.api.Test;

/**
 * Kafka frameworks run unchanged against KoP: Kafka Streams 4.4, a Kafka Connect distributed worker,
 * and MirrorMaker 2 between KoP and a real Apache Kafka 4.4 broker.
 */
class FrameworksTest {
    private final KopTestBroker broker = KopTestBroker.get();

    @Test
    void kafkaStreamsWordCountRestoresItsStoreFromTheChangelog() throws Exception {
        String id = KopTestBroker.uniqueTopic("wordcount");
        String input = id + "-in";
        String output = id + "-out";
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(input, 2, (short) 1), new NewTopic(output, 2, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
        }
        List<String> firstLines = List.of("the quick brown fox", "jumps over the lazy dog", "the dog barks", "fox");
        List<String> second = List.of("the end", "dog and fox", "quick quick");
        Path state = Files.createTempDirectory("kop-streams");

        produce(input, firstLines);
        Map<String, Long> expected = counts(firstLines);
        KafkaStreams first = start(id, input, output, state);
        try {
            assertEquals(expected, awaitCounts(output, expected));
        } finally {
            // leaving the group spares the next instance the session timeout's wait, as on Kafka
            first.close(new KafkaStreams.CloseOptions().leaveGroup(true).timeout(Duration.ofSeconds(30)));
        }
        try (Admin admin = broker.admin()) {
            Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            String changelog = id + "-counts-changelog";
            assertTrue(topics.contains(changelog), topics.toString());
            assertTrue(topics.stream().anyMatch(t -> t.startsWith(id) && t.endsWith("-repartition")), topics.toString());
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, changelog);
            Config config = admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r);
            assertEquals("compact", config.get("cleanup.policy").value());
        }

        // A restart with no local state: the store is rebuilt from its changelog, and counting goes on.
        deleteRecursively(state);
        produce(input, second);
        List<String> all = new java.util.ArrayList<>(firstLines);
        all.addAll(second);
        Map<String, Long> expectedAll = counts(all);
        try (KafkaStreams app = start(id, input, output, state)) {
            assertEquals(expectedAll, awaitCounts(output, expectedAll));
        }
    }

    /**
     * A Kafka Connect 4.3 distributed worker (its own JVM, Kafka's {@code ConnectDistributed}) with the
     * FileStream source and sink: compacted internal topics, connectors RUNNING, source offsets
     * readable over REST, and a worker restart that resumes exactly where it stopped.
     */
    @Test
    void kafkaConnectDistributedWorkerCopiesAFileAndResumesAfterARestart() throws Exception {
        String id = KopTestBroker.uniqueTopic("connect");
        Path dir = Files.createTempDirectory("kop-connect");
        Path in = dir.resolve("in.txt");
        Path out = dir.resolve("out.txt");
        Files.writeString(in, "line-1\nline-2\nline-3\n");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path worker = dir.resolve("worker.properties");
        Files.writeString(worker, String.join("\n",
                "bootstrap.servers=127.0.0.1:" + broker.kafkaPort(),
                "group.id=" + id,
                "key.converter=org.apache.kafka.connect.storage.StringConverter",
                "value.converter=org.apache.kafka.connect.storage.StringConverter",
                "config.storage.topic=" + id + "-configs",
                "offset.storage.topic=" + id + "-offsets",
                "status.storage.topic=" + id + "-status",
                "config.storage.replication.factor=1",
                "offset.storage.replication.factor=1",
                "status.storage.replication.factor=1",
                "offset.flush.interval.ms=500",
                "listeners=http://127.0.0.1:" + port,
                "plugin.discovery=only_scan") + "\n");
        String topic = id + "-lines";
        Process connect = startConnect(worker, dir.resolve("worker-1.log"));
        try {
            awaitRest(port, "/", connect, dir.resolve("worker-1.log"));
            rest(port, "PUT", "/connectors/" + id + "-source/config", "{\"connector.class\":"
                    + "\"org.apache.kafka.connect.file.FileStreamSourceConnector\",\"tasks.max\":\"1\","
                    + "\"file\":\"" + in + "\",\"topic\":\"" + topic + "\"}");
            rest(port, "PUT", "/connectors/" + id + "-sink/config", "{\"connector.class\":"
                    + "\"org.apache.kafka.connect.file.FileStreamSinkConnector\",\"tasks.max\":\"1\","
                    + "\"file\":\"" + out + "\",\"topics\":\"" + topic + "\"}");
            awaitLines(out, List.of("line-1", "line-2", "line-3"));
            for (String c : List.of(id + "-source", id + "-sink")) {
                String status = awaitRest(port, "/connectors/" + c + "/status", connect, dir.resolve("worker-1.log"));
                assertTrue(status.contains("\"state\":\"RUNNING\""), status);
            }
            String offsets = awaitRest(port, "/connectors/" + id + "-source/offsets", connect,
                    dir.resolve("worker-1.log"));
            assertTrue(offsets.contains("\"position\""), offsets);
        } finally {
            connect.destroy(); // SIGTERM: the worker stops its tasks and commits their offsets
            assertTrue(connect.waitFor(60, TimeUnit.SECONDS), "worker stopped");
        }
        try (Admin admin = broker.admin()) {
            for (String internal : List.of("-configs", "-offsets", "-status")) {
                ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, id + internal);
                assertEquals("compact", admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r)
                        .get("cleanup.policy").value(), internal);
            }
        }
        // while the worker is down the file grows; the restarted worker copies only the new lines
        Files.writeString(in, "line-4\nline-5\n", java.nio.file.StandardOpenOption.APPEND);
        connect = startConnect(worker, dir.resolve("worker-2.log"));
        try {
            awaitRest(port, "/", connect, dir.resolve("worker-2.log"));
            awaitLines(out, List.of("line-1", "line-2", "line-3", "line-4", "line-5"));
            Thread.sleep(2000); // nothing more may arrive
            assertEquals(List.of("line-1", "line-2", "line-3", "line-4", "line-5"), Files.readAllLines(out));
        } finally {
            connect.destroy();
            connect.waitFor(60, TimeUnit.SECONDS);
        }
    }

    /**
     * MirrorMaker 2 (dedicated mode, Connect 4.3) between a real Apache Kafka 4.4 broker (KRaft, its own
     * JVM) and KoP, both ways: a topic of each cluster is replicated to the other under the default
     * replication policy's name ({@code source.topic}), with every record.
     */
    @Test
    void mirrorMaker2ReplicatesFromApacheKafkaToKopAndBack() throws Exception {
        String id = KopTestBroker.uniqueTopic("mm2").replace("-", "");
        Path dir = Files.createTempDirectory("kop-mm2");
        Process mm2 = null;
        String fromKafka = id + "fromkafka";
        String fromKop = id + "fromkop";
        try (ApacheKafka kafka = ApacheKafka.start(dir.resolve("kafka"), "384m", List.of(), List.of())) {
            String kafkaBootstrap = kafka.bootstrap();
            produceTo(kafkaBootstrap, fromKafka, 100);
            produceTo("127.0.0.1:" + broker.kafkaPort(), fromKop, 50);
            Path props = dir.resolve("mm2.properties");
            Files.writeString(props, String.join("\n",
                    "clusters=kafka,kop",
                    "kafka.bootstrap.servers=" + kafkaBootstrap,
                    "kop.bootstrap.servers=127.0.0.1:" + broker.kafkaPort(),
                    "kafka->kop.enabled=true", "kafka->kop.topics=" + fromKafka,
                    "kop->kafka.enabled=true", "kop->kafka.topics=" + fromKop,
                    "replication.factor=1", "checkpoints.topic.replication.factor=1",
                    "heartbeats.topic.replication.factor=1", "offset-syncs.topic.replication.factor=1",
                    "offset.storage.replication.factor=1", "status.storage.replication.factor=1",
                    "config.storage.replication.factor=1", "sync.topic.acls.enabled=false",
                    "refresh.topics.interval.seconds=5", "refresh.groups.interval.seconds=5",
                    "offset.flush.interval.ms=1000",
                    "kafka.consumer.auto.offset.reset=earliest", "kop.consumer.auto.offset.reset=earliest") + "\n");
            String classpath = Files.readString(Path.of(System.getProperty("kop.connect.classpath"))).trim();
            Path log = dir.resolve("mm2.log");
            mm2 = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
                    "-cp", classpath, "org.apache.kafka.connect.mirror.MirrorMaker", props.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            assertEquals(100, countRecords("127.0.0.1:" + broker.kafkaPort(), "kafka." + fromKafka, 100, mm2, log),
                    "Apache Kafka -> KoP");
            assertEquals(50, countRecords(kafkaBootstrap, "kop." + fromKop, 50, mm2, log),
                    "KoP -> Apache Kafka");
        } finally {
            if (mm2 != null) {
                mm2.destroy();
                mm2.waitFor(60, TimeUnit.SECONDS);
            }
        }
    }

    private static void produceTo(String bootstrap, String topic, int records) throws Exception {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i));
            }
            producer.flush();
        }
    }

    /** Distinct values read from the start of {@code topic} once there are {@code expected} (or after 180 s). */
    private static int countRecords(String bootstrap, String topic, int expected, Process mm2, Path log)
            throws Exception {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "check-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, 2000);
        Set<String> values = new java.util.HashSet<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(topic)));
            long deadline = System.currentTimeMillis() + 180_000;
            while (values.size() < expected && System.currentTimeMillis() < deadline) {
                if (!mm2.isAlive()) {
                    throw new AssertionError("MirrorMaker exited: " + Files.readString(log));
                }
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                }
            }
        }
        return values.size();
    }

    private static Process startConnect(Path worker, Path log) throws Exception {
        String classpath = Files.readString(Path.of(System.getProperty("kop.connect.classpath"))).trim();
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx384m",
                "-cp", classpath, "org.apache.kafka.connect.cli.ConnectDistributed", worker.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** GET {@code path} until it answers 200 (120 s at most); its body. */
    private static String awaitRest(int port, String path, Process worker, Path log) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            if (!worker.isAlive()) {
                throw new AssertionError("the Connect worker exited: " + Files.readString(log));
            }
            try {
                java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path))
                                .timeout(Duration.ofSeconds(10)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                last = r.statusCode() + " " + r.body();
                if (r.statusCode() == 200) {
                    return r.body();
                }
            } catch (java.io.IOException notYet) {
                last = notYet.toString();
            }
            Thread.sleep(500);
        }
        throw new AssertionError("GET " + path + " did not answer 200: " + last);
    }

    private static void rest(int port, String method, String path, String body) throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + path))
                        .header("Content-Type", "application/json")
                        .method(method, java.net.http.HttpRequest.BodyPublishers.ofString(body))
                        .timeout(Duration.ofSeconds(60)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertTrue(r.statusCode() / 100 == 2, method + " " + path + ": " + r.statusCode() + " " + r.body());
    }

    private static void awaitLines(Path file, List<String> expected) throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        List<String> now = List.of();
        while (System.currentTimeMillis() < deadline) {
            now = Files.exists(file) ? Files.readAllLines(file) : List.of();
            if (now.size() >= expected.size()) {
                break;
            }
            Thread.sleep(500);
        }
        assertEquals(expected, now);
    }

    private KafkaStreams start(String id, String input, String output, Path state) {
        return WordCount.start(id, input, output, "127.0.0.1:" + broker.kafkaPort(), state, Map.of());
    }

    private void produce(String topic, List<String> lines) throws Exception {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + broker.kafkaPort());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (String line : lines) {
                producer.send(new ProducerRecord<>(topic, line, line)).get(30, TimeUnit.SECONDS);
            }
        }
    }

    private static Map<String, Long> counts(List<String> lines) {
        return WordCount.counts(lines);
    }

    /** The latest count per word in the output topic, once it equals {@code expected} (or after 120 s). */
    private Map<String, Long> awaitCounts(String output, Map<String, Long> expected) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + broker.kafkaPort());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, LongDeserializer.class);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "reader-" + output + "-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Map<String, Long> latest = new HashMap<>();
        try (KafkaConsumer<String, Long> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(List.of(output));
            long deadline = System.currentTimeMillis() + 120_000;
            while (!latest.equals(expected) && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, Long> r : consumer.poll(Duration.ofMillis(500))) {
                    latest.put(r.key(), r.value());
                }
            }
        }
        return latest;
    }

    private static void deleteRecursively(Path dir) throws Exception {
        WordCount.deleteRecursively(dir);
    }
}
