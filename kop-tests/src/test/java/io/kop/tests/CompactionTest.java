package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.junit.jupiter.api.Test;

/**
 * Compacted topics: KoP's log cleaner keeps the latest record per key at its original offset, keeps a
 * tombstone for delete.retention.ms and then drops it, refuses records without a key, survives an
 * ownership move, and frees the ledgers it compacted.
 */
class CompactionTest {
    private final KopTestBroker broker = KopTestBroker.get();

    @Test
    void latestRecordPerKeyAtItsOffsetThenTombstonesGo() throws Exception {
        String topic = KopTestBroker.uniqueTopic("compacted");
        String partition = "persistent://public/default/" + topic + "-partition-0";
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = broker.admin(); PulsarAdmin pulsar = broker.pulsarAdmin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("cleanup.policy", "compact",
                    "delete.retention.ms", "4000", "min.cleanable.dirty.ratio", "0.01", "segment.ms", "1000")))).all().get(30, TimeUnit.SECONDS);
            try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of(ProducerConfig.LINGER_MS_CONFIG, 5))) {
                for (int round = 0; round < 5; round++) { // offsets 10 * round + key
                    for (int k = 0; k < 10; k++) {
                        producer.send(new ProducerRecord<>(topic, 0, ("k" + k).getBytes(), ("v" + round).getBytes()));
                    }
                    producer.flush();
                }
                producer.send(new ProducerRecord<>(topic, 0, "k3".getBytes(), null)).get(30, TimeUnit.SECONDS); // 50

                ExecutionException keyless = assertThrows(ExecutionException.class, () -> producer.send(
                        new ProducerRecord<>(topic, 0, null, "no key".getBytes())).get(30, TimeUnit.SECONDS));
                assertInstanceOf(InvalidRecordException.class, keyless.getCause());
            }
            assertEquals(51, admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp)
                    .get(30, TimeUnit.SECONDS).offset(), "the refused record took no offset");

            // compacted: the latest of each key at its own offset, k3's tombstone kept
            Map<Long, String> expected = new LinkedHashMap<>();
            for (int k = 0; k < 10; k++) {
                if (k != 3) {
                    expected.put(40L + k, "k" + k + "=v4");
                }
            }
            expected.put(50L, "k3=null");
            assertEquals(expected, awaitCompactedTo(tp, expected.size()));
            assertEquals(0, admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).partitionResult(tp)
                    .get(30, TimeUnit.SECONDS).offset(), "compaction does not move the log start");

            // a consumer positioned in a gap gets the next surviving record
            try (KafkaConsumer<byte[], byte[]> consumer = broker.consumer()) {
                consumer.assign(List.of(tp));
                consumer.seek(tp, 7);
                ConsumerRecord<byte[], byte[]> first = null;
                long deadline = System.currentTimeMillis() + 30_000;
                while (first == null && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                        first = first == null ? r : first;
                    }
                }
                assertEquals(40L, first.offset());
            }

            // a move: the new log serves the segment the ledger's properties name
            pulsar.topics().unload(partition);
            assertEquals(expected, read(tp, expected.size()));
            long firstLedger = pulsar.topics().getInternalStats(partition).ledgers.get(0).ledgerId;

            // after delete.retention.ms, the next compaction drops the tombstone, and what it compacted is freed
            Thread.sleep(4500);
            try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of())) {
                producer.send(new ProducerRecord<>(topic, 0, "k0".getBytes(), "v5".getBytes())).get(30, TimeUnit.SECONDS);
            }
            expected.remove(40L);
            expected.remove(50L);
            expected.put(51L, "k0=v5");
            assertEquals(expected, awaitCompactedTo(tp, expected.size()));
            assertTrue(broker.awaitLedgerDeleted(partition, firstLedger), "the compacted ledger's records were freed");
            assertEquals(expected, read(tp, expected.size()), "served from the segment once the ledger is gone");
        }
    }

    @Test
    void deletePolicyTopicsKeepEveryRecordAndTakeRecordsWithoutKeys() throws Exception {
        String topic = KopTestBroker.uniqueTopic("not-compacted");
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of())) {
                for (int i = 0; i < 4; i++) {
                    producer.send(new ProducerRecord<>(topic, 0, i % 2 == 0 ? "k".getBytes() : null,
                            ("v" + i).getBytes())).get(30, TimeUnit.SECONDS);
                }
            }
            Thread.sleep(2500); // a cleaner round or two: a delete-policy topic is left alone
            assertEquals(4, read(tp, 4).size());
        }
    }

    /** Reads the partition from the start until it holds exactly {@code size} records (compaction ran). */
    private Map<Long, String> awaitCompactedTo(TopicPartition tp, int size) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        Map<Long, String> seen = read(tp, size);
        while (seen.size() != size && System.currentTimeMillis() < deadline) {
            Thread.sleep(500);
            seen = read(tp, size);
        }
        return seen;
    }

    /** Everything from the earliest offset to the end, offset -> key=value. */
    private Map<Long, String> read(TopicPartition tp, int atLeast) {
        Map<Long, String> out = new LinkedHashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = broker.consumer(Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"))) {
            consumer.assign(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long deadline = System.currentTimeMillis() + 30_000;
            while (consumer.position(tp) < end && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    out.put(r.offset(), new String(r.key() == null ? "".getBytes() : r.key()) + "="
                            + (r.value() == null ? "null" : new String(r.value())));
                }
            }
        }
        return out;
    }
}
