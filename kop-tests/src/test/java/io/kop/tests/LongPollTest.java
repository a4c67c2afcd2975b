package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.junit.jupiter.api.Test;

/** A waiting fetch returns as soon as a record arrives, from a Kafka or a Pulsar producer. */
class LongPollTest {
    private static final long MAX_WAIT_MS = 6_000;
    private final KopTestBroker broker = KopTestBroker.get();

    @Test
    void kafkaProducerWakesAWaitingFetch() throws Exception {
        String topic = KopTestBroker.uniqueTopic("longpoll-kafka");
        try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of())) {
            producer.send(new ProducerRecord<>(topic, 0, null, "first".getBytes())).get();
            long latency = measure(topic, () -> producer.send(new ProducerRecord<>(topic, 0, null, "x".getBytes())).get());
            System.out.println("long-poll wake-up after a Kafka produce: " + latency + " ms");
            assertTrue(latency < 2_000, "woken after " + latency + " ms, fetch.max.wait.ms is " + MAX_WAIT_MS);
        }
    }

    @Test
    void pulsarProducerWakesAWaitingFetch() throws Exception {
        String topic = KopTestBroker.uniqueTopic("longpoll-pulsar");
        try (KafkaProducer<byte[], byte[]> kafka = broker.producer(Map.of());
             PulsarClient client = broker.pulsarClient()) {
            kafka.send(new ProducerRecord<>(topic, 0, null, "first".getBytes())).get();
            try (Producer<byte[]> producer = client.newProducer()
                    .topic("persistent://public/default/" + topic + "-partition-0").enableBatching(false).create()) {
                long latency = measure(topic, () -> producer.send("x".getBytes()));
                System.out.println("long-poll wake-up after a Pulsar produce: " + latency + " ms");
                assertTrue(latency < 2_000, "woken after " + latency + " ms, fetch.max.wait.ms is " + MAX_WAIT_MS);
            }
        }
    }

    interface Send {
        void run() throws Exception;
    }

    /** Starts a consumer waiting at the end of the log, sends one record, returns ms from send to receipt. */
    private long measure(String topic, Send send) throws Exception {
        var props = broker.clientProps();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) MAX_WAIT_MS);
        props.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 60_000);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seek(tp, 1);
            consumer.poll(Duration.ofMillis(300)); // position known, first fetch now waiting
            CompletableFuture<Long> received = CompletableFuture.supplyAsync(() -> {
                long deadline = System.currentTimeMillis() + 3 * MAX_WAIT_MS;
                while (System.currentTimeMillis() < deadline) {
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(MAX_WAIT_MS));
                    if (!records.isEmpty()) {
                        assertEquals(1, records.iterator().next().offset());
                        return System.nanoTime();
                    }
                }
                return -1L;
            });
            Thread.sleep(1_000); // let the fetch reach the broker and wait there
            long sentAt = System.nanoTime();
            send.run();
            long receivedAt = received.get(3 * MAX_WAIT_MS, TimeUnit.MILLISECONDS);
            assertTrue(receivedAt > 0, "record not received");
            return TimeUnit.NANOSECONDS.toMillis(receivedAt - sentAt);
        }
    }
}
