package io.kop.topic;

import io.kop.config.EntryFormat;
import java.util.Map;
import org.apache.pulsar.common.naming.TopicName;

/**
 * A Kafka topic as Pulsar stores it: a partitioned topic (Kafka partition N = {@code -partition-N}) or a
 * non-partitioned topic shown to Kafka as a single partition. {@code entryFormat} is the format new
 * batches are written in (the topic's {@code kop.entry.format} property, or the broker's default);
 * {@code properties} those of the partitioned topic (Kafka configs KoP keeps, see {@link TopicConfigs}).
 */
public record KafkaTopic(String kafkaName, TopicName pulsarName, int partitions, boolean partitioned,
                         EntryFormat entryFormat, Map<String, String> properties) {
    /** The Pulsar topic property (set from the Kafka topic config of the same name at creation). */
    public static final String ENTRY_FORMAT_PROPERTY = "kop.entry.format";

    /** Whether records get the broker's append time: the topic's message.timestamp.type, else the broker's. */
    public boolean logAppendTime(boolean brokerDefault) {
        String type = properties.get(TopicConfigs.PROPERTY_PREFIX + TopicConfigs.TIMESTAMP_TYPE);
        return type == null ? brokerDefault : type.equals("LogAppendTime");
    }

    public TopicName partition(int index) {
        return partitioned ? pulsarName.getPartition(index) : pulsarName;
    }
}
