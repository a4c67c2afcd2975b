package io.kop.topic;

import org.apache.pulsar.common.naming.TopicName;

/**
 * A Kafka topic as Pulsar stores it: a partitioned topic (Kafka partition N = {@code -partition-N}) or a
 * non-partitioned topic shown to Kafka as a single partition.
 */
public record KafkaTopic(String kafkaName, TopicName pulsarName, int partitions, boolean partitioned) {

    public TopicName partition(int index) {
        return partitioned ? pulsarName.getPartition(index) : pulsarName;
    }
}
