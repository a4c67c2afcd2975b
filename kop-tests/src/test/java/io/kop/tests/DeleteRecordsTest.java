package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.junit.jupiter.api.Test;

/** DeleteRecords: the log start offset moves, earlier offsets are out of range, and it survives a move. */
class DeleteRecordsTest {
    private final KopTestBroker broker = KopTestBroker.get();

    private long earliest(Admin admin, TopicPartition tp) throws Exception {
        return admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).partitionResult(tp).get(30, TimeUnit.SECONDS)
                .offset();
    }

    @Test
    void deletedRecordsAreGoneForKafkaClientsAndToolsAndStayGoneAfterAMove() throws Exception {
        String topic = KopTestBroker.uniqueTopic("delrec");
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of())) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>(topic, 0, null, ("v" + i).getBytes())).get(30, TimeUnit.SECONDS);
                }
            }
            long low = admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(4))).lowWatermarks().get(tp)
                    .get(30, TimeUnit.SECONDS).lowWatermark();
            assertEquals(4, low);
            assertEquals(4, earliest(admin, tp));

            ExecutionException beyond = assertThrows(ExecutionException.class, () -> admin.deleteRecords(
                    Map.of(tp, RecordsToDelete.beforeOffset(20))).all().get(30, TimeUnit.SECONDS));
            assertInstanceOf(OffsetOutOfRangeException.class, beyond.getCause());
            assertEquals(4, earliest(admin, tp), "a refused delete changes nothing");
            assertEquals(4, admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(2))).lowWatermarks().get(tp)
                    .get(30, TimeUnit.SECONDS).lowWatermark(), "the start never moves back");
        }
        try (KafkaConsumer<byte[], byte[]> strict = broker.consumer(Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "none"))) {
            strict.assign(List.of(tp));
            strict.seek(tp, 2);
            assertThrows(org.apache.kafka.clients.consumer.OffsetOutOfRangeException.class, () -> {
                for (int i = 0; i < 20; i++) {
                    strict.poll(Duration.ofMillis(500));
                }
            });
        }
        assertEquals(List.of(4L, 5L, 6L, 7L, 8L, 9L), readAll(tp, 6));

        // a move (unload) keeps it: the new owner reads it from the ledger
        broker.pulsarAdmin().topics().unload("persistent://public/default/" + topic);
        try (Admin admin = broker.admin()) {
            assertEquals(4, earliest(admin, tp));
        }
        // Kafka's own tool
        Path json = Files.createTempFile("delete-records", ".json");
        Files.writeString(json, "{\"partitions\":[{\"topic\":\"" + topic + "\",\"partition\":0,\"offset\":6}],"
                + "\"version\":1}");
        KafkaCliToolsTest.Result cli = KafkaCliToolsTest.run(null, "org.apache.kafka.tools.DeleteRecordsCommand",
                "--bootstrap-server", "127.0.0.1:" + broker.kafkaPort(), "--offset-json-file", json.toString());
        assertEquals(0, cli.exitCode(), cli.toString());
        assertTrue(cli.out().contains("low_watermark: 6"), cli.toString());
        assertEquals(List.of(6L, 7L, 8L, 9L), readAll(tp, 4));
    }

    @Test
    void ledgersBelowTheLogStartAreDeleted() throws Exception {
        String topic = KopTestBroker.uniqueTopic("delrec-trim");
        String partition = "persistent://public/default/" + topic + "-partition-0";
        TopicPartition tp = new TopicPartition(topic, 0);
        try (Admin admin = broker.admin(); PulsarAdmin pulsar = broker.pulsarAdmin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            for (int round = 0; round < 2; round++) {
                try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of())) {
                    for (int i = 0; i < 5; i++) {
                        producer.send(new ProducerRecord<>(topic, 0, null, ("v" + i).getBytes())).get(30,
                                TimeUnit.SECONDS);
                    }
                }
                pulsar.topics().unload(partition); // closes the ledger: offsets 0-4 in one, 5-9 in the next
            }
            long firstLedger = pulsar.topics().getInternalStats(partition).ledgers.get(0).ledgerId;
            assertEquals(5, admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(5))).lowWatermarks().get(tp)
                    .get(30, TimeUnit.SECONDS).lowWatermark());
            assertTrue(broker.awaitLedgerDeleted(partition, firstLedger), "the ledger of offsets 0-4 is deleted");
            assertEquals(5, earliest(admin, tp));
        }
        assertEquals(List.of(5L, 6L, 7L, 8L, 9L), readAll(tp, 5));
    }

    /** The offsets a consumer starting at the earliest offset reads. */
    private List<Long> readAll(TopicPartition tp, int expected) {
        List<Long> offsets = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = broker.consumer(Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"))) {
            consumer.assign(List.of(tp));
            long deadline = System.currentTimeMillis() + 30_000;
            while (offsets.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    offsets.add(r.offset());
                }
            }
        }
        return offsets;
    }
}
