package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsTopic;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.ListOffsetsResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochResponse;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.common.policies.data.SubscriptionStats;
import org.junit.jupiter.api.Test;

/**
 * KoP on a real multi-broker Pulsar cluster (ZooKeeper, bookies, brokers in their own processes):
 * leaders are Pulsar's owners, clients bootstrapped to any broker reach every partition, and bundle
 * moves are routine for Kafka clients.
 */
class ClusterTest {
    private final KopTestCluster cluster = KopTestCluster.get();

    static Map<Integer, Node> leaders(Admin admin, String topic) throws Exception {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
        Map<Integer, Node> out = new TreeMap<>();
        for (TopicPartitionInfo p : d.partitions()) {
            out.put(p.partition(), p.leader());
        }
        return out;
    }

    /**
     * A fresh namespace of 16 unowned bundles: Kafka's Metadata alone brings every partition into service,
     * leaders are Pulsar's owners on every broker's answer, and when Pulsar moves bundles to chosen
     * brokers (unload with a destination) the leaders follow, so they are spread over every broker.
     */
    @Test
    void leadersArePulsarsOwnersAndFollowBundleMoves() throws Exception {
        String namespace = "public/" + KopTestBroker.uniqueTopic("ns");
        String topic = namespace + "/spread";
        try (Admin a0 = cluster.admin(0); Admin a1 = cluster.admin(1); PulsarAdmin pulsar = cluster.pulsarAdmin(1)) {
            pulsar.namespaces().createNamespace(namespace, 16);
            a0.createTopics(List.of(new NewTopic(topic, 16, (short) 1))).all().get(30, TimeUnit.SECONDS);
            assertLeadersAreOwners(a0, a1, pulsar, topic);
            for (int p = 0; p < 16; p++) {
                String partition = "persistent://" + topic + "-partition-" + p;
                int target = p % KopTestCluster.BROKERS;
                String owner = pulsar.lookups().lookupTopic(partition);
                if (cluster.brokerOfPulsarUrl(owner) != target) {
                    pulsar.namespaces().unloadNamespaceBundle(namespace, pulsar.lookups().getBundleRange(partition),
                            cluster.cluster().brokerId(target));
                }
            }
            Set<Integer> brokers = assertLeadersAreOwners(a0, a1, pulsar, topic);
            assertEquals(KopTestCluster.BROKERS, brokers.size(), "leaders on every broker after the moves");
            // Every broker is in every Metadata answer, whoever leads what: the Admin client reaches
            // brokers only through that list.
            assertEquals(KopTestCluster.BROKERS, a0.describeCluster().nodes().get().size());
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < 16; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            assertEquals(16, a1.listOffsets(latest).all().get(30, TimeUnit.SECONDS).size());
        }
    }

    /** Both brokers name the same leaders, each one the Pulsar owner; the brokers that lead. */
    private Set<Integer> assertLeadersAreOwners(Admin a0, Admin a1, PulsarAdmin pulsar, String topic) throws Exception {
        Map<Integer, Node> via0 = leaders(a0, topic);
        long deadline = System.currentTimeMillis() + 30_000;
        while (via0.values().stream().anyMatch(n -> n == null || n.isEmpty()) && System.currentTimeMillis() < deadline) {
            Thread.sleep(200); // a bundle that was just unloaded gets its next owner on this lookup
            via0 = leaders(a0, topic);
        }
        assertEquals(via0, leaders(a1, topic), "both brokers name the same leaders");
        Set<Integer> brokers = new HashSet<>();
        for (Map.Entry<Integer, Node> e : via0.entrySet()) {
            Node leader = e.getValue();
            assertTrue(leader != null && !leader.isEmpty(), "partition " + e.getKey() + " has a leader");
            int broker = cluster.brokerAt(leader.host(), leader.port());
            assertNotEquals(-1, broker, "leader " + leader + " is a broker's INTERNAL listener");
            brokers.add(broker);
            String owner = pulsar.lookups().lookupTopic("persistent://" + topic + "-partition-" + e.getKey());
            assertEquals(broker, cluster.brokerOfPulsarUrl(owner), "partition " + e.getKey()
                    + ": Kafka leader " + leader + ", Pulsar owner " + owner);
        }
        return brokers;
    }

    @Test
    void producedThroughOneBrokerIsGroupConsumedThroughTheOther() throws Exception {
        String topic = KopTestBroker.uniqueTopic("across");
        String group = "g-" + topic;
        int records = 4000;
        try (Admin admin = cluster.admin(0)) {
            admin.createTopics(List.of(new NewTopic(topic, 8, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer(0, Map.of(ProducerConfig.ACKS_CONFIG, "all"))) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, bytes("k" + i), bytes("v" + i)));
            }
            producer.flush();
        }
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(1, Map.of(ConsumerConfig.GROUP_ID_CONFIG, group))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 90_000;
            int total = 0;
            while (total < records && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    seen.add(new String(r.value(), StandardCharsets.UTF_8));
                    total++;
                }
                consumer.commitSync();
            }
            assertEquals(records, total, "every record once");
        }
        assertEquals(records, seen.size());
        // the committed offsets are the log end, read through the other broker
        try (Admin admin = cluster.admin(0)) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            assertEquals(records, committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum());
        }
        // and Kafka's own kafka-consumer-groups describes the group through either broker
        for (int b = 0; b < KopTestCluster.BROKERS; b++) {
            KafkaCliToolsTest.Result describe = KafkaCliToolsTest.run(null,
                    "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--bootstrap-server",
                    cluster.bootstrap(b), "--describe", "--group", group);
            assertEquals(0, describe.exitCode(), describe.toString());
            assertEquals(8, describe.out().lines().filter(l -> l.startsWith(group + " ") && l.contains(topic)).count(),
                    describe.toString());
        }
    }

    /** A group config set through the broker that does not coordinate the group reaches its coordinator. */
    @Test
    void groupConfigSetOnOneBrokerIsUsedByTheCoordinatorOnTheOther() throws Exception {
        String topic = KopTestBroker.uniqueTopic("cluster-gcfg");
        try (Admin admin = cluster.admin(0)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
        }
        // a group coordinated by broker 1, so the change is made on broker 0
        String group = null;
        int coordinatorPort = -1;
        for (int i = 0; group == null && i < 50; i++) {
            String candidate = "gcfg-" + i + "-" + topic;
            try (RawKafkaClient raw = new RawKafkaClient(port(0))) {
                var found = raw.<org.apache.kafka.common.requests.FindCoordinatorResponse>send(
                        new org.apache.kafka.common.requests.FindCoordinatorRequest.Builder(
                                new org.apache.kafka.common.message.FindCoordinatorRequestData()
                                        .setKeyType((byte) 0).setCoordinatorKeys(List.of(candidate))).build())
                        .data().coordinators().get(0);
                if (found.errorCode() == 0 && cluster.brokerAt(found.host(), found.port()) == 1) {
                    group = candidate;
                    coordinatorPort = found.port();
                }
            }
        }
        assertTrue(group != null, "no group of the first 50 is coordinated by broker 1");
        var resource = new org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterConfigsResource()
                .setResourceType(org.apache.kafka.common.config.ConfigResource.Type.GROUP.id()).setResourceName(group);
        resource.configs().add(new org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterableConfig()
                .setName("consumer.heartbeat.interval.ms").setValue("7000").setConfigOperation((byte) 0));
        var alter = new org.apache.kafka.common.message.IncrementalAlterConfigsRequestData();
        alter.resources().add(resource);
        try (RawKafkaClient raw = new RawKafkaClient(port(0))) {
            var response = raw.<org.apache.kafka.common.requests.IncrementalAlterConfigsResponse>send(
                    new org.apache.kafka.common.requests.IncrementalAlterConfigsRequest.Builder(alter).build());
            assertEquals(0, response.data().responses().get(0).errorCode(), response.data().responses().get(0)
                    .errorMessage());
        }
        int heartbeatInterval = -1;
        long deadline = System.currentTimeMillis() + 30_000;
        try (RawKafkaClient raw = new RawKafkaClient(coordinatorPort)) {
            while (heartbeatInterval != 7000 && System.currentTimeMillis() < deadline) {
                var hb = raw.<org.apache.kafka.common.requests.ConsumerGroupHeartbeatResponse>send(
                        new org.apache.kafka.common.requests.ConsumerGroupHeartbeatRequest.Builder(
                                new org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData()
                                        .setGroupId(group).setMemberId(Uuid.randomUuid().toString()).setMemberEpoch(0)
                                        .setRebalanceTimeoutMs(30000).setSubscribedTopicNames(List.of(topic))
                                        .setTopicPartitions(List.of())).build());
                heartbeatInterval = hb.data().errorCode() == 0 ? hb.data().heartbeatIntervalMs() : -1;
                if (heartbeatInterval != 7000) {
                    Thread.sleep(200);
                }
            }
        }
        assertEquals(7000, heartbeatInterval, "broker 1's coordinator uses the config set on broker 0");
    }

    @Test
    void pulsarProducerOnOneBrokerIsReadByKafkaConsumerOnTheOther() throws Exception {
        String topic = KopTestBroker.uniqueTopic("pulsar-in");
        try (Admin admin = cluster.admin(1)) {
            admin.createTopics(List.of(new NewTopic(topic, 4, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        try (PulsarClient client = PulsarClient.builder().serviceUrl(cluster.cluster().pulsarUrl(0)).build();
             Producer<String> producer = client.newProducer(Schema.STRING)
                     .topic("persistent://public/default/" + topic).create()) {
            for (int i = 0; i < 200; i++) {
                producer.newMessage().key("k" + i).value("v" + i).send();
            }
        }
        Map<String, String> read = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(1, Map.of())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                partitions.add(new TopicPartition(topic, p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.currentTimeMillis() + 60_000;
            while (read.size() < 200 && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> read.put(new String(r.key(), StandardCharsets.UTF_8),
                        new String(r.value(), StandardCharsets.UTF_8)));
            }
        }
        assertEquals(200, read.size());
        assertEquals("v123", read.get("k123"));
    }

    @Test
    void eachListenerNameGetsItsOwnAddresses() throws Exception {
        String external = cluster.cluster().kafkaExternalBootstrap(1).replace("localhost", "127.0.0.1");
        try (Admin internal = cluster.admin(1); Admin ext = Admin.create(KopTestCluster.props(external))) {
            Set<String> internalNodes = new HashSet<>();
            internal.describeCluster().nodes().get().forEach(n -> internalNodes.add(n.host() + ":" + n.port()));
            Set<String> externalNodes = new HashSet<>();
            ext.describeCluster().nodes().get().forEach(n -> externalNodes.add(n.host() + ":" + n.port()));
            Set<String> wantInternal = new HashSet<>();
            Set<String> wantExternal = new HashSet<>();
            for (int i = 0; i < KopTestCluster.BROKERS; i++) {
                wantInternal.add(cluster.bootstrap(i));
                wantExternal.add(cluster.cluster().kafkaExternalBootstrap(i));
            }
            assertEquals(wantInternal, internalNodes);
            assertEquals(wantExternal, externalNodes);
            // and a topic's leaders, through the external listener, are external addresses
            String topic = KopTestBroker.uniqueTopic("ext");
            ext.createTopics(List.of(new NewTopic(topic, 4, (short) 1))).all().get(30, TimeUnit.SECONDS);
            for (Node leader : leaders(ext, topic).values()) {
                assertTrue(wantExternal.contains(leader.host() + ":" + leader.port()), "external leader " + leader);
            }
        }
    }

    /**
     * Leader epochs rise with every ownership change: ListOffsets and the records' batches carry the
     * epoch, a consumer reads on across the move, and OffsetsForLeaderEpoch says where the old epoch
     * ended; a request with the old epoch is fenced.
     */
    @Test
    void leaderEpochsRiseWithEveryMove() throws Exception {
        String topic = KopTestBroker.uniqueTopic("epochs");
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = cluster.admin(0);
             KafkaProducer<byte[], byte[]> producer = cluster.producer(0, Map.of());
             KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(1, Map.of());
             PulsarAdmin pulsar = cluster.pulsarAdmin(0)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, bytes("a" + i))).get();
            }
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<byte[], byte[]>> before = pollAtLeast(consumer, 10);
            int first = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).leaderEpoch().orElse(-1);
            assertTrue(first >= 0, "ListOffsets names the leader epoch");
            assertEquals(Optional.of(first), before.get(9).leaderEpoch(), "batches carry the epoch they were written in");

            pulsar.topics().unload("persistent://public/default/" + topic + "-partition-0");
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, bytes("b" + i))).get();
            }
            List<ConsumerRecord<byte[], byte[]>> after = pollAtLeast(consumer, 10);
            assertEquals(10, after.size(), "the consumer reads on across the move, nothing twice");
            assertEquals(10, after.get(0).offset());
            int second = after.get(0).leaderEpoch().orElse(-1);
            assertTrue(second > first, "epoch " + second + " after the move, " + first + " before");
            assertEquals(second, admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp)
                    .leaderEpoch().orElse(-1));

            int leader = cluster.brokerAt(leaders(admin, topic).get(0).host(), leaders(admin, topic).get(0).port());
            try (RawKafkaClient raw = new RawKafkaClient(cluster.cluster().options().brokers().get(leader).kafka())) {
                assertEquals(new EpochEndOffset().setPartition(0).setLeaderEpoch(first).setEndOffset(10),
                        offsetForEpoch(raw, topic, second, first), "the old epoch ended where the new one began");
                assertEquals(Errors.FENCED_LEADER_EPOCH.code(), offsetForEpoch(raw, topic, first, first).errorCode(),
                        "a client that still believes in the old epoch is fenced");
            }
        }
    }

    private static EpochEndOffset offsetForEpoch(RawKafkaClient raw, String topic, int current, int epoch)
            throws Exception {
        OffsetForLeaderTopicCollection topics = new OffsetForLeaderTopicCollection();
        topics.add(new OffsetForLeaderTopic().setTopic(topic).setPartitions(List.of(
                new OffsetForLeaderPartition().setPartition(0).setCurrentLeaderEpoch(current).setLeaderEpoch(epoch))));
        OffsetsForLeaderEpochResponse r = raw.send(OffsetsForLeaderEpochRequest.Builder.forConsumer(topics)
                .build(ApiKeys.OFFSET_FOR_LEADER_EPOCH.latestVersion()));
        return r.data().topics().iterator().next().partitions().get(0);
    }

    private static List<ConsumerRecord<byte[], byte[]>> pollAtLeast(KafkaConsumer<byte[], byte[]> consumer, int n) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 60_000;
        while (out.size() < n && System.currentTimeMillis() < deadline) {
            consumer.poll(Duration.ofMillis(200)).forEach(out::add);
        }
        return out;
    }

    /** An idempotent producer through repeated unloads of its topic: every record acked, stored once. */
    @Test
    void unloadsDuringProduceLoseAndDuplicateNothing() throws Exception {
        String topic = KopTestBroker.uniqueTopic("unload");
        int records = 20_000;
        try (Admin admin = cluster.admin(0)) {
            admin.createTopics(List.of(new NewTopic(topic, 4, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        AtomicReference<Exception> failed = new AtomicReference<>();
        Thread unloader;
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer(0, Map.of(ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true", ProducerConfig.LINGER_MS_CONFIG, "5"));
             PulsarAdmin pulsar = cluster.pulsarAdmin(1)) {
            unloader = new Thread(() -> {
                try {
                    for (int round = 0; round < 3; round++) {
                        Thread.sleep(700);
                        pulsar.topics().unload("persistent://public/default/" + topic);
                    }
                } catch (Exception e) {
                    failed.compareAndSet(null, e);
                }
            });
            unloader.start();
            sendAll(producer, topic, records, () -> { });
            unloader.join();
        }
        assertEquals(null, failed.get());
        assertStoredOnce(1, topic, 4, records);
    }

    /** An idempotent producer through a split of the bundles its partitions are in (halves unloaded). */
    @Test
    void bundleSplitsDuringProduceLoseAndDuplicateNothing() throws Exception {
        String namespace = "public/" + KopTestBroker.uniqueTopic("split");
        String topic = namespace + "/t";
        int records = 10_000;
        try (Admin admin = cluster.admin(0); PulsarAdmin pulsar = cluster.pulsarAdmin(0)) {
            pulsar.namespaces().createNamespace(namespace, 2);
            admin.createTopics(List.of(new NewTopic(topic, 4, (short) 1))).all().get(30, TimeUnit.SECONDS);
            try (KafkaProducer<byte[], byte[]> producer = cluster.producer(1, Map.of(ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true", ProducerConfig.LINGER_MS_CONFIG, "5"))) {
                sendAll(producer, topic, records, () -> {
                    try {
                        for (String bundle : bundleRanges(pulsar, namespace)) {
                            pulsar.namespaces().splitNamespaceBundle(namespace, bundle, true, null);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
            }
            assertEquals(4, bundleRanges(pulsar, namespace).size(), "both bundles were split");
        }
        assertStoredOnce(0, topic, 4, records);
    }

    private static List<String> bundleRanges(PulsarAdmin pulsar, String namespace) throws Exception {
        List<String> boundaries = pulsar.namespaces().getBundles(namespace).getBoundaries();
        List<String> out = new ArrayList<>();
        for (int i = 0; i + 1 < boundaries.size(); i++) {
            out.add(boundaries.get(i) + "_" + boundaries.get(i + 1));
        }
        return out;
    }

    /**
     * kill -9 of a broker that leads partitions while an idempotent producer writes to them: once the
     * dead broker's session expires its bundles go to the other broker, which recovers the ledgers and
     * the producer state; every record is acked, stored once, none lost.
     */
    @Test
    void brokerKilledDuringProduceLosesAndDuplicatesNothing() throws Exception {
        String topic = KopTestBroker.uniqueTopic("kill");
        int records = 10_000;
        int victim = 1;
        try (Admin admin = cluster.admin(0)) {
            admin.createTopics(List.of(new NewTopic(topic, 4, (short) 1))).all().get(30, TimeUnit.SECONDS);
            // make sure the victim leads something of this topic: its partition 0's bundle goes there
            awaitOwner(admin, topic);
            try (PulsarAdmin pulsar = cluster.pulsarAdmin(0)) {
                moveBundle(pulsar, "public/default", "persistent://public/default/" + topic + "-partition-0", victim);
            }
            long deadline = System.currentTimeMillis() + 30_000;
            while (leaders(admin, topic).values().stream().noneMatch(n -> cluster.brokerAt(n.host(), n.port()) == victim)) {
                assertTrue(System.currentTimeMillis() < deadline, "broker " + victim + " leads no partition");
                Thread.sleep(200);
            }
        }
        String bootstrap = cluster.bootstrap(0) + "," + cluster.bootstrap(1);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(withSerializers(bootstrap, Map.of(
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
                ProducerConfig.LINGER_MS_CONFIG, "5")))) {
            sendAll(producer, topic, records, () -> cluster.cluster().killBroker(victim));
        } finally {
            if (!cluster.cluster().brokerAlive(victim)) {
                cluster.cluster().startBroker(victim);
            }
        }
        assertStoredOnce(0, topic, 4, records);
    }

    /**
     * Sends values "0".."records-1" (keys "k0"...), with short pauses so the load spans the faults;
     * {@code midway} runs once a third are acked. Asserts that every send was acked.
     */
    static void sendAll(KafkaProducer<byte[], byte[]> producer, String topic, int records, Runnable midway)
            throws InterruptedException {
        AtomicInteger acked = new AtomicInteger();
        AtomicReference<Exception> failed = new AtomicReference<>();
        for (int i = 0; i < records; i++) {
            producer.send(new ProducerRecord<>(topic, bytes("k" + i), bytes(Integer.toString(i))), (md, e) -> {
                if (e != null) {
                    failed.compareAndSet(null, e);
                } else {
                    acked.incrementAndGet();
                }
            });
            if (i == records / 3) {
                producer.flush();
                midway.run();
            }
            if (i % 500 == 0) {
                Thread.sleep(20);
            }
        }
        producer.flush();
        assertEquals(null, failed.get());
        assertEquals(records, acked.get());
    }

    /** Values "0".."records-1" are each stored exactly once, read through {@code broker}. */
    void assertStoredOnce(int broker, String topic, int partitions, int records) {
        Map<String, Integer> counts = readAll(broker, topic, partitions, records);
        assertEquals(records, counts.size(), "no record lost");
        assertTrue(counts.values().stream().allMatch(c -> c == 1), "no record stored twice");
    }

    static Map<String, Object> withSerializers(String bootstrap, Map<String, Object> extra) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArraySerializer.class);
        p.putAll(extra);
        return p;
    }

    /**
     * Requests that reach a broker after its bundle moved away: produce, fetch and list-offsets each get
     * NOT_LEADER_OR_FOLLOWER, and the refused record is not stored. Then the same under load: a raw
     * producer writes to the old owner while the bundle moves back and forth; every answer is either a
     * success whose record is stored at the answered offset, or a retriable error whose record is
     * stored nowhere.
     */
    @Test
    void requestsAtABrokerThatLostThePartitionAreRefusedAndStoreNothing() throws Exception {
        String namespace = "public/" + KopTestBroker.uniqueTopic("midflight");
        String topic = namespace + "/t";
        String partition = "persistent://" + topic + "-partition-0";
        try (Admin admin = cluster.admin(0); PulsarAdmin pulsar = cluster.pulsarAdmin(0)) {
            pulsar.namespaces().createNamespace(namespace, 1);
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            int owner = awaitOwner(admin, topic);
            int other = 1 - owner;
            try (RawKafkaClient old = new RawKafkaClient(port(owner))) {
                assertEquals(Errors.NONE, Errors.forCode(rawProduce(old, topic, "first").errorCode()));
                moveBundle(pulsar, namespace, partition, other);
                ProduceResponseData.PartitionProduceResponse refused = rawProduce(old, topic, "refused");
                assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, Errors.forCode(refused.errorCode()), refused.errorMessage());
                FetchResponse fetch = old.send(FetchRequest.Builder.forConsumer((short) 12, 100, 1, Map.of(
                        new TopicPartition(topic, 0), new FetchRequest.PartitionData(Uuid.ZERO_UUID, 0, -1,
                                1 << 20, Optional.empty()))).build((short) 12));
                assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, Errors.forCode(
                        fetch.data().responses().get(0).partitions().get(0).errorCode()));
                ListOffsetsResponse offsets = old.send(ListOffsetsRequest.Builder.forConsumer(false,
                        IsolationLevel.READ_UNCOMMITTED).setTargetTimes(List.of(new ListOffsetsTopic().setName(topic)
                        .setPartitions(List.of(new ListOffsetsPartition().setPartitionIndex(0)
                                .setTimestamp(ListOffsetsRequest.LATEST_TIMESTAMP))))).build((short) 7));
                assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, Errors.forCode(
                        offsets.data().topics().get(0).partitions().get(0).errorCode()));
            }
            Map<String, Integer> stored = readAll(other, topic, 1, 1);
            assertEquals(Map.of("first", 1), stored, "the refused record was not stored");

            // Under load: the bundle moves between the brokers while both are written to directly.
            AtomicReference<Exception> failed = new AtomicReference<>();
            AtomicInteger moves = new AtomicInteger();
            Thread mover = new Thread(() -> {
                try {
                    for (int round = 0; round < 4; round++) {
                        Thread.sleep(400);
                        int target = 1 - cluster.brokerOfPulsarUrl(pulsar.lookups().lookupTopic(partition));
                        moveBundle(pulsar, namespace, partition, target);
                        moves.incrementAndGet();
                    }
                } catch (Exception | AssertionError e) {
                    failed.compareAndSet(null, new RuntimeException(e));
                }
            });
            Map<String, Long> acked = new ConcurrentHashMap<>();
            Set<String> refusedValues = ConcurrentHashMap.newKeySet();
            List<Thread> writers = new ArrayList<>();
            for (int b = 0; b < KopTestCluster.BROKERS; b++) {
                int broker = b;
                writers.add(new Thread(() -> {
                    try (RawKafkaClient client = new RawKafkaClient(port(broker))) {
                        for (int i = 0; mover.isAlive() || i == 0; i++) {
                            String value = "b" + broker + "-" + i;
                            ProduceResponseData.PartitionProduceResponse r = rawProduce(client, topic, value);
                            Errors error = Errors.forCode(r.errorCode());
                            if (error == Errors.NONE) {
                                acked.put(value, r.baseOffset());
                            } else if (error.exception() instanceof org.apache.kafka.common.errors.RetriableException) {
                                refusedValues.add(value);
                            } else {
                                throw new AssertionError(value + ": " + error + " " + r.errorMessage());
                            }
                        }
                    } catch (Exception | AssertionError e) {
                        failed.compareAndSet(null, new RuntimeException(e));
                    }
                }));
            }
            mover.start();
            writers.forEach(Thread::start);
            mover.join();
            for (Thread w : writers) {
                w.join();
            }
            assertEquals(null, failed.get());
            assertEquals(4, moves.get());
            assertTrue(!refusedValues.isEmpty(), "some requests reached the broker that had lost the partition");
            Map<String, Long> offsets = readOffsets(other, topic, acked.size() + 1);
            for (Map.Entry<String, Long> e : acked.entrySet()) {
                assertEquals(e.getValue(), offsets.get(e.getKey()), "acked " + e.getKey() + " is stored at its offset");
            }
            for (String value : refusedValues) {
                assertTrue(!offsets.containsKey(value), "refused " + value + " is not stored");
            }
            assertEquals(acked.size() + 1, offsets.size(), "nothing but the acked records is stored");
        }
    }

    private int port(int broker) {
        String bootstrap = cluster.bootstrap(broker);
        return Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
    }

    /** The broker that leads partition 0 of {@code topic}, once it has one. */
    private int awaitOwner(Admin admin, String topic) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (true) {
            Node leader = leaders(admin, topic).get(0);
            if (leader != null && !leader.isEmpty()) {
                return cluster.brokerAt(leader.host(), leader.port());
            }
            assertTrue(System.currentTimeMillis() < deadline, "partition 0 of " + topic + " has no leader");
            Thread.sleep(200);
        }
    }

    /**
     * Unloads the partition's bundle to {@code target} and waits until Pulsar names it the owner. The
     * destination is a hint to Pulsar's load manager, which it sometimes does not take: unload again.
     */
    private void moveBundle(PulsarAdmin pulsar, String namespace, String partition, int target) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            pulsar.namespaces().unloadNamespaceBundle(namespace, pulsar.lookups().getBundleRange(partition),
                    cluster.cluster().brokerId(target));
            long attempt = System.currentTimeMillis() + 5_000;
            while (System.currentTimeMillis() < attempt) {
                if (cluster.brokerOfPulsarUrl(pulsar.lookups().lookupTopic(partition)) == target) {
                    return;
                }
                Thread.sleep(50);
            }
            assertTrue(System.currentTimeMillis() < deadline, partition + " did not move to broker " + target);
        }
    }

    private static ProduceResponseData.PartitionProduceResponse rawProduce(RawKafkaClient client, String topic,
                                                                           String value) throws Exception {
        MemoryRecordsBuilder b = MemoryRecords.builder(ByteBuffer.allocate(256), Compression.NONE,
                TimestampType.CREATE_TIME, 0L);
        b.append(System.currentTimeMillis(), null, bytes(value));
        return client.produce(topic, b.build());
    }

    /** Every record of partition 0 (value -> offset), read through {@code broker}; fails on a value seen twice. */
    private Map<String, Long> readOffsets(int broker, String topic, int expected) {
        Map<String, Long> out = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(broker, Map.of())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.currentTimeMillis() + 60_000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    Long previous = out.put(new String(r.value(), StandardCharsets.UTF_8), r.offset());
                    assertEquals(null, previous, "stored twice: " + new String(r.value(), StandardCharsets.UTF_8));
                }
            }
            // anything beyond the expected records would be a success that was never answered
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(1000))) {
                out.put(new String(r.value(), StandardCharsets.UTF_8), r.offset());
            }
        }
        return out;
    }

    /** A group's coordinator moves (its offsets partition is unloaded) while the group commits. */
    @Test
    void groupKeepsItsOffsetsWhenItsCoordinatorMoves() throws Exception {
        String topic = KopTestBroker.uniqueTopic("coord-move");
        String group = "g-" + topic;
        int records = 3000;
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer(0, Map.of())) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, bytes(Integer.toString(i))));
            }
            producer.flush();
        }
        int total = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(1, Map.of(ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "100"));
             PulsarAdmin pulsar = cluster.pulsarAdmin(0)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 120_000;
            int unloads = 0;
            while (total < records && System.currentTimeMillis() < deadline) {
                total += consumer.poll(Duration.ofMillis(500)).count();
                consumer.commitSync(Duration.ofSeconds(60));
                if (total >= (unloads + 1) * 1000 && unloads < 2) {
                    pulsar.namespaces().unload("public/__kafka");
                    unloads++;
                }
            }
            assertEquals(2, unloads);
        }
        assertEquals(records, total);
        try (Admin admin = cluster.admin(0)) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            assertEquals(records, committed.get(new TopicPartition(topic, 0)).offset());
        }
        // a new member resumes at the committed offset: nothing more to read
        try (KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(0, Map.of(ConsumerConfig.GROUP_ID_CONFIG, group))) {
            consumer.subscribe(List.of(topic));
            long until = System.currentTimeMillis() + 5_000;
            int again = 0;
            while (System.currentTimeMillis() < until) {
                again += consumer.poll(Duration.ofMillis(500)).count();
            }
            assertEquals(0, again);
        }
    }

    /** The group's lag is the backlog of its Pulsar subscription on the broker that owns the partition. */
    @Test
    void groupLagIsSubscriptionBacklogOnTheOwningBroker() throws Exception {
        String topic = KopTestBroker.uniqueTopic("lag");
        String group = "g-" + topic;
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer(1, Map.of())) {
            for (int i = 0; i < 10; i++) {
                // one entry each: Pulsar counts a subscription's backlog in entries
                producer.send(new ProducerRecord<>(topic, bytes(Integer.toString(i)))).get();
            }
        }
        try (KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(0, Map.of(ConsumerConfig.GROUP_ID_CONFIG, group))) {
            consumer.commitSync(Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(4)));
        }
        String partition = "persistent://public/default/" + topic + "-partition-0";
        try (PulsarAdmin pulsar = cluster.pulsarAdmin(0)) {
            long deadline = System.currentTimeMillis() + 30_000;
            SubscriptionStats sub = null;
            while (System.currentTimeMillis() < deadline) {
                sub = pulsar.topics().getStats(partition).getSubscriptions().get(group);
                if (sub != null && sub.getMsgBacklog() == 6) {
                    break;
                }
                Thread.sleep(250);
            }
            assertTrue(sub != null, "subscription " + group + " exists");
            assertEquals(6, sub.getMsgBacklog());
        }
    }

    /** Reads partitions 0..n-1 of a topic from the beginning through one broker: value -> times seen. */
    Map<String, Integer> readAll(int broker, String topic, int partitions, int expected) {
        return readAll(broker, topic, partitions, expected, 90_000);
    }

    Map<String, Integer> readAll(int broker, String topic, int partitions, int expected, long timeoutMs) {
        Map<String, Integer> counts = new ConcurrentHashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(broker, Map.of())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                tps.add(new TopicPartition(topic, p));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            long deadline = System.currentTimeMillis() + timeoutMs;
            int total = 0;
            while (total < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    counts.merge(new String(r.value(), StandardCharsets.UTF_8), 1, Integer::sum);
                    total++;
                }
            }
            // anything beyond the expected count would be a duplicate: read a little longer
            long until = System.currentTimeMillis() + 1000;
            while (System.currentTimeMillis() < until) {
                consumer.poll(Duration.ofMillis(200))
                        .forEach(r -> counts.merge(new String(r.value(), StandardCharsets.UTF_8), 1, Integer::sum));
            }
        }
        return counts;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
