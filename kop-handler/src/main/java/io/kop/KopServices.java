package io.kop;

import io.kop.config.KopConfig;
import io.kop.coordinator.GroupConfigs;
import io.kop.coordinator.GroupCoordinators;
import io.kop.metrics.DataMetrics;
import io.kop.security.ScramCredentials;
import io.kop.storage.PartitionLogManager;
import io.kop.storage.ProducerIdAllocator;
import io.kop.topic.BrokerLookup;
import io.kop.topic.TopicIdRegistry;
import io.kop.topic.TopicResolver;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.pulsar.broker.PulsarService;

/** The broker-wide pieces request handlers share. */
public record KopServices(KopConfig config, PulsarService pulsar, TopicResolver topics, TopicIdRegistry topicIds,
                          BrokerLookup brokers, PartitionLogManager logs, ProducerIdAllocator producerIds,
                          GroupCoordinators groups, GroupConfigs groupConfigs, ScramCredentials scram,
                          ScheduledExecutorService scheduler, DataMetrics metrics) {
}
