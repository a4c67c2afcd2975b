package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.common.policies.data.PartitionedTopicStats;
import org.apache.pulsar.common.policies.data.SubscriptionStats;
import org.junit.jupiter.api.Test;

/**
 * Kafka clients' traffic in Pulsar's own topic statistics, as an operator reads it with
 * {@code pulsar-admin topics partitioned-stats}: produced records in the topic's counters and rate
 * with the Kafka producer among the publishers, fetched records in the group's subscription with the
 * Kafka consumer among its consumers.
 */
class PulsarTopicStatsTest {
    private static final int RECORDS = 1000;
    private static final int VALUE_BYTES = 100;
    private final KopTestBroker broker = KopTestBroker.get();

    @Test
    void kafkaProduceAndFetchCountInPulsarTopicStats() throws Exception {
        String topic = KopTestBroker.uniqueTopic("pulsar-stats");
        String pulsarTopic = "persistent://public/default/" + topic;
        String group = "pulsar-stats-group-" + topic;
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        try (PulsarAdmin pulsar = broker.pulsarAdmin();
             var producer = broker.producer(Map.of("client.id", "stats-producer"))) {
            for (int i = 0; i < RECORDS; i++) {
                producer.send(new ProducerRecord<>(topic, ("k" + i).getBytes(), new byte[VALUE_BYTES]));
            }
            producer.flush();
            PartitionedTopicStats produced = pulsar.topics().getPartitionedStats(pulsarTopic, true);
            assertEquals(RECORDS, produced.getMsgInCounter());
            assertTrue(produced.getBytesInCounter() >= (long) RECORDS * VALUE_BYTES, "bytes in: "
                    + produced.getBytesInCounter());
            assertEquals(1, produced.getPublishers().size(), "the Kafka producer is a publisher");
            var publisher = produced.getPartitions().get(pulsarTopic + "-partition-0").getPublishers().get(0);
            assertTrue(publisher.getProducerName().startsWith("kafka-stats-producer-"), publisher.getProducerName());
            assertTrue(publisher.getMsgRateIn() >= 0);
            // Rates are computed every statsUpdateFrequencyInSecs (5 s in the test broker).
            awaitTrue(() -> pulsar.topics().getPartitionedStats(pulsarTopic, true).getMsgRateIn() > 0,
                    "msgRateIn above 0");

            try (var consumer = broker.consumer(Map.of(ConsumerConfig.GROUP_ID_CONFIG, group,
                    ConsumerConfig.CLIENT_ID_CONFIG, "stats-consumer",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"))) {
                consumer.subscribe(List.of(topic));
                int seen = 0;
                long deadline = System.currentTimeMillis() + 60_000;
                while (seen < RECORDS && System.currentTimeMillis() < deadline) {
                    seen += consumer.poll(Duration.ofMillis(200)).count();
                }
                assertEquals(RECORDS, seen);
                consumer.commitSync();
                // The fetched records count once the mirror has made the group's subscription and
                // described its members; the consumer keeps fetching (nothing) meanwhile.
                long until = System.currentTimeMillis() + 60_000;
                SubscriptionStats sub = null;
                while (System.currentTimeMillis() < until) {
                    consumer.poll(Duration.ofMillis(200));
                    sub = pulsar.topics().getPartitionedStats(pulsarTopic, true).getSubscriptions().get(group);
                    if (sub != null && sub.getMsgOutCounter() >= RECORDS) {
                        break;
                    }
                }
                assertTrue(sub != null, "the group's subscription");
                assertEquals(RECORDS, sub.getMsgOutCounter());
                assertTrue(sub.getBytesOutCounter() >= (long) RECORDS * VALUE_BYTES, "bytes out");
                assertEquals(1, sub.getConsumers().size());
                assertEquals("stats-consumer", sub.getConsumers().get(0).getConsumerName());
                PartitionedTopicStats fetched = pulsar.topics().getPartitionedStats(pulsarTopic, true);
                assertEquals(RECORDS, fetched.getMsgOutCounter());
                assertEquals(0, sub.getMsgBacklog(), "the committed group has no backlog");
            }
            producer.close();
            awaitTrue(() -> pulsar.topics().getPartitionedStats(pulsarTopic, true).getPublishers().isEmpty(),
                    "the publisher leaves with its connection");
            PartitionedTopicStats after = pulsar.topics().getPartitionedStats(pulsarTopic, true);
            assertEquals(RECORDS, after.getMsgInCounter(), "counters outlive the connections");
            assertEquals(RECORDS, after.getMsgOutCounter());
            assertTrue(after.getSubscriptions().get(group).getConsumers().isEmpty(), "the consumer left");
        }
    }

    private static void awaitTrue(Callable<Boolean> condition, String what) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (!condition.call()) {
            assertTrue(System.currentTimeMillis() < deadline, "timed out waiting for " + what);
            Thread.sleep(200);
        }
    }
}
