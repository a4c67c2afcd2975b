package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kop.cluster.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The NAR of this build, built against Pulsar 4.0, in a Pulsar 4.2 broker: the same standalone main
 * class run on Pulsar 4.2.4's jars (module {@code kop-pulsar42}), in its own JVM. Smoke tests: a
 * topic created and used by Kafka clients, a consumer group, a transaction, Pulsar's admin API.
 */
class Pulsar42Test {
    private static NodeProcess broker;
    private static int kafkaPort;
    private static int httpPort;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Path.of("target/test-pulsar42").toAbsolutePath();
        Path standalone = Path.of(System.getProperty("kop.standalone.dir", "../kop-standalone"));
        Path pulsar42 = Path.of(System.getProperty("kop.root", "..")).resolve("kop-pulsar42/target/classpath.txt");
        String classpath = standalone.resolve("target/classes") + ":" + Files.readString(pulsar42).trim();
        kafkaPort = KopTestBroker.freePort();
        httpPort = KopTestBroker.freePort();
        List<String> args = new ArrayList<>(List.of("--wipe", "--data-dir", dir.toString(),
                "--nar", KopTestBroker.findNar().toString(), "--kafka-port", Integer.toString(kafkaPort),
                "--pulsar-port", Integer.toString(KopTestBroker.freePort()), "--http-port", Integer.toString(httpPort),
                "--bookie-port", Integer.toString(KopTestBroker.freePort())));
        broker = new NodeProcess("pulsar42-standalone", dir.resolveSibling("test-pulsar42-process"), classpath,
                List.of("@" + standalone.resolve("jvm.args").toAbsolutePath(), "-Xmx1g", "-XX:MaxDirectMemorySize=1g"),
                "io.kop.standalone.Main", args);
        Files.deleteIfExists(broker.dir().resolve("console.log"));
        broker.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
        while (!(KopSecureBroker.ready(broker) && KopSecureBroker.listening(kafkaPort))) {
            if (!broker.isAlive()) {
                throw new IllegalStateException("Pulsar 4.2 standalone exited; see " + broker.dir().resolve("console.log"));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Pulsar 4.2 standalone not ready in 150 s; see " + broker.dir());
            }
            Thread.sleep(200);
        }
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.stop(20);
        }
    }

    private static Properties client() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + kafkaPort);
        return p;
    }

    @Test
    void kafkaClientsProduceConsumeAndCommitTransactionsOnPulsar42() throws Exception {
        String topic = "pulsar42-" + UUID.randomUUID();
        try (Admin admin = Admin.create(client())) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
        Properties pp = client();
        pp.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        pp.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, "k" + i, "plain-" + i)).get();
            }
        }
        pp.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "pulsar42-txn-" + UUID.randomUUID());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp)) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 0, "a", "aborted"));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 1, "c", "committed"));
            producer.commitTransaction();
        }
        Properties cp = client();
        cp.put(ConsumerConfig.GROUP_ID_CONFIG, "pulsar42-group");
        cp.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cp.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
        cp.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        cp.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 60_000;
            while (values.size() < 11 && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                }
            }
            consumer.commitSync();
        }
        assertEquals(11, values.size(), values.toString());
        assertTrue(values.contains("committed") && !values.contains("aborted"), values.toString());
        try (Admin admin = Admin.create(client())) {
            var offsets = admin.listConsumerGroupOffsets("pulsar42-group").partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS);
            assertEquals(2, offsets.size(), offsets.toString());
        }
        try (PulsarAdmin admin = PulsarAdmin.builder().serviceHttpUrl("http://127.0.0.1:" + httpPort).build()) {
            assertEquals(2, admin.topics().getPartitionedTopicMetadata("persistent://public/default/" + topic)
                    .partitions);
            String version = admin.brokers().getVersion();
            assertTrue(version.startsWith("4.2."), "the broker is Pulsar " + version);
            // Kafka traffic in Pulsar 4.2's own topic statistics: 10 plain, 1 aborted and 1 committed
            // record (transaction markers are the broker's, not a client's)
            var stats = admin.topics().getPartitionedStats("persistent://public/default/" + topic, false);
            assertEquals(12, stats.getMsgInCounter(), "records produced by Kafka clients");
        }
    }
}
