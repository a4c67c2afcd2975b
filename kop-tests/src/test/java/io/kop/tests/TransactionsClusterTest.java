package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.junit.jupiter.api.Test;

/**
 * Transactions on a two-broker cluster: markers reach partitions on the other broker (WriteTxnMarkers
 * between brokers), and transactions go on when the coordinators move.
 */
class TransactionsClusterTest {
    private final KopTestCluster cluster = KopTestCluster.get();

    /**
     * Moves partition 0's bundle to broker 0 and the bundle of another partition (one in a different
     * bundle) to broker 1, then waits until Kafka's metadata shows leaders on both brokers. (Unloading
     * the topic alone would not do: its bundles stay where they are.)
     */
    private void spreadOverBothBrokers(Admin admin, String topic) throws Exception {
        try (PulsarAdmin pulsar = cluster.pulsarAdmin(0)) {
            String first = "persistent://public/default/" + topic + "-partition-0";
            for (int attempt = 0; attempt < 4; attempt++) {
                String firstBundle = pulsar.lookups().getBundleRange(first);
                moveBundle(pulsar, first, 0);
                for (int p = 1; p < 4; p++) {
                    String other = "persistent://public/default/" + topic + "-partition-" + p;
                    if (!pulsar.lookups().getBundleRange(other).equals(firstBundle)) {
                        moveBundle(pulsar, other, 1);
                        attempt = 4;
                        break;
                    }
                }
                if (attempt < 4) { // all four in one bundle: split it
                    pulsar.namespaces().splitNamespaceBundle("public/default", firstBundle, false, null);
                }
            }
        }
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            Set<Integer> owners = new HashSet<>();
            for (Node n : ClusterTest.leaders(admin, topic).values()) {
                if (n != null && !n.isEmpty()) {
                    owners.add(cluster.brokerAt(n.host(), n.port()));
                }
            }
            if (owners.size() == KopTestCluster.BROKERS) {
                return;
            }
            assertTrue(System.currentTimeMillis() < deadline, "the partitions of " + topic + " stay on one broker"
                    + " (all four in one bundle?)");
            Thread.sleep(500);
        }
    }

    private void moveBundle(PulsarAdmin pulsar, String partition, int broker) throws Exception {
        if (cluster.brokerOfPulsarUrl(pulsar.lookups().lookupTopic(partition)) != broker) {
            pulsar.namespaces().unloadNamespaceBundle("public/default", pulsar.lookups().getBundleRange(partition),
                    cluster.cluster().brokerId(broker));
        }
    }

    private KafkaProducer<byte[], byte[]> transactional(int broker, String id) {
        return cluster.producer(broker, Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id));
    }

    private List<String> readCommitted(int broker, String topic, int partitions, int expected) {
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            tps.add(new TopicPartition(topic, p));
        }
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(broker, Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"))) {
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            long deadline = System.currentTimeMillis() + 60_000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(300))) {
                    out.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(1500))) {
                out.add(new String(r.value(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    @Test
    void markersReachPartitionsOnBothBrokers() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-spread");
        String group = "g-" + topic;
        try (Admin admin = cluster.admin(0)) {
            admin.createTopics(List.of(new NewTopic(topic, 4, (short) 1))).all().get(30, TimeUnit.SECONDS);
            spreadOverBothBrokers(admin, topic);
        }
        List<String> expected = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = transactional(0, "spread-" + UUID.randomUUID())) {
            producer.initTransactions();
            for (int txn = 0; txn < 6; txn++) {
                producer.beginTransaction();
                for (int p = 0; p < 4; p++) {
                    String value = "t" + txn + "-p" + p;
                    producer.send(new ProducerRecord<>(topic, p, null, value.getBytes(StandardCharsets.UTF_8)));
                    if (txn % 3 != 1) {
                        expected.add(value);
                    }
                }
                producer.sendOffsetsToTransaction(Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(txn)),
                        new ConsumerGroupMetadata(group));
                if (txn % 3 == 1) {
                    producer.abortTransaction();
                } else {
                    producer.commitTransaction();
                }
            }
        }
        for (int broker = 0; broker < KopTestCluster.BROKERS; broker++) {
            List<String> read = readCommitted(broker, topic, 4, expected.size());
            assertEquals(expected.stream().sorted().toList(), read.stream().sorted().toList(),
                    "read_committed through broker " + broker);
        }
        try (Admin admin = cluster.admin(1)) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            assertEquals(5, offsets.get(new TopicPartition(topic, 0)).offset(), "the last committed transaction's");
        }
    }

    /** The coordinators move (the metadata namespace is unloaded) between and during transactions. */
    @Test
    void transactionsGoOnWhenTheirCoordinatorMoves() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-move");
        try (Admin admin = cluster.admin(0)) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        List<String> expected = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = transactional(1, "move-" + UUID.randomUUID());
             PulsarAdmin pulsar = cluster.pulsarAdmin(0)) {
            producer.initTransactions();
            for (int txn = 0; txn < 4; txn++) {
                producer.beginTransaction();
                for (int p = 0; p < 2; p++) {
                    String value = "m" + txn + "-" + p;
                    producer.send(new ProducerRecord<>(topic, p, null, value.getBytes(StandardCharsets.UTF_8)));
                    expected.add(value);
                }
                producer.flush();
                if (txn % 2 == 1) {
                    pulsar.namespaces().unload("public/__kafka"); // while the transaction is open
                }
                producer.commitTransaction();
                if (txn % 2 == 0) {
                    pulsar.namespaces().unload("public/__kafka"); // between transactions
                }
            }
        }
        assertEquals(expected.stream().sorted().toList(), readCommitted(0, topic, 2, expected.size()).stream()
                .sorted().toList());
    }
}
