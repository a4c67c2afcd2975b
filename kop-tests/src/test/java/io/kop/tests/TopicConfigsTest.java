package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.AlterConfigsResponse;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatRequest;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatResponse;
import org.junit.jupiter.api.Test;

/**
 * Kafka topic configs as kafka-configs, the admin client and frameworks use them: every Kafka 4.4
 * topic config described with its source, Pulsar policies for retention and message size, KoP's
 * own message.timestamp.type, storage-layout settings kept, and everything else refused with a reason.
 */
class TopicConfigsTest {
    /** Kafka 4.4's topic configs (LogConfig.nonInternalConfigNames()). */
    private static final List<String> KAFKA_TOPIC_CONFIGS = List.of(
            "cleanup.policy",
            "compression.gzip.level",
            "compression.lz4.level",
            "compression.type",
            "compression.zstd.level",
            "delete.retention.ms",
            "errors.deadletterqueue.group.enable",
            "file.delete.delay.ms",
            "flush.messages",
            "flush.ms",
            "follower.replication.throttled.replicas",
            "index.interval.bytes",
            "leader.replication.throttled.replicas",
            "local.retention.bytes",
            "local.retention.ms",
            "max.compaction.lag.ms",
            "max.decompressed.message.bytes",
            "max.message.bytes",
            "message.timestamp.after.max.ms",
            "message.timestamp.before.max.ms",
            "message.timestamp.type",
            "min.cleanable.dirty.ratio",
            "min.compaction.lag.ms",
            "min.insync.replicas",
            "preallocate",
            "remote.copy.lag.bytes",
            "remote.copy.lag.ms",
            "remote.log.copy.disable",
            "remote.log.delete.on.disable",
            "remote.storage.enable",
            "retention.bytes",
            "retention.ms",
            "segment.bytes",
            "segment.index.bytes",
            "segment.jitter.ms",
            "segment.ms",
            "unclean.leader.election.enable");
    private final KopTestBroker broker = KopTestBroker.get();

    private static Config describe(Admin admin, String topic) throws Exception {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        return admin.describeConfigs(List.of(r), new DescribeConfigsOptions().includeDocumentation(true))
                .all().get(30, TimeUnit.SECONDS).get(r);
    }

    private static void alter(Admin admin, String topic, Collection<AlterConfigOp> ops) throws Exception {
        admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic), ops))
                .all().get(30, TimeUnit.SECONDS);
    }

    @Test
    void createdWithAStreamsLikeSetEveryConfigIsDescribedWithItsSource() throws Exception {
        String topic = KopTestBroker.uniqueTopic("cfg-streams");
        try (Admin admin = broker.admin()) {
            // what Kafka Streams asks for a repartition topic, plus LogAppendTime
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1).configs(Map.of("cleanup.policy", "delete",
                    "segment.bytes", "52428800", "retention.ms", "-1", "message.timestamp.type", "LogAppendTime"))))
                    .all().get(30, TimeUnit.SECONDS);
            Config config = describe(admin, topic);
            for (String name : KAFKA_TOPIC_CONFIGS) {
                assertTrue(config.get(name) != null, "described: " + name);
            }
            assertEquals("52428800", config.get("segment.bytes").value());
            assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, config.get("segment.bytes").source());
            assertEquals("-1", config.get("retention.ms").value());
            assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, config.get("retention.ms").source());
            assertEquals("LogAppendTime", config.get("message.timestamp.type").value());
            assertEquals("604800000", config.get("segment.ms").value(), "Kafka's default");
            assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, config.get("segment.ms").source());
            assertEquals(ConfigEntry.ConfigType.INT, config.get("segment.bytes").type());
            assertTrue(config.get("segment.bytes").documentation().contains("segment"),
                    config.get("segment.bytes").documentation());
            assertEquals(-1, broker.pulsarAdmin().topicPolicies().getRetention("persistent://public/default/" + topic)
                    .getRetentionTimeInMinutes());
        }
        // LogAppendTime is honoured: the broker's clock, not the producer's timestamp
        long before = System.currentTimeMillis();
        try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of())) {
            producer.send(new ProducerRecord<>(topic, 0, 1_000L, null, "v".getBytes())).get(30, TimeUnit.SECONDS);
        }
        try (KafkaConsumer<byte[], byte[]> consumer = broker.consumer(Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"))) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            ConsumerRecord<byte[], byte[]> r = null;
            long deadline = System.currentTimeMillis() + 30_000;
            while (r == null && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> c : consumer.poll(Duration.ofMillis(500))) {
                    r = c;
                }
            }
            assertTrue(r != null, "record read back");
            assertEquals(TimestampType.LOG_APPEND_TIME, r.timestampType());
            assertTrue(r.timestamp() >= before, "append time " + r.timestamp() + " >= " + before);
        }
    }

    @Test
    void incrementalChangesSetAndResetPoliciesAndKeptConfigs() throws Exception {
        String topic = KopTestBroker.uniqueTopic("cfg-alter");
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            alter(admin, topic, List.of(
                    new AlterConfigOp(new ConfigEntry("retention.ms", "120000"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("retention.bytes", "10485760"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("max.message.bytes", "100000"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("segment.ms", "3600000"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("leader.replication.throttled.replicas", "0:1"),
                            AlterConfigOp.OpType.APPEND)));
            Config config = describe(admin, topic);
            assertEquals("120000", config.get("retention.ms").value());
            assertEquals("10485760", config.get("retention.bytes").value());
            assertEquals("100000", config.get("max.message.bytes").value());
            assertEquals("3600000", config.get("segment.ms").value());
            assertEquals("0:1", config.get("leader.replication.throttled.replicas").value());
            String pulsarTopic = "persistent://public/default/" + topic;
            var retention = broker.pulsarAdmin().topicPolicies().getRetention(pulsarTopic);
            assertEquals(2, retention.getRetentionTimeInMinutes());
            assertEquals(10, retention.getRetentionSizeInMB());
            assertEquals(100000, broker.pulsarAdmin().topicPolicies().getMaxMessageSize(pulsarTopic));

            alter(admin, topic, List.of(
                    new AlterConfigOp(new ConfigEntry("retention.ms", null), AlterConfigOp.OpType.DELETE),
                    new AlterConfigOp(new ConfigEntry("segment.ms", null), AlterConfigOp.OpType.DELETE),
                    new AlterConfigOp(new ConfigEntry("max.message.bytes", null), AlterConfigOp.OpType.DELETE)));
            config = describe(admin, topic);
            assertEquals("10485760", config.get("retention.bytes").value(), "the other half of the policy stays");
            assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, config.get("retention.bytes").source());
            assertEquals("604800000", config.get("segment.ms").value());
            assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, config.get("segment.ms").source());
            assertEquals(ConfigEntry.ConfigSource.STATIC_BROKER_CONFIG, config.get("max.message.bytes").source());
            assertNull(broker.pulsarAdmin().topicPolicies().getMaxMessageSize(pulsarTopic));
        }
    }

    @Test
    void whatCannotBeHonouredIsRefusedAndChangesNothing() throws Exception {
        String topic = KopTestBroker.uniqueTopic("cfg-bad");
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            for (Map.Entry<String, String> bad : Map.of("no.such.config", "1", "segment.bytes", "10",
                    "cleanup.policy", "forget", "retention.ms", "1500", "compression.type", "zstd",
                    "message.timestamp.type", "Yesterday").entrySet()) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> alter(admin, topic, List.of(
                        new AlterConfigOp(new ConfigEntry("segment.ms", "7200000"), AlterConfigOp.OpType.SET),
                        new AlterConfigOp(new ConfigEntry(bad.getKey(), bad.getValue()), AlterConfigOp.OpType.SET))),
                        bad.toString());
                assertInstanceOf(InvalidConfigurationException.class, e.getCause(), bad.toString());
                assertTrue(e.getCause().getMessage().contains(bad.getKey()), e.getCause().getMessage());
            }
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.TOPIC, topic), List.of(
                    new AlterConfigOp(new ConfigEntry("segment.ms", "7200000"), AlterConfigOp.OpType.SET))),
                    new AlterConfigsOptions().validateOnly(true)).all().get(30, TimeUnit.SECONDS);
            assertEquals("604800000", describe(admin, topic).get("segment.ms").value(), "nothing changed");
        }
    }

    @Test
    void aCompactOnlyTopicGetsInfiniteRetentionUntilItIsNot() throws Exception {
        String topic = KopTestBroker.uniqueTopic("cfg-compact");
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("cleanup.policy", "compact",
                    "retention.ms", "60000")))).all().get(30, TimeUnit.SECONDS);
            Config config = describe(admin, topic);
            assertEquals("compact", config.get("cleanup.policy").value());
            assertEquals(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, config.get("cleanup.policy").source());
            var retention = broker.pulsarAdmin().topicPolicies().getRetention("persistent://public/default/" + topic);
            assertEquals(-1, retention.getRetentionTimeInMinutes(), "compact-only: retention does not delete");
            assertEquals(-1, retention.getRetentionSizeInMB());
            alter(admin, topic, List.of(new AlterConfigOp(new ConfigEntry("cleanup.policy", "delete"),
                    AlterConfigOp.OpType.SET)));
            assertEquals("delete", describe(admin, topic).get("cleanup.policy").value());
            assertNull(broker.pulsarAdmin().topicPolicies().getRetention("persistent://public/default/" + topic),
                    "back to the namespace's retention");
        }
    }

    @Test
    void wholeSetAlterConfigsReplacesTheTopicsConfigs() throws Exception {
        String topic = KopTestBroker.uniqueTopic("cfg-legacy");
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("segment.ms", "3600000",
                    "retention.ms", "120000")))).all().get(30, TimeUnit.SECONDS);
        }
        // AlterConfigs v2 (API 33), which the admin client no longer sends: the given set replaces all
        Map<ConfigResource, AlterConfigsRequest.Config> set = Map.of(new ConfigResource(ConfigResource.Type.TOPIC,
                topic), new AlterConfigsRequest.Config(List.of(new AlterConfigsRequest.ConfigEntry("flush.ms", "1000"))));
        try (RawKafkaClient raw = new RawKafkaClient(broker.kafkaPort())) {
            AlterConfigsResponse response = raw.send(new AlterConfigsRequest.Builder(set, false).build((short) 2));
            assertEquals(0, response.data().responses().get(0).errorCode(),
                    response.data().responses().get(0).errorMessage());
        }
        try (Admin admin = broker.admin()) {
            Config config = describe(admin, topic);
            assertEquals("1000", config.get("flush.ms").value());
            assertEquals("604800000", config.get("segment.ms").value(), "not in the set: back to its default");
            assertEquals(ConfigEntry.ConfigSource.STATIC_BROKER_CONFIG, config.get("retention.ms").source());
        }
        KafkaCliToolsTest.Result cli = KafkaCliToolsTest.run(null, "org.apache.kafka.tools.ConfigCommand",
                "--bootstrap-server", "127.0.0.1:" + broker.kafkaPort(), "--alter", "--entity-type", "topics",
                "--entity-name", topic, "--add-config", "segment.bytes=104857600,retention.ms=3600000");
        assertEquals(0, cli.exitCode(), cli.toString());
        KafkaCliToolsTest.Result describe = KafkaCliToolsTest.run(null, "org.apache.kafka.tools.ConfigCommand",
                "--bootstrap-server", "127.0.0.1:" + broker.kafkaPort(), "--describe", "--entity-type", "topics",
                "--entity-name", topic);
        assertTrue(describe.out().contains("segment.bytes=104857600") && describe.out().contains("retention.ms=3600000")
                && describe.out().contains("flush.ms=1000"), describe.toString());
        assertTrue(java.util.Arrays.stream(describe.out().split("\\s+")).noneMatch(w -> w.startsWith("segment.ms=")),
                "only configs set on the topic are listed: " + describe);
    }

    @Test
    void brokerAndGroupConfigsAreDescribedReadOnly() throws Exception {
        try (Admin admin = broker.admin()) {
            String node = admin.describeCluster().controller().get(30, TimeUnit.SECONDS).idString();
            ConfigResource brokerResource = new ConfigResource(ConfigResource.Type.BROKER, node);
            Config config = admin.describeConfigs(List.of(brokerResource)).all().get(30, TimeUnit.SECONDS)
                    .get(brokerResource);
            assertEquals("1", config.get("num.partitions").value(), "Pulsar's defaultNumPartitions of the test broker");
            assertEquals(node, config.get("broker.id").value());
            assertEquals(ConfigEntry.ConfigSource.STATIC_BROKER_CONFIG, config.get("message.max.bytes").source());
            assertTrue(config.get("message.max.bytes").isReadOnly());
            ExecutionException refused = assertThrows(ExecutionException.class, () -> admin.incrementalAlterConfigs(
                    Map.of(brokerResource, List.of(new AlterConfigOp(new ConfigEntry("num.partitions", "3"),
                            AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS));
            assertInstanceOf(InvalidRequestException.class, refused.getCause());

            ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, "any-group");
            Config groupConfig = admin.describeConfigs(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group);
            assertEquals("45000", groupConfig.get("consumer.session.timeout.ms").value());
            assertEquals(ConfigEntry.ConfigSource.DEFAULT_CONFIG, groupConfig.get("consumer.session.timeout.ms")
                    .source());

            KafkaCliToolsTest.Result cli = KafkaCliToolsTest.run(null, "org.apache.kafka.tools.ConfigCommand",
                    "--bootstrap-server", "127.0.0.1:" + broker.kafkaPort(), "--describe", "--entity-type", "brokers",
                    "--entity-name", node, "--all");
            assertEquals(0, cli.exitCode(), cli.toString());
            assertTrue(cli.out().contains("num.partitions=1"), cli.toString());
            KafkaCliToolsTest.Result groups = KafkaCliToolsTest.run(null, "org.apache.kafka.tools.ConfigCommand",
                    "--bootstrap-server", "127.0.0.1:" + broker.kafkaPort(), "--describe", "--entity-type", "groups",
                    "--entity-name", "any-group", "--all");
            assertEquals(0, groups.exitCode(), groups.toString());
            assertTrue(groups.out().contains("consumer.heartbeat.interval.ms=5000"), groups.toString());
        }
    }

    @Test
    void groupConfigsAreSetDescribedAndUsedByTheCoordinator() throws Exception {
        String topic = KopTestBroker.uniqueTopic("cfg-group");
        String group = "g-" + topic;
        ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                    new ConfigEntry("consumer.heartbeat.interval.ms", "6000"), AlterConfigOp.OpType.SET))))
                    .all().get(30, TimeUnit.SECONDS);
            Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
            assertEquals("6000", config.get("consumer.heartbeat.interval.ms").value());
            assertEquals(ConfigEntry.ConfigSource.DYNAMIC_GROUP_CONFIG, config.get("consumer.heartbeat.interval.ms").source());

            for (String bad : List.of("consumer.session.timeout.ms=1000", "share.record.lock.duration.ms=30000",
                    "no.such.config=1")) {
                String[] kv = bad.split("=");
                ExecutionException refused = assertThrows(ExecutionException.class, () ->
                        admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                                new ConfigEntry(kv[0], kv[1]), AlterConfigOp.OpType.SET)))).all()
                                .get(30, TimeUnit.SECONDS), bad);
                assertInstanceOf(InvalidConfigurationException.class, refused.getCause(), bad);
            }
            assertEquals("6000", admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS)
                    .get(resource).get("consumer.heartbeat.interval.ms").value(), "a refused change changes nothing");
        }
        // the coordinator tells the group's members the interval it was given
        try (Admin admin = broker.admin()) {
            admin.listConsumerGroupOffsets(group).all().get(30, TimeUnit.SECONDS); // its coordinator is loaded
        }
        try (RawKafkaClient raw = new RawKafkaClient(broker.kafkaPort())) {
            ConsumerGroupHeartbeatResponse hb = null;
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline && (hb == null || hb.data().errorCode() != 0)) {
                hb = raw.send(new ConsumerGroupHeartbeatRequest.Builder(
                        new ConsumerGroupHeartbeatRequestData().setGroupId(group)
                                .setMemberId(org.apache.kafka.common.Uuid.randomUuid().toString()).setMemberEpoch(0)
                                .setRebalanceTimeoutMs(30000).setSubscribedTopicNames(List.of(topic))
                                .setTopicPartitions(List.of())).build());
                if (hb.data().errorCode() != 0) {
                    Thread.sleep(200);
                }
            }
            assertEquals(0, hb.data().errorCode(), hb.data().errorMessage());
            assertEquals(6000, hb.data().heartbeatIntervalMs());
        }
        KafkaCliToolsTest.Result cli = KafkaCliToolsTest.run(null, "org.apache.kafka.tools.ConfigCommand",
                "--bootstrap-server", "127.0.0.1:" + broker.kafkaPort(), "--alter", "--entity-type", "groups",
                "--entity-name", group, "--delete-config", "consumer.heartbeat.interval.ms");
        assertEquals(0, cli.exitCode(), cli.toString());
        try (Admin admin = broker.admin()) {
            Config config = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
            assertEquals("5000", config.get("consumer.heartbeat.interval.ms").value(), "back to the broker's");
        }
    }
}
