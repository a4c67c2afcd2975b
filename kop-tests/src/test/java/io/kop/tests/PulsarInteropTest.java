package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Pulsar and Kafka clients on the same topic, both directions. */
class PulsarInteropTest {
    private static final KopTestBroker broker = KopTestBroker.get();
    private static PulsarClient pulsar;

    @BeforeAll
    static void connect() throws Exception {
        pulsar = broker.pulsarClient();
    }

    @AfterAll
    static void close() throws Exception {
        pulsar.close();
    }

    @Test
    void pulsarProducersAreReadByKafkaConsumersWithDenseOffsets() throws Exception {
        String topic = KopTestBroker.uniqueTopic("from-pulsar");
        String pulsarTopic = "persistent://public/default/" + topic;
        // Kafka sees partition 0 of a partitioned topic
        broker.pulsarAdmin().topics().createPartitionedTopic(pulsarTopic, 1);
        String partition = pulsarTopic + "-partition-0";
        try (Producer<byte[]> batched = pulsar.newProducer().topic(partition).enableBatching(true)
                .batchingMaxMessages(10).batchingMaxPublishDelay(50, TimeUnit.MILLISECONDS).create();
             Producer<byte[]> single = pulsar.newProducer().topic(partition).enableBatching(false).create()) {
            for (int i = 0; i < 25; i++) {
                batched.newMessage().key("k" + i).value(("b" + i).getBytes(StandardCharsets.UTF_8))
                        .property("p", "v" + i).eventTime(1_000_000L + i).sendAsync();
            }
            batched.flush();
            for (int i = 25; i < 30; i++) {
                var m = single.newMessage().value(("s" + i).getBytes(StandardCharsets.UTF_8));
                if (i % 2 == 0) {
                    m.key("k" + i);
                }
                m.send();
            }
        }
        List<ConsumerRecord<byte[], byte[]>> got = ProduceFetchTest.readFromStart(broker, topic, 30);
        assertEquals(30, got.size());
        for (int i = 0; i < 30; i++) {
            ConsumerRecord<byte[], byte[]> r = got.get(i);
            assertEquals(i, r.offset());
            String value = new String(r.value(), StandardCharsets.UTF_8);
            if (i < 25) {
                assertEquals("b" + i, value);
                assertEquals("k" + i, new String(r.key(), StandardCharsets.UTF_8));
                assertEquals(1_000_000L + i, r.timestamp());
                Header p = r.headers().lastHeader("p");
                assertNotNull(p);
                assertEquals("v" + i, new String(p.value(), StandardCharsets.UTF_8));
            } else {
                assertEquals("s" + i, value);
                assertEquals(i % 2 == 0 ? "k" + i : null, r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8));
                assertTrue(r.timestamp() > 1_000_000_000_000L, "publish time as timestamp");
            }
        }
    }

    /**
     * Kafka batches are served from the broker's memory, Pulsar messages between them from storage: a
     * Kafka consumer still reads them all once, in order, with dense offsets.
     */
    @Test
    void kafkaAndPulsarProducersTakeTurnsOnOneTopic() throws Exception {
        String topic = KopTestBroker.uniqueTopic("turns");
        broker.pulsarAdmin().topics().createPartitionedTopic("persistent://public/default/" + topic, 1);
        List<String> expected = new java.util.ArrayList<>();
        try (KafkaProducer<byte[], byte[]> kafka = broker.producer(Map.of());
             Producer<byte[]> pulsarProducer = pulsar.newProducer().topic("persistent://public/default/" + topic
                     + "-partition-0").enableBatching(false).create()) {
            for (int round = 0; round < 4; round++) {
                for (int i = 0; i < 5; i++) {
                    String v = "kafka-" + round + "-" + i;
                    expected.add(v);
                    kafka.send(new ProducerRecord<>(topic, 0, null, v.getBytes(StandardCharsets.UTF_8)));
                }
                kafka.flush();
                for (int i = 0; i < 2; i++) {
                    String v = "pulsar-" + round + "-" + i;
                    expected.add(v);
                    pulsarProducer.send(v.getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        List<ConsumerRecord<byte[], byte[]>> got = ProduceFetchTest.readFromStart(broker, topic, expected.size());
        assertEquals(expected.size(), got.size());
        for (int i = 0; i < got.size(); i++) {
            assertEquals(i, got.get(i).offset());
            assertEquals(expected.get(i), new String(got.get(i).value(), StandardCharsets.UTF_8));
        }
    }

    /**
     * A topic that a Pulsar producer creates on first use is non-partitioned (Pulsar's default, and the
     * standalone's): Kafka clients see it as a topic of one partition and append to it.
     */
    @Test
    void topicCreatedByAPulsarProducerIsOnePartitionForKafka() throws Exception {
        String topic = KopTestBroker.uniqueTopic("pulsar-created");
        String pulsarTopic = "persistent://public/default/" + topic;
        try (Producer<byte[]> producer = pulsar.newProducer().topic(pulsarTopic).enableBatching(false).create()) {
            for (int i = 0; i < 3; i++) {
                producer.newMessage().key("k" + i).value(("pulsar-" + i).getBytes(StandardCharsets.UTF_8)).send();
            }
        }
        assertEquals(0, broker.pulsarAdmin().topics().getPartitionedTopicMetadata(pulsarTopic).partitions);
        try (var admin = broker.admin()) {
            assertEquals(1, admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size());
        }
        try (KafkaProducer<byte[], byte[]> kafka = broker.producer(Map.of())) {
            kafka.send(new ProducerRecord<>(topic, 0, null, "kafka-3".getBytes(StandardCharsets.UTF_8))).get();
        }
        List<ConsumerRecord<byte[], byte[]>> got = ProduceFetchTest.readFromStart(broker, topic, 4);
        assertEquals(4, got.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(i, got.get(i).offset());
            assertEquals((i < 3 ? "pulsar-" : "kafka-") + i, new String(got.get(i).value(), StandardCharsets.UTF_8));
        }
        assertEquals("k0", new String(got.get(0).key(), StandardCharsets.UTF_8));
    }

    @Test
    void kafkaProducersAreReadByPulsarConsumers() throws Exception {
        String topic = KopTestBroker.uniqueTopic("to-pulsar");
        try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of())) {
            // creates the topic through Metadata auto-creation
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>(topic, 0, 5_000L + i, ("key" + i).getBytes(StandardCharsets.UTF_8),
                        ("value" + i).getBytes(StandardCharsets.UTF_8),
                        List.of(new RecordHeader("h", ("x" + i).getBytes(StandardCharsets.UTF_8)))));
            }
            producer.flush();
        }
        try (Consumer<byte[]> consumer = pulsar.newConsumer(Schema.BYTES)
                .topic("persistent://public/default/" + topic).subscriptionName("pulsar-reader")
                .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            for (int i = 0; i < 20; i++) {
                Message<byte[]> m = consumer.receive(30, TimeUnit.SECONDS);
                assertNotNull(m, "message " + i);
                assertEquals("key" + i, m.getKey());
                assertArrayEquals(("value" + i).getBytes(StandardCharsets.UTF_8), m.getValue());
                assertEquals(5_000L + i, m.getEventTime());
                assertEquals("x" + i, m.getProperty("h"));
                assertEquals(i, m.getIndex().orElseThrow());
                consumer.acknowledge(m);
            }
        }
    }
}
