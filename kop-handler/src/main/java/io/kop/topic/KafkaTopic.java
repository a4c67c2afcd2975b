package io.kop.topic;

import io.kop.config.EntryFormat;
import org.apache.pulsar.common.naming.TopicName;

/**
 * A Kafka topic as Pulsar stores it: a partitioned topic (Kafka partition N = {@code -partition-N}) or a
 * non-partitioned topic shown to Kafka as a single partition. {@code entryFormat} is the format new
 * batches are written in (the topic's {@code kop.entry.format} property, or the broker's default).
 */
public record KafkaTopic(String kafkaName, TopicName pulsarName, int partitions, boolean partitioned,
                         EntryFormat entryFormat) {
    /** The Pulsar topic property (set from the Kafka topic config of the same name at creation). */
    public static final String ENTRY_FORMAT_PROPERTY = "kop.entry.format";

    public TopicName partition(int index) {
        return partitioned ? pulsarName.getPartition(index) : pulsarName;
    }
}
