package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** subscribe() with Kafka's group coordinator embedded: classic and KIP-848 protocols. */
class ConsumerGroupTest {
    private final KopTestBroker broker = KopTestBroker.get();

    /** What a new classic member of {@code group} reads first: from where the group's committed offsets say. */
    private List<ConsumerRecord<byte[], byte[]>> rejoinAndPoll(String group, String topic, int expected) {
        try (KafkaConsumer<byte[], byte[]> consumer = groupConsumer(group, "classic", Map.of())) {
            consumer.subscribe(List.of(topic));
            return ProduceFetchTest.poll(consumer, expected, 60_000);
        }
    }

    KafkaConsumer<byte[], byte[]> groupConsumer(String group, String protocol, Map<String, Object> extra) {
        Properties p = broker.clientProps();
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        if (protocol.equals("classic")) {
            p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500);
            p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        }
        p.putAll(extra);
        return new KafkaConsumer<>(p);
    }

    void produce(String topic, int partitions, int from, int to) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of())) {
            for (int i = from; i < to; i++) {
                for (int p = 0; p < partitions; p++) {
                    producer.send(new ProducerRecord<>(topic, p, null, (p + ":" + i).getBytes()));
                }
            }
            producer.flush();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"classic", "consumer"})
    void membersSplitPartitionsAndTakeOverWithoutLossOrDuplicates(String protocol) throws Exception {
        String topic = KopTestBroker.uniqueTopic("group-" + protocol);
        String group = "g-" + topic;
        int partitions = 6;
        int perPartition = 200;
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
        }
        produce(topic, partitions, 0, perPartition / 2);

        Map<String, Integer> seen = new ConcurrentHashMap<>();
        List<Set<TopicPartition>> assignments = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        List<AtomicBoolean> leaving = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            AtomicBoolean leave = new AtomicBoolean();
            leaving.add(leave);
            int index = c;
            assignments.add(Set.of());
            Thread t = new Thread(() -> {
                try (KafkaConsumer<byte[], byte[]> consumer = groupConsumer(group, protocol, Map.of())) {
                    consumer.subscribe(List.of(topic));
                    while (!stop.get() && !leave.get()) {
                        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                            seen.merge(new String(r.value()), 1, Integer::sum);
                        }
                        consumer.commitSync();
                        assignments.set(index, new HashSet<>(consumer.assignment()));
                    }
                }
            });
            threads.add(t);
            t.start();
        }
        waitUntil(() -> assignments.stream().allMatch(a -> !a.isEmpty())
                && assignments.stream().mapToInt(Set::size).sum() == partitions, "three members share 6 partitions");
        leaving.get(0).set(true);
        threads.get(0).join(30_000);
        produce(topic, partitions, perPartition / 2, perPartition);
        try {
            waitUntil(() -> seen.size() == partitions * perPartition, "all records consumed after one member left");
        } catch (AssertionError e) {
            Map<Integer, Integer> perP = new java.util.TreeMap<>();
            seen.keySet().forEach(v -> perP.merge(Integer.parseInt(v.split(":")[0]), 1, Integer::sum));
            throw new AssertionError(e.getMessage() + ": seen per partition " + perP + ", assignments " + assignments);
        }
        stop.set(true);
        for (Thread t : threads) {
            t.join(30_000);
        }
        assertEquals(partitions * perPartition, seen.size());
        seen.forEach((value, count) -> assertEquals(1, count, "consumed once: " + value));

        try (Admin admin = broker.admin()) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            assertEquals(partitions, committed.size());
            committed.values().forEach(o -> assertEquals(perPartition, o.offset()));
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
            assertEquals(group, d.groupId());
        }
    }

    @Test
    void committedOffsetsSurviveABrokerRestart() throws Exception {
        String topic = KopTestBroker.uniqueTopic("group-restart");
        String group = "g-" + topic;
        produce(topic, 1, 0, 10);
        try (KafkaConsumer<byte[], byte[]> consumer = groupConsumer(group, "classic", Map.of())) {
            consumer.subscribe(List.of(topic));
            int got = 0;
            long deadline = System.currentTimeMillis() + 30_000;
            while (got < 10 && System.currentTimeMillis() < deadline) {
                got += consumer.poll(Duration.ofMillis(200)).count();
            }
            assertEquals(10, got);
            consumer.commitSync(Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(7)));
        }
        broker.restart();
        List<ConsumerRecord<byte[], byte[]>> records = rejoinAndPoll(group, topic, 3);
        assertEquals(3, records.size());
        assertEquals(7, records.get(0).offset(), "resumes at the committed offset");
    }

    @Test
    void staticMemberRestartsWithoutARebalance() throws Exception {
        String topic = KopTestBroker.uniqueTopic("group-static");
        String group = "g-" + topic;
        produce(topic, 1, 0, 5);
        Map<String, Object> staticMember = Map.of(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "instance-1",
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 30_000);
        int generation;
        try (KafkaConsumer<byte[], byte[]> consumer = groupConsumer(group, "classic", staticMember)) {
            consumer.subscribe(List.of(topic));
            waitForAssignment(consumer);
            generation = consumer.groupMetadata().generationId();
            consumer.commitSync();
        }
        try (KafkaConsumer<byte[], byte[]> consumer = groupConsumer(group, "classic", staticMember)) {
            consumer.subscribe(List.of(topic));
            waitForAssignment(consumer);
            assertEquals(generation, consumer.groupMetadata().generationId(), "no rebalance for a returning static member");
        }
        try (Admin admin = broker.admin()) {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
            assertTrue(d.members().isEmpty() || d.members().iterator().next().groupInstanceId().orElse("").equals("instance-1"));
        }
    }

    private static void waitForAssignment(KafkaConsumer<byte[], byte[]> consumer) {
        long deadline = System.currentTimeMillis() + 30_000;
        while (consumer.assignment().isEmpty() && System.currentTimeMillis() < deadline) {
            consumer.poll(Duration.ofMillis(200));
        }
        assertTrue(!consumer.assignment().isEmpty(), "assignment received");
    }

    @Test
    void consumerGroupsToolDescribesAndDeletes() throws Exception {
        String topic = KopTestBroker.uniqueTopic("group-cli");
        String group = "g-" + topic;
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
        }
        produce(topic, 2, 0, 10);
        try (KafkaConsumer<byte[], byte[]> consumer = groupConsumer(group, "classic", Map.of())) {
            consumer.subscribe(List.of(topic));
            waitForAssignment(consumer);
            consumer.commitSync(Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(4),
                    new TopicPartition(topic, 1), new OffsetAndMetadata(10)));
        }
        String tool = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand";
        var list = KafkaCliToolsTest.run(null, tool, "--bootstrap-server", broker.bootstrap(), "--list");
        assertTrue(list.out().lines().anyMatch(group::equals), list.toString());
        var describe = KafkaCliToolsTest.run(null, tool, "--bootstrap-server", broker.bootstrap(), "--describe",
                "--group", group);
        String row0 = describe.out().lines().filter(l -> l.contains(topic) && l.matches(".*\\s0\\s.*"))
                .findFirst().orElseThrow(() -> new AssertionError(describe.toString()));
        assertTrue(row0.matches(".*\\s4\\s+10\\s+6\\s.*"), "current 4, end 10, lag 6: " + row0);

        var reset = KafkaCliToolsTest.run(null, tool, "--bootstrap-server", broker.bootstrap(), "--reset-offsets",
                "--group", group, "--topic", topic + ":0", "--to-offset", "2", "--execute");
        assertEquals(0, reset.exitCode(), reset.toString());
        var earliest = KafkaCliToolsTest.run(null, tool, "--bootstrap-server", broker.bootstrap(), "--reset-offsets",
                "--group", group, "--topic", topic + ":1", "--to-earliest", "--execute");
        assertEquals(0, earliest.exitCode(), earliest.toString());
        try (Admin admin = broker.admin()) {
            var offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            assertEquals(2, offsets.get(new TopicPartition(topic, 0)).offset());
            assertEquals(0, offsets.get(new TopicPartition(topic, 1)).offset());
        }
        var byType = KafkaCliToolsTest.run(null, tool, "--bootstrap-server", broker.bootstrap(), "--list",
                "--type", "classic", "--state", "Empty");
        assertTrue(byType.out().lines().anyMatch(l -> l.startsWith(group + " ") && l.contains("Empty")
                && l.contains("Classic")), byType.toString());

        var deleteOffsets = KafkaCliToolsTest.run(null, tool, "--bootstrap-server", broker.bootstrap(),
                "--delete-offsets", "--group", group, "--topic", topic + ":1");
        assertEquals(0, deleteOffsets.exitCode(), deleteOffsets.toString());
        try (Admin admin = broker.admin()) {
            var offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            assertEquals(Set.of(new TopicPartition(topic, 0)), offsets.keySet());
            var listed = admin.listGroups().all().get().stream().filter(g -> g.groupId().equals(group)).toList();
            assertEquals(1, listed.size());
            var described = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
            assertEquals(listed.get(0).groupState().orElseThrow(), described.groupState());
        }
        var delete = KafkaCliToolsTest.run(null, tool, "--bootstrap-server", broker.bootstrap(), "--delete",
                "--group", group);
        assertTrue(delete.out().contains("successful"), delete.toString());
        try (Admin admin = broker.admin()) {
            assertTrue(admin.listGroups().all().get().stream().noneMatch(g -> g.groupId().equals(group)));
        }
    }

    /**
     * The coordinator's topic image covers every namespace, not only the default one: a KIP-848 member
     * subscribed to {@code tenant/namespace/topic} gets its partitions assigned.
     */
    @Test
    void consumerProtocolGroupsResolveTopicsOfOtherNamespaces() throws Exception {
        String namespace = "public/" + KopTestBroker.uniqueTopic("ns");
        String topic = namespace + "/orders";
        try (var pulsarAdmin = broker.pulsarAdmin()) {
            pulsarAdmin.namespaces().createNamespace(namespace);
        }
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
        }
        produce(topic, 2, 0, 20);
        try (KafkaConsumer<byte[], byte[]> consumer = groupConsumer("g-" + namespace.replace('/', '-'), "consumer",
                Map.of())) {
            consumer.subscribe(List.of(topic));
            assertEquals(40, ProduceFetchTest.poll(consumer, 40, 60_000).size());
        }
    }

    @Test
    void groupsAppearAsPulsarSubscriptionsWithTheLagAsBacklog() throws Exception {
        String topic = KopTestBroker.uniqueTopic("group-subscription");
        String group = "g-" + topic;
        String partition = "persistent://public/default/" + topic + "-partition-0";
        try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, ("r" + i).getBytes())).get(); // one entry each
            }
        }
        try (KafkaConsumer<byte[], byte[]> consumer = groupConsumer(group, "classic", Map.of())) {
            consumer.subscribe(List.of(topic));
            waitForAssignment(consumer);
            consumer.commitSync(Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(4)));
        }
        try (var pulsarAdmin = broker.pulsarAdmin()) {
            waitUntil(() -> backlog(pulsarAdmin, partition, group) == 6, "subscription " + group + " with backlog 6");
            try (Admin admin = broker.admin()) {
                admin.deleteConsumerGroups(List.of(group)).all().get();
            }
            waitUntil(() -> backlog(pulsarAdmin, partition, group) == -1, "subscription removed with the group");
        }
    }

    @Test
    void groupContinuesWhenItsCoordinatorPartitionMoves() throws Exception {
        String topic = KopTestBroker.uniqueTopic("group-move");
        String group = "g-" + topic;
        produce(topic, 1, 0, 20);
        try (KafkaConsumer<byte[], byte[]> consumer = groupConsumer(group, "classic", Map.of());
             var pulsarAdmin = broker.pulsarAdmin()) {
            consumer.subscribe(List.of(topic));
            waitForAssignment(consumer);
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(5)));
            // Pulsar moves every bundle of the metadata namespace: the coordinator unloads and reloads
            pulsarAdmin.namespaces().unload("public/__kafka");
            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(12)), Duration.ofSeconds(60));
            assertEquals(12, consumer.committed(Set.of(tp), Duration.ofSeconds(60)).get(tp).offset());
        }
        List<ConsumerRecord<byte[], byte[]>> records = rejoinAndPoll(group, topic, 1);
        assertEquals(12, records.get(0).offset(), "resumes at the offset committed after the move");
    }

    @Test
    void offsetsTopicIsCompactedAndStillLoads() throws Exception {
        String topic = KopTestBroker.uniqueTopic("group-compaction");
        String group = "g-" + topic;
        produce(topic, 1, 0, 1);
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = groupConsumer(group, "classic", Map.of())) {
            consumer.subscribe(List.of(topic));
            waitForAssignment(consumer);
            for (int i = 1; i <= 300; i++) {
                consumer.commitSync(Map.of(tp, new OffsetAndMetadata(i)));
            }
        }
        try (var pulsarAdmin = broker.pulsarAdmin(); Admin admin = broker.admin()) {
            waitUntil(() -> compactedPartitions(pulsarAdmin) > 0, "a compaction cursor moved past the start");
            broker.restart();
            assertEquals(300, admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                    .get(tp).offset(), "the latest commit survives compaction and reload");
        }
    }

    /** Offsets partitions whose compaction cursor has moved. */
    private static long compactedPartitions(org.apache.pulsar.client.admin.PulsarAdmin admin) {
        long moved = 0;
        for (int p = 0; p < 8; p++) {
            try {
                var stats = admin.topics().getInternalStats("persistent://public/__kafka/__consumer_offsets-partition-" + p);
                var cursor = stats.cursors.get("kop-offsets-compaction");
                if (cursor != null && !cursor.markDeletePosition.endsWith(":-1")) {
                    moved++;
                }
            } catch (Exception e) {
                // partition not loaded yet
            }
        }
        return moved;
    }

    private static long backlog(org.apache.pulsar.client.admin.PulsarAdmin admin, String topic, String subscription) {
        try {
            var stats = admin.topics().getStats(topic, true, false, false).getSubscriptions().get(subscription);
            return stats == null ? -1 : stats.getMsgBacklog();
        } catch (Exception e) {
            return -2;
        }
    }

    static void waitUntil(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting: " + what);
            }
            Thread.sleep(100);
        }
        assertTrue(condition.getAsBoolean());
    }
}
