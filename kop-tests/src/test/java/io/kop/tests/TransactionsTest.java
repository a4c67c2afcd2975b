package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.EndTxnRequest;
import org.apache.kafka.common.requests.EndTxnResponse;
import org.apache.kafka.common.requests.TransactionResult;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Transactions with Kafka's Java client: commits visible to read_committed consumers, aborts only to
 * read_uncommitted ones, the last stable offset holding readers back, zombie fencing, the timeout, and
 * transactional offset commits.
 */
class TransactionsTest {
    private final KopTestBroker broker = KopTestBroker.get();

    private KafkaProducer<byte[], byte[]> transactional(String id, Map<String, Object> extra) {
        Map<String, Object> config = new java.util.HashMap<>(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id));
        config.putAll(extra);
        return broker.producer(config);
    }

    private KafkaConsumer<byte[], byte[]> reader(IsolationLevel isolation) {
        return broker.consumer(Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation.toString(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"));
    }

    /** Everything readable from the start of {@code partitions} at {@code isolation}, within a few seconds. */
    private List<String> readAll(List<TopicPartition> partitions, IsolationLevel isolation, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = reader(isolation)) {
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.currentTimeMillis() + 15_000;
            while (System.currentTimeMillis() < deadline && values.size() < expected) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(new String(r.value()));
                }
            }
            // and nothing more shows up
            long quiet = System.currentTimeMillis() + 1_000;
            while (System.currentTimeMillis() < quiet) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(new String(r.value()));
                }
            }
        }
        return values;
    }

    private static void createTopic(Admin admin, String topic, int partitions, Map<String, String> configs)
            throws Exception {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(configs))).all()
                .get(30, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"pulsar", "kafka"})
    void readCommittedSeesCommittedRecordsOnlyAndPulsarConsumersNoMarkers(String format) throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-" + format);
        List<TopicPartition> partitions = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
        try (Admin admin = broker.admin()) {
            createTopic(admin, topic, 2, Map.of("kop.entry.format", format));
        }
        try (KafkaProducer<byte[], byte[]> producer = transactional("txn-" + UUID.randomUUID(), Map.of())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 4; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, null, ("c1-" + i).getBytes()));
            }
            producer.commitTransaction();
            producer.beginTransaction();
            for (int i = 0; i < 3; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, null, ("a-" + i).getBytes()));
            }
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            for (int i = 0; i < 2; i++) {
                producer.send(new ProducerRecord<>(topic, i % 2, null, ("c2-" + i).getBytes()));
            }
            producer.commitTransaction();
        }
        List<String> committed = readAll(partitions, IsolationLevel.READ_COMMITTED, 6);
        assertEquals(List.of("c1-0", "c1-1", "c1-2", "c1-3", "c2-0", "c2-1"),
                committed.stream().sorted().toList());
        List<String> everything = readAll(partitions, IsolationLevel.READ_UNCOMMITTED, 9);
        assertEquals(9, everything.size(), "read_uncommitted sees aborted records too: " + everything);
        assertTrue(everything.containsAll(List.of("a-0", "a-1", "a-2")));

        if (format.equals("pulsar")) {
            // Pulsar consumers get the committed records, neither aborted ones nor the markers.
            try (PulsarClient client = broker.pulsarClient();
                 Consumer<byte[]> consumer = client.newConsumer().topic("persistent://public/default/" + topic)
                         .subscriptionName("txn-reader").subscriptionInitialPosition(SubscriptionInitialPosition.Earliest)
                         .subscribe()) {
                List<String> seen = new ArrayList<>();
                Message<byte[]> m;
                while ((m = consumer.receive(2, TimeUnit.SECONDS)) != null) {
                    seen.add(new String(m.getValue()));
                    consumer.acknowledge(m);
                }
                assertEquals(List.of("c1-0", "c1-1", "c1-2", "c1-3", "c2-0", "c2-1"), seen.stream().sorted().toList(),
                        "committed records only: " + seen);
            }
        }
    }

    /**
     * A Pulsar consumer of a topic with Kafka transactions: it waits at an open transaction (Kafka's
     * last stable offset), gets a committed one's records in their place, never an aborted one's; and
     * after a broker restart a Pulsar client alone (no Kafka request) gets the same.
     */
    @Test
    void pulsarConsumersWaitForOpenTransactionsAndNeverSeeAbortedOnes() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-pulsar-view");
        String pulsarTopic = "persistent://public/default/" + topic;
        try (Admin admin = broker.admin()) {
            createTopic(admin, topic, 1, Map.of());
        }
        try (PulsarClient client = broker.pulsarClient();
             Consumer<byte[]> consumer = client.newConsumer().topic(pulsarTopic).subscriptionName("view")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe();
             KafkaProducer<byte[], byte[]> plain = broker.producer(Map.of());
             KafkaProducer<byte[], byte[]> txn = transactional("txn-view-" + UUID.randomUUID(), Map.of())) {
            plain.send(new ProducerRecord<>(topic, "p-1".getBytes())).get();
            txn.initTransactions();
            txn.beginTransaction();
            txn.send(new ProducerRecord<>(topic, "t-1".getBytes()));
            txn.flush();
            plain.send(new ProducerRecord<>(topic, "p-2".getBytes())).get();
            assertEquals(List.of("p-1"), receiveAll(consumer, 3), "held at the open transaction");

            txn.commitTransaction();
            assertEquals(List.of("t-1", "p-2"), receiveAll(consumer, 3), "released by the commit, in order");

            txn.beginTransaction();
            txn.send(new ProducerRecord<>(topic, "t-aborted".getBytes()));
            txn.flush();
            txn.abortTransaction();
            plain.send(new ProducerRecord<>(topic, "p-3".getBytes())).get();
            assertEquals(List.of("p-3"), receiveAll(consumer, 3), "the aborted record is skipped");
        }
        broker.restart();
        try (PulsarClient client = broker.pulsarClient();
             Consumer<byte[]> consumer = client.newConsumer().topic(pulsarTopic).subscriptionName("after-restart")
                     .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).subscribe()) {
            assertEquals(List.of("p-1", "t-1", "p-2", "p-3"), receiveAll(consumer, 5),
                    "after a restart, with no Kafka client");
        }
    }

    /**
     * A transactional id unused for {@code kafkaTransactionalIdExpirationMs} (15 s in the test broker) is
     * forgotten, as Kafka's {@code transactional.id.expiration.ms} has it; a producer that comes back
     * with it starts afresh under a new producer id.
     */
    @Test
    void anUnusedTransactionalIdExpires() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-expiry");
        String id = "expiring-" + UUID.randomUUID();
        try (Admin admin = broker.admin()) {
            createTopic(admin, topic, 1, Map.of());
        }
        long firstProducerId;
        try (KafkaProducer<byte[], byte[]> producer = transactional(id, Map.of())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "before".getBytes()));
            producer.commitTransaction();
            firstProducerId = producerIdAndEpoch(producer).getKey();
        }
        try (Admin admin = broker.admin()) {
            assertEquals(firstProducerId, admin.describeTransactions(List.of(id)).description(id)
                    .get(30, TimeUnit.SECONDS).producerId());
            long deadline = System.currentTimeMillis() + 60_000;
            while (true) {
                try {
                    admin.describeTransactions(List.of(id)).description(id).get(30, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException e) {
                    assertTrue(e.getCause() instanceof org.apache.kafka.common.errors.TransactionalIdNotFoundException,
                            e.toString());
                    break;
                }
                assertTrue(System.currentTimeMillis() < deadline, "the id did not expire");
                Thread.sleep(500);
            }
            assertTrue(admin.listTransactions().all().get(30, TimeUnit.SECONDS).stream()
                    .noneMatch(l -> l.transactionalId().equals(id)), "listed after expiring");
        }
        try (KafkaProducer<byte[], byte[]> producer = transactional(id, Map.of())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "after".getBytes()));
            producer.commitTransaction();
            assertTrue(producerIdAndEpoch(producer).getKey() != firstProducerId, "a new producer id");
        }
        assertEquals(List.of("before", "after"), readAll(List.of(new TopicPartition(topic, 0)),
                IsolationLevel.READ_COMMITTED, 2));
    }

    /** What the consumer receives until nothing more comes for {@code quietSeconds}. */
    private static List<String> receiveAll(Consumer<byte[]> consumer, int quietSeconds) throws Exception {
        List<String> seen = new ArrayList<>();
        Message<byte[]> m;
        while ((m = consumer.receive(quietSeconds, TimeUnit.SECONDS)) != null) {
            seen.add(new String(m.getValue()));
            consumer.acknowledge(m);
        }
        return seen;
    }

    /**
     * One producer committing transactions back to back, several batches in flight per partition: with
     * transactions v2 every commit bumps the epoch, and each next transaction's partitions join it as
     * their first batches arrive, while the previous one's markers may still be on their way.
     */
    @Test
    void backToBackTransactionsOfOneProducerAllCommit() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-back-to-back");
        int partitions = 4;
        int transactions = 150;
        int perTransaction = 100;
        try (Admin admin = broker.admin()) {
            createTopic(admin, topic, partitions, Map.of());
        }
        byte[] value = new byte[1024];
        try (KafkaProducer<byte[], byte[]> producer = transactional("txn-" + UUID.randomUUID(),
                Map.of(ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.BATCH_SIZE_CONFIG, 16384))) {
            producer.initTransactions();
            for (int t = 0; t < transactions; t++) {
                producer.beginTransaction();
                for (int i = 0; i < perTransaction; i++) {
                    producer.send(new ProducerRecord<>(topic, i % partitions, null, value));
                }
                producer.commitTransaction();
            }
        }
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            tps.add(new TopicPartition(topic, p));
        }
        try (KafkaConsumer<byte[], byte[]> consumer = reader(IsolationLevel.READ_COMMITTED)) {
            Map<TopicPartition, Long> ends = consumer.endOffsets(tps);
            long records = 0;
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            long deadline = System.currentTimeMillis() + 30_000;
            while (records < (long) transactions * perTransaction && System.currentTimeMillis() < deadline) {
                records += consumer.poll(Duration.ofMillis(200)).count();
            }
            assertEquals((long) transactions * perTransaction, records);
            // every partition: its records and one marker per transaction, all below the last stable offset
            for (TopicPartition tp : tps) {
                assertEquals((long) transactions * (perTransaction / partitions + 1), ends.get(tp), tp.toString());
            }
        }
    }

    @Test
    void theLastStableOffsetHoldsReadCommittedConsumersBackUntilTheCommit() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-lso");
        TopicPartition tp = new TopicPartition(topic, 0);
        String id = "lso-" + UUID.randomUUID();
        try (Admin admin = broker.admin();
             KafkaProducer<byte[], byte[]> plain = broker.producer(Map.of());
             KafkaProducer<byte[], byte[]> producer = transactional(id, Map.of())) {
            createTopic(admin, topic, 1, Map.of());
            plain.send(new ProducerRecord<>(topic, 0, null, "before".getBytes())).get(30, TimeUnit.SECONDS);
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 0, null, "in-txn".getBytes())).get(30, TimeUnit.SECONDS);
            // a record after the open transaction's first one is held back too
            plain.send(new ProducerRecord<>(topic, 0, null, "after".getBytes())).get(30, TimeUnit.SECONDS);

            long committedEnd = admin.listOffsets(Map.of(tp, OffsetSpec.latest()),
                    new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).partitionResult(tp).get().offset();
            long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset();
            assertEquals(1, committedEnd, "the last stable offset is the open transaction's first offset");
            assertEquals(3, end);
            assertEquals(List.of("before"), readAll(List.of(tp), IsolationLevel.READ_COMMITTED, 1));

            TransactionDescription open = admin.describeTransactions(List.of(id)).all().get().get(id);
            assertEquals(TransactionState.ONGOING, open.state());
            assertEquals(1, open.topicPartitions().size());
            // Kafka's own tool sees the same: the open transaction, and its start offset at the partition
            String bootstrap = "127.0.0.1:" + broker.kafkaPort();
            KafkaCliToolsTest.Result list = KafkaCliToolsTest.run(null, "org.apache.kafka.tools.TransactionsCommand",
                    "--bootstrap-server", bootstrap, "list");
            assertEquals(0, list.exitCode(), list.toString());
            assertTrue(list.out().contains(id) && list.out().contains("Ongoing"), list.toString());
            KafkaCliToolsTest.Result producers = KafkaCliToolsTest.run(null,
                    "org.apache.kafka.tools.TransactionsCommand", "--bootstrap-server", bootstrap,
                    "describe-producers", "--topic", topic, "--partition", "0");
            assertEquals(0, producers.exitCode(), producers.toString());
            assertTrue(producers.out().lines().anyMatch(l -> l.trim().endsWith("1")), "CurrentTransactionStartOffset 1: "
                    + producers);

            producer.commitTransaction();
            assertEquals(List.of("before", "in-txn", "after"), readAll(List.of(tp), IsolationLevel.READ_COMMITTED, 3));
        }
    }

    @Test
    void aNewProducerWithTheSameIdFencesTheOldOneAndAbortsItsTransaction() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-zombie");
        TopicPartition tp = new TopicPartition(topic, 0);
        String id = "zombie-" + UUID.randomUUID();
        try (Admin admin = broker.admin()) {
            createTopic(admin, topic, 1, Map.of());
        }
        try (KafkaProducer<byte[], byte[]> zombie = transactional(id, Map.of());
             KafkaProducer<byte[], byte[]> successor = transactional(id, Map.of())) {
            zombie.initTransactions();
            zombie.beginTransaction();
            zombie.send(new ProducerRecord<>(topic, 0, null, "zombie".getBytes())).get(30, TimeUnit.SECONDS);

            successor.initTransactions(); // aborts the zombie's transaction, bumps the epoch
            successor.beginTransaction();
            successor.send(new ProducerRecord<>(topic, 0, null, "successor".getBytes())).get(30, TimeUnit.SECONDS);
            successor.commitTransaction();

            Exception fenced = assertThrows(Exception.class, () -> {
                zombie.send(new ProducerRecord<>(topic, 0, null, "late".getBytes())).get(30, TimeUnit.SECONDS);
                zombie.commitTransaction();
            });
            Throwable cause = fenced instanceof java.util.concurrent.ExecutionException ? fenced.getCause() : fenced;
            assertTrue(cause instanceof ProducerFencedException || cause instanceof InvalidProducerEpochException,
                    "the zombie is fenced: " + cause);
        }
        assertEquals(List.of("successor"), readAll(List.of(tp), IsolationLevel.READ_COMMITTED, 1));
    }

    @Test
    void aTransactionOpenLongerThanItsTimeoutIsAborted() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-timeout");
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = broker.admin()) {
            createTopic(admin, topic, 1, Map.of());
        }
        try (KafkaProducer<byte[], byte[]> hanging = transactional("hang-" + UUID.randomUUID(),
                Map.of(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 2000));
             Admin admin = broker.admin()) {
            hanging.initTransactions();
            hanging.beginTransaction();
            hanging.send(new ProducerRecord<>(topic, 0, null, "never".getBytes())).get(30, TimeUnit.SECONDS);
            long deadline = System.currentTimeMillis() + 20_000;
            long lso = 0;
            while (System.currentTimeMillis() < deadline && lso < 2) {
                Thread.sleep(250);
                lso = admin.listOffsets(Map.of(tp, OffsetSpec.latest()), new ListOffsetsOptions(
                        IsolationLevel.READ_COMMITTED)).partitionResult(tp).get().offset();
            }
            assertEquals(2, lso, "the abort marker ends the transaction: record and marker are stable");
            assertEquals(List.of(), readAll(List.of(tp), IsolationLevel.READ_COMMITTED, 0));
            assertThrows(Exception.class, hanging::commitTransaction, "the producer was fenced by the abort");
        }
    }

    @Test
    void offsetsCommittedInATransactionShowOnlyWhenItCommits() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-offsets");
        String group = "txn-group-" + UUID.randomUUID();
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = broker.admin();
             KafkaProducer<byte[], byte[]> producer = transactional("offsets-" + UUID.randomUUID(), Map.of())) {
            createTopic(admin, topic, 1, Map.of());
            producer.initTransactions();
            var metadata = new org.apache.kafka.clients.consumer.ConsumerGroupMetadata(group);

            producer.beginTransaction();
            producer.sendOffsetsToTransaction(Map.of(tp, new OffsetAndMetadata(5)), metadata);
            producer.abortTransaction();
            assertEquals(Map.of(), admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(),
                    "aborted offsets never show");

            producer.beginTransaction();
            producer.sendOffsetsToTransaction(Map.of(tp, new OffsetAndMetadata(7)), metadata);
            producer.commitTransaction();
            long deadline = System.currentTimeMillis() + 10_000;
            Map<TopicPartition, OffsetAndMetadata> offsets = Map.of();
            while (System.currentTimeMillis() < deadline && offsets.isEmpty()) {
                offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                Thread.sleep(100);
            }
            assertEquals(7, offsets.get(tp).offset());
        }
    }

    /**
     * The offsets topic is compacted (every 20 records in the test broker) while a transaction's offset
     * is pending, and after it aborts or commits; a restart reads the compacted state back: the
     * aborted offset never replaces the committed one, the committed one does.
     */
    @Test
    void offsetsCompactionKeepsTransactionalOffsetsRightAcrossARestart() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-compact");
        String group = "txn-compact-" + UUID.randomUUID();
        TopicPartition tp = new TopicPartition(topic, 0);
        TopicPartition other = new TopicPartition(topic, 1);
        var metadata = new org.apache.kafka.clients.consumer.ConsumerGroupMetadata(group);
        try (Admin admin = broker.admin()) {
            createTopic(admin, topic, 2, Map.of());
        }
        try (KafkaConsumer<byte[], byte[]> committer = broker.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG, group));
             KafkaProducer<byte[], byte[]> producer = transactional("compact-" + UUID.randomUUID(), Map.of())) {
            committer.assign(List.of(tp, other));
            committer.commitSync(Map.of(tp, new OffsetAndMetadata(50)));
            producer.initTransactions();

            producer.beginTransaction();
            producer.sendOffsetsToTransaction(Map.of(tp, new OffsetAndMetadata(999)), metadata);
            for (int i = 1; i <= 30; i++) { // compactions while the transaction is open
                committer.commitSync(Map.of(other, new OffsetAndMetadata(i)));
            }
            producer.abortTransaction();
            for (int i = 31; i <= 60; i++) { // and after it ended
                committer.commitSync(Map.of(other, new OffsetAndMetadata(i)));
            }

            producer.beginTransaction();
            producer.sendOffsetsToTransaction(Map.of(tp, new OffsetAndMetadata(77)), metadata);
            producer.commitTransaction();
            for (int i = 61; i <= 90; i++) {
                committer.commitSync(Map.of(other, new OffsetAndMetadata(i)));
            }
        }
        broker.restart();
        try (Admin admin = broker.admin()) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(60, TimeUnit.SECONDS);
            assertEquals(77, offsets.get(tp).offset(), "the committed transaction's offset, not the aborted one");
            assertEquals(90, offsets.get(other).offset());
        }
    }

    /**
     * A compacted topic with transactions: the cleaner stops at the last stable offset, drops aborted
     * records and markers, keeps committed records as the latest of their keys.
     */
    @Test
    void compactionDropsAbortedRecordsAndStopsAtTheLastStableOffset() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-compacted");
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = broker.admin()) {
            createTopic(admin, topic, 1, Map.of("cleanup.policy", "compact", "min.cleanable.dirty.ratio", "0.01",
                    "segment.ms", "1000"));
        }
        try (KafkaProducer<byte[], byte[]> producer = transactional("compacted-" + UUID.randomUUID(), Map.of());
             KafkaProducer<byte[], byte[]> open = transactional("open-" + UUID.randomUUID(), Map.of())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 0, "k1".getBytes(), "committed".getBytes()));
            producer.send(new ProducerRecord<>(topic, 0, "k2".getBytes(), "committed".getBytes()));
            producer.commitTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 0, "k1".getBytes(), "aborted".getBytes()));
            producer.flush();
            producer.abortTransaction();
            open.initTransactions();
            open.beginTransaction(); // stays open: nothing from here on may be compacted
            open.send(new ProducerRecord<>(topic, 0, "k2".getBytes(), "pending".getBytes())).get(30, TimeUnit.SECONDS);

            // offsets: k1 0, k2 1, marker 2, aborted k1 3, marker 4, pending k2 5
            List<Long> offsets = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < deadline) {
                offsets = offsetsReadUncommitted(tp);
                if (!offsets.contains(3L)) {
                    break;
                }
                Thread.sleep(500);
            }
            assertEquals(List.of(0L, 1L, 5L), offsets, "the aborted record is compacted away, the pending one kept");
            assertEquals(List.of("committed", "committed"), readAll(List.of(tp), IsolationLevel.READ_COMMITTED, 2));
            open.commitTransaction();
            assertEquals(List.of("committed", "committed", "pending"),
                    readAll(List.of(tp), IsolationLevel.READ_COMMITTED, 3));
        }
    }

    /**
     * A compacted range of a transactional topic ends with a marker, which compaction drops: a consumer
     * in that gap is still moved to the end of the log (Kafka's empty batch), not left there.
     */
    @Test
    void aConsumerGetsPastTheGapAtTheEndOfACompactedRange() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-gap");
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = broker.admin()) {
            createTopic(admin, topic, 1, Map.of("cleanup.policy", "compact", "min.cleanable.dirty.ratio", "0.01",
                    "segment.ms", "1000"));
        }
        try (KafkaProducer<byte[], byte[]> producer = transactional("gap-" + UUID.randomUUID(), Map.of())) {
            producer.initTransactions();
            for (String value : List.of("a", "b")) { // k@0, marker 1, k@2, marker 3
                producer.beginTransaction();
                producer.send(new ProducerRecord<>(topic, 0, "k".getBytes(), value.getBytes()));
                producer.commitTransaction();
            }
        }
        long deadline = System.currentTimeMillis() + 60_000;
        List<Long> offsets = offsetsReadUncommitted(tp);
        while (!offsets.equals(List.of(2L)) && System.currentTimeMillis() < deadline) {
            Thread.sleep(500);
            offsets = offsetsReadUncommitted(tp);
        }
        assertEquals(List.of(2L), offsets, "compacted: the latest record of k");
        try (KafkaConsumer<byte[], byte[]> consumer = reader(IsolationLevel.READ_COMMITTED)) {
            consumer.assign(List.of(tp));
            consumer.seek(tp, 3); // in the gap the dropped marker left
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            assertEquals(4, end);
            long until = System.currentTimeMillis() + 15_000;
            while (consumer.position(tp) < end && System.currentTimeMillis() < until) {
                consumer.poll(Duration.ofMillis(200));
            }
            assertEquals(end, consumer.position(tp), "the consumer reaches the end of the log");
        }
    }

    private List<Long> offsetsReadUncommitted(TopicPartition tp) {
        List<Long> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = reader(IsolationLevel.READ_UNCOMMITTED)) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long deadline = System.currentTimeMillis() + 15_000;
            while (consumer.position(tp) < end && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.offset()));
            }
        }
        return out;
    }

    @Test
    void requestsOutOfTurnGetKafkasErrorsAndChangeNothing() throws Exception {
        String topic = KopTestBroker.uniqueTopic("txn-bad");
        TopicPartition tp = new TopicPartition(topic, 0);
        String id = "bad-" + UUID.randomUUID();
        try (Admin admin = broker.admin()) {
            createTopic(admin, topic, 1, Map.of());
        }
        long producerId;
        short epoch;
        try (KafkaProducer<byte[], byte[]> first = transactional(id, Map.of());
             RawKafkaClient raw = new RawKafkaClient(broker.kafkaPort())) {
            first.initTransactions(); // epoch 0; the next producer of the id gets 1
            var begun = producerIdAndEpoch(first);
            EndTxnResponse neverBegun = raw.send(new EndTxnRequest.Builder(new EndTxnRequestData()
                    .setTransactionalId(id).setProducerId(begun.getKey()).setProducerEpoch(begun.getValue())
                    .setCommitted(true), false).build((short) 4));
            assertEquals(Errors.INVALID_TXN_STATE, neverBegun.error(), "EndTxn for a transaction never begun");
        }
        try (KafkaProducer<byte[], byte[]> producer = transactional(id, Map.of())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, 0, null, "kept".getBytes())).get(30, TimeUnit.SECONDS);
            producer.commitTransaction();
            var pidAndEpoch = producerIdAndEpoch(producer);
            producerId = pidAndEpoch.getKey();
            epoch = pidAndEpoch.getValue();
        }
        assertTrue(epoch >= 1, "a second producer of the id, and with transactions v2 one more per transaction");
        try (RawKafkaClient raw = new RawKafkaClient(broker.kafkaPort())) {
            // EndTxn with no transaction begun, and with an unknown producer, and an older epoch
            // a retried commit of the finished transaction succeeds (CONCURRENT_TRANSACTIONS, which clients
            // retry, while its markers are still being written)
            EndTxnResponse noTxn;
            long until = System.currentTimeMillis() + 10_000;
            do {
                noTxn = raw.send(new EndTxnRequest.Builder(new EndTxnRequestData().setTransactionalId(id)
                        .setProducerId(producerId).setProducerEpoch(epoch).setCommitted(true), false)
                        .build((short) 4));
            } while (noTxn.error() == Errors.CONCURRENT_TRANSACTIONS && System.currentTimeMillis() < until);
            assertEquals(Errors.NONE, noTxn.error(), "a retried commit of the finished transaction succeeds");
            EndTxnResponse abortDone = raw.send(new EndTxnRequest.Builder(new EndTxnRequestData()
                    .setTransactionalId(id).setProducerId(producerId).setProducerEpoch(epoch).setCommitted(false),
                    false).build((short) 4));
            assertEquals(Errors.INVALID_TXN_STATE, abortDone.error());
            EndTxnResponse unknown = raw.send(new EndTxnRequest.Builder(new EndTxnRequestData()
                    .setTransactionalId(id).setProducerId(producerId + 1000).setProducerEpoch(epoch)
                    .setCommitted(true), false).build((short) 4));
            assertEquals(Errors.INVALID_PRODUCER_ID_MAPPING, unknown.error());
            EndTxnResponse old = raw.send(new EndTxnRequest.Builder(new EndTxnRequestData()
                    .setTransactionalId(id).setProducerId(producerId).setProducerEpoch((short) (epoch - 1))
                    .setCommitted(true), false).build((short) 4));
            assertEquals(Errors.PRODUCER_FENCED, old.error());

            // a marker with an epoch older than the producer's is refused by the partition
            WriteTxnMarkersResponse stale = raw.send(new WriteTxnMarkersRequest.Builder(List.of(
                    new WriteTxnMarkersRequest.TxnMarkerEntry(producerId, (short) (epoch - 1), 0,
                            TransactionResult.ABORT, List.of(tp), (short) 0))).build());
            Errors staleError = stale.errorsByProducerId().get(producerId).get(tp);
            assertEquals(Errors.INVALID_PRODUCER_EPOCH, staleError);

            // a transactions v1 batch (Produce v11) for a partition not in an open transaction: refused
            // after asking the coordinator (KIP-890 part 1), so no transaction hangs on it
            var hanging = raw.produce(topic, org.apache.kafka.common.record.internal.MemoryRecords
                    .withTransactionalRecords(org.apache.kafka.common.compress.Compression.NONE, producerId, epoch, 0,
                            new org.apache.kafka.common.record.internal.SimpleRecord("hanging".getBytes())),
                    id, (short) 11);
            assertEquals(Errors.INVALID_TXN_STATE.code(), hanging.errorCode(), hanging.toString());
        }
        assertEquals(List.of("kept"), readAll(List.of(tp), IsolationLevel.READ_UNCOMMITTED, 1),
                "the refused batch was not stored");
        assertEquals(List.of("kept"), readAll(List.of(tp), IsolationLevel.READ_COMMITTED, 1));
    }

    private static Map.Entry<Long, Short> producerIdAndEpoch(KafkaProducer<byte[], byte[]> producer) throws Exception {
        var field = KafkaProducer.class.getDeclaredField("transactionManager");
        field.setAccessible(true);
        Object manager = field.get(producer);
        var method = manager.getClass().getDeclaredMethod("producerIdAndEpoch");
        method.setAccessible(true);
        Object pe = method.invoke(manager);
        long id = pe.getClass().getField("producerId").getLong(pe);
        short epoch = pe.getClass().getField("epoch").getShort(pe);
        return Map.entry(id, epoch);
    }
}
