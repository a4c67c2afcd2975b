package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;

/** The Kafka Admin client: create, list, describe, grow, configs, delete, cluster. */
class AdminApiTest {
    private final KopTestBroker broker = KopTestBroker.get();

    @Test
    void topicLifecycle() throws Exception {
        String topic = KopTestBroker.uniqueTopic("admin");
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
            assertTrue(admin.listTopics().names().get().contains(topic));

            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            assertEquals(3, d.partitions().size());
            assertFalse(d.topicId().toString().isEmpty());
            d.partitions().forEach(p -> assertTrue(p.leader() != null && p.leader().port() == broker.kafkaPort()));

            ExecutionException exists = assertThrows(ExecutionException.class,
                    () -> admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get());
            assertInstanceOf(TopicExistsException.class, exists.getCause());

            admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(5))).all().get();
            assertEquals(5, admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size());
            ExecutionException shrink = assertThrows(ExecutionException.class,
                    () -> admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all().get());
            assertInstanceOf(InvalidPartitionsException.class, shrink.getCause());

            admin.deleteTopics(List.of(topic)).all().get();
            assertFalse(admin.listTopics().names().get().contains(topic));
            ExecutionException gone = assertThrows(ExecutionException.class,
                    () -> admin.describeTopics(List.of(topic)).allTopicNames().get());
            assertInstanceOf(UnknownTopicOrPartitionException.class, gone.getCause());
        }
    }

    @Test
    void configsArePulsarPoliciesOrRefused() throws Exception {
        String topic = KopTestBroker.uniqueTopic("configs");
        try (Admin admin = broker.admin()) {
            NewTopic bad = new NewTopic(topic, 1, (short) 1).configs(Map.of("compression.type", "gzip"));
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> admin.createTopics(List.of(bad)).all().get());
            assertInstanceOf(InvalidConfigurationException.class, refused.getCause());

            NewTopic validated = new NewTopic(topic, 1, (short) 1).configs(Map.of("retention.ms", "3600000"));
            admin.createTopics(List.of(validated), new CreateTopicsOptions().validateOnly(true)).all().get();
            assertFalse(admin.listTopics().names().get().contains(topic), "validateOnly creates nothing");

            admin.createTopics(List.of(validated)).all().get();
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            assertEquals("3600000", config.get("retention.ms").value());
            assertEquals("delete", config.get("cleanup.policy").value());
            var retention = broker.pulsarAdmin().topicPolicies().getRetention("persistent://public/default/" + topic);
            assertEquals(60, retention.getRetentionTimeInMinutes());
        }
    }

    @Test
    void logDirsShowTheBytesEachPartitionHoldsInPulsar() throws Exception {
        String topic = KopTestBroker.uniqueTopic("logdirs");
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
            try (var producer = broker.producer(Map.of())) {
                for (int i = 0; i < 20; i++) {
                    producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, i % 2, null,
                            new byte[1000])).get();
                }
            }
            int node = admin.describeCluster().nodes().get().iterator().next().id();
            var dirs = admin.describeLogDirs(List.of(node)).allDescriptions().get().get(node);
            assertEquals(1, dirs.size(), dirs.toString());
            var dir = dirs.values().iterator().next();
            for (int p = 0; p < 2; p++) {
                var replica = dir.replicaInfos().get(new org.apache.kafka.common.TopicPartition(topic, p));
                assertTrue(replica != null && replica.size() >= 10_000, dir.replicaInfos().toString());
            }
        }
        KafkaCliToolsTest.Result cli = KafkaCliToolsTest.run(null, "org.apache.kafka.tools.LogDirsCommand",
                "--bootstrap-server", "127.0.0.1:" + broker.kafkaPort(), "--describe", "--topic-list", topic);
        assertEquals(0, cli.exitCode(), cli.toString());
        assertTrue(cli.out().contains("\"partition\":\"" + topic + "-0\"") && cli.out().contains("pulsar:"),
                cli.toString());
    }

    @Test
    void describeCluster() throws Exception {
        try (Admin admin = broker.admin()) {
            DescribeClusterResult cluster = admin.describeCluster();
            assertEquals(1, cluster.nodes().get().size());
            assertEquals(broker.kafkaPort(), cluster.nodes().get().iterator().next().port());
            assertEquals(Optional.of("standalone"), Optional.ofNullable(cluster.clusterId().get()));
            assertEquals(cluster.nodes().get().iterator().next().id(), cluster.controller().get().id());
        }
    }
}
