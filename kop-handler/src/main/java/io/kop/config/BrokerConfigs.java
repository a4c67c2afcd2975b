package io.kop.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;
import org.apache.pulsar.broker.ServiceConfiguration;

/**
 * A broker's configs as Kafka tools describe them: the Kafka broker settings that have a meaning on
 * KoP, under Kafka's names, with the values this broker uses (from KoP's keys or Pulsar's own
 * broker.conf). They are read-only: they are changed in broker.conf, not through Kafka.
 */
public final class BrokerConfigs {
    private final List<DescribedConfig> configs;

    public BrokerConfigs(KopConfig kop, ServiceConfiguration pulsar, int nodeId) {
        List<DescribedConfig> c = new ArrayList<>();
        add(c, "broker.id", nodeId, ConfigType.INT, "KoP: this broker's node id (a hash of its advertised listener)");
        add(c, "message.max.bytes", kop.maxMessageSize(), ConfigType.INT, "KoP maxMessageSize (Pulsar's maxMessageSize)");
        add(c, "num.partitions", pulsar.getDefaultNumPartitions(), ConfigType.INT,
                "Pulsar defaultNumPartitions: partitions of auto-created topics");
        add(c, "auto.create.topics.enable", pulsar.isAllowAutoTopicCreation(), ConfigType.BOOLEAN,
                "Pulsar allowAutoTopicCreation (namespace policies may override it)");
        add(c, "delete.topic.enable", true, ConfigType.BOOLEAN, "KoP: DeleteTopics deletes Pulsar topics");
        add(c, "default.replication.factor", pulsar.getManagedLedgerDefaultWriteQuorum(), ConfigType.INT,
                "Pulsar managedLedgerDefaultWriteQuorum: the copies of each entry (namespace policies may override it)");
        add(c, "min.insync.replicas", pulsar.getManagedLedgerDefaultAckQuorum(), ConfigType.INT,
                "Pulsar managedLedgerDefaultAckQuorum: the copies acknowledged before a write is");
        add(c, "log.message.timestamp.type", kop.logAppendTime() ? "LogAppendTime" : "CreateTime", ConfigType.STRING,
                "KoP kafkaMessageTimestampType");
        add(c, "compression.type", "producer", ConfigType.STRING, "KoP keeps the producer's compression");
        add(c, "log.cleaner.enable", true, ConfigType.BOOLEAN, "KoP's log cleaner compacts cleanup.policy=compact topics");
        add(c, "log.cleaner.backoff.ms", kop.logCleanerBackoffMs(), ConfigType.LONG, "KoP kafkaLogCleanerBackoffMs");
        add(c, "log.cleaner.dedupe.buffer.size", kop.logCleanerDedupeBufferBytes(), ConfigType.LONG,
                "KoP kafkaLogCleanerDedupeBufferBytes");
        add(c, "offsets.topic.num.partitions", kop.offsetsTopicPartitions(), ConfigType.INT,
                "KoP offsetsTopicNumPartitions");
        for (Map.Entry<String, Object> e : new java.util.TreeMap<>(kop.groupCoordinatorConfig()).entrySet()) {
            add(c, e.getKey(), e.getValue(), ConfigType.STRING, "the group coordinator's setting (KoP configuration)");
        }
        this.configs = List.copyOf(c);
    }

    private static void add(List<DescribedConfig> to, String name, Object value, ConfigType type, String doc) {
        to.add(new DescribedConfig(name, String.valueOf(value), ConfigSource.STATIC_BROKER_CONFIG, type, true, doc));
    }

    public List<DescribedConfig> all() {
        return configs;
    }
}
