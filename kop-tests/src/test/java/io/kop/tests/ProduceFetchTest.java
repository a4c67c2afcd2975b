package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.params.provider.CsvSource;

/** Kafka producer (default settings: idempotent, acks=all) -> Kafka consumer with assign/seek. */
class ProduceFetchTest {
    private final KopTestBroker broker = KopTestBroker.get();

    @ParameterizedTest
    @CsvSource({"pulsar,none", "pulsar,gzip", "pulsar,snappy", "pulsar,lz4", "pulsar,zstd",
            "kafka,none", "kafka,gzip", "kafka,snappy", "kafka,lz4", "kafka,zstd"})
    void everyRecordComesBackExactly(String format, String compression) throws Exception {
        String topic = KopTestBroker.uniqueTopic("roundtrip-" + format + "-" + compression);
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)
                    .configs(Map.of("kop.entry.format", format)))).all().get();
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            assertEquals(format, admin.describeConfigs(List.of(resource)).all().get().get(resource)
                    .get("kop.entry.format").value());
        }
        int n = 500;
        long ts0 = System.currentTimeMillis() - 60_000;
        List<ProducerRecord<byte[], byte[]>> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of(
                ProducerConfig.COMPRESSION_TYPE_CONFIG, compression, ProducerConfig.LINGER_MS_CONFIG, 5))) {
            List<RecordMetadata> acks = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                byte[] key = i % 7 == 0 ? null : ("key-" + i).getBytes(StandardCharsets.UTF_8);
                byte[] value = i % 11 == 0 ? null : ("value-" + i + "-" + "x".repeat(i % 50)).getBytes(StandardCharsets.UTF_8);
                List<Header> headers = new ArrayList<>();
                headers.add(new RecordHeader("utf8", ("h" + i).getBytes(StandardCharsets.UTF_8)));
                headers.add(new RecordHeader("binary", new byte[] {(byte) 0xff, (byte) 0xfe, 0, (byte) i}));
                headers.add(new RecordHeader("dup", "a".getBytes(StandardCharsets.UTF_8)));
                headers.add(new RecordHeader("dup", "b".getBytes(StandardCharsets.UTF_8)));
                headers.add(new RecordHeader("null", null));
                ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, 0, ts0 + i, key, value, headers);
                sent.add(r);
                producer.send(r, (md, e) -> {
                    if (md != null) {
                        synchronized (acks) {
                            acks.add(md);
                        }
                    }
                });
            }
            producer.flush();
            assertEquals(n, acks.size());
        }
        // First from the broker's memory (the batches just produced), then, after Pulsar reloads the
        // topic, from storage through the entry format.
        assertEveryRecord(topic, sent);
        unload(topic);
        assertEveryRecord(topic, sent);
    }

    private void assertEveryRecord(String topic, List<ProducerRecord<byte[], byte[]>> sent) {
        int n = sent.size();
        try (KafkaConsumer<byte[], byte[]> consumer = broker.consumer()) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<byte[], byte[]>> got = poll(consumer, n);
            assertEquals(n, got.size());
            for (int i = 0; i < n; i++) {
                ConsumerRecord<byte[], byte[]> r = got.get(i);
                ProducerRecord<byte[], byte[]> s = sent.get(i);
                assertEquals(i, r.offset(), "dense offsets");
                assertArrayEquals(s.key(), r.key(), "key of " + i + ": " + (r.key() == null ? "null" : new String(r.key())) + " hdrs " + r.headers());
                assertArrayEquals(s.value(), r.value(), "value of " + i);
                assertEquals(s.timestamp(), r.timestamp());
                Header[] expected = s.headers().toArray();
                Header[] actual = r.headers().toArray();
                assertEquals(expected.length, actual.length);
                for (int h = 0; h < expected.length; h++) {
                    assertEquals(expected[h].key(), actual[h].key());
                    assertArrayEquals(expected[h].value(), actual[h].value());
                }
            }
            // seek into the middle of a batch
            consumer.seek(tp, 123);
            List<ConsumerRecord<byte[], byte[]>> tail = poll(consumer, n - 123);
            assertEquals(123, tail.get(0).offset());
            assertEquals(n - 1, tail.get(tail.size() - 1).offset());
        }
    }

    /**
     * Read-ahead: two consumers of one partition, one taking a single batch per fetch (what was read
     * ahead beyond it waits for the next fetch) and one taking many, polled in turns, both get every
     * record once and in order.
     */
    @ParameterizedTest
    @CsvSource({"pulsar", "kafka"})
    void readAheadServesEveryRecordOnceWhateverTheFetchSize(String format) throws Exception {
        String topic = KopTestBroker.uniqueTopic("read-ahead-" + format);
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)
                    .configs(Map.of("kop.entry.format", format)))).all().get();
        }
        int n = 3000;
        try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of(
                ProducerConfig.BATCH_SIZE_CONFIG, 4096, ProducerConfig.LINGER_MS_CONFIG, 2))) {
            for (int i = 0; i < n; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, ("v" + i + "-" + "y".repeat(100)).getBytes()));
            }
            producer.flush();
        }
        unload(topic); // read-ahead is for reads from storage: nothing is served from memory
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> small = broker.consumer(Map.of("max.partition.fetch.bytes", 1));
             KafkaConsumer<byte[], byte[]> large = broker.consumer()) {
            List<KafkaConsumer<byte[], byte[]>> consumers = List.of(small, large);
            List<List<ConsumerRecord<byte[], byte[]>>> got = List.of(new ArrayList<>(), new ArrayList<>());
            for (KafkaConsumer<byte[], byte[]> c : consumers) {
                c.assign(List.of(tp));
                c.seekToBeginning(List.of(tp));
            }
            long deadline = System.currentTimeMillis() + 60_000;
            while ((got.get(0).size() < n || got.get(1).size() < n) && System.currentTimeMillis() < deadline) {
                for (int c = 0; c < 2; c++) {
                    consumers.get(c).poll(Duration.ofMillis(100)).forEach(got.get(c)::add);
                }
            }
            for (List<ConsumerRecord<byte[], byte[]>> records : got) {
                assertEquals(n, records.size());
                for (int i = 0; i < n; i++) {
                    assertEquals(i, records.get(i).offset());
                    assertEquals("v" + i + "-" + "y".repeat(100), new String(records.get(i).value()));
                }
            }
        }
    }

    @Test
    void nullKeyAndValueRoundTrip() throws Exception {
        String topic = KopTestBroker.uniqueTopic("nulls");
        try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of())) {
            producer.send(new ProducerRecord<>(topic, 0, null, null)).get();
            producer.send(new ProducerRecord<>(topic, 0, new byte[0], new byte[0])).get();
        }
        try (KafkaConsumer<byte[], byte[]> consumer = broker.consumer()) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<byte[], byte[]>> got = poll(consumer, 2);
            assertNull(got.get(0).key());
            assertNull(got.get(0).value());
            assertArrayEquals(new byte[0], got.get(1).key());
            assertArrayEquals(new byte[0], got.get(1).value());
        }
    }

    @Test
    void fetchOutsideTheLogIsOffsetOutOfRange() throws Exception {
        String topic = KopTestBroker.uniqueTopic("out-of-range");
        try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of())) {
            producer.send(new ProducerRecord<>(topic, 0, null, "only".getBytes())).get();
        }
        var props = broker.clientProps();
        props.put("key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
        props.put("value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
        props.put("auto.offset.reset", "none");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seek(tp, 1_000);
            org.junit.jupiter.api.Assertions.assertThrows(
                    org.apache.kafka.clients.consumer.OffsetOutOfRangeException.class, () -> {
                        long deadline = System.currentTimeMillis() + 30_000;
                        while (System.currentTimeMillis() < deadline) {
                            consumer.poll(Duration.ofMillis(200));
                        }
                    });
        }
    }

    /** Pulsar unloads the topic's partition 0; the next client request loads it again, with nothing in memory. */
    private void unload(String topic) throws Exception {
        try (var admin = broker.pulsarAdmin()) {
            admin.topics().unload("persistent://public/default/" + topic + "-partition-0");
        }
    }

    /** Up to {@code expected} records of partition 0 of {@code topic}, from its first offset, by an assigned consumer. */
    static List<ConsumerRecord<byte[], byte[]>> readFromStart(KopTestBroker broker, String topic, int expected) {
        try (KafkaConsumer<byte[], byte[]> consumer = broker.consumer()) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            return poll(consumer, expected);
        }
    }

    static List<ConsumerRecord<byte[], byte[]>> poll(KafkaConsumer<byte[], byte[]> consumer, int expected) {
        return poll(consumer, expected, 30_000);
    }

    /** Polls until {@code expected} records arrived or {@code timeoutMs} passed. */
    static List<ConsumerRecord<byte[], byte[]>> poll(KafkaConsumer<byte[], byte[]> consumer, int expected,
                                                     long timeoutMs) {
        List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (got.size() < expected && System.currentTimeMillis() < deadline) {
            consumer.poll(Duration.ofMillis(500)).forEach(got::add);
        }
        return got;
    }
}
