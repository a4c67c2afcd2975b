package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** ListOffsets before and after a broker restart; offsets go on densely after it. */
class RestartOffsetsTest {
    private final KopTestBroker broker = KopTestBroker.get();

    @Test
    void offsetsSurviveARestart() throws Exception {
        String topic = KopTestBroker.uniqueTopic("restart");
        TopicPartition tp = new TopicPartition(topic, 0);
        long middle;
        try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, ("a" + i).getBytes())).get();
            }
            Thread.sleep(100);
            middle = System.currentTimeMillis();
            Thread.sleep(100);
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, ("b" + i).getBytes())).get();
            }
        }
        checkOffsets(tp, middle);

        broker.restart();

        checkOffsets(tp, middle);
        try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of())) {
            RecordMetadata md = producer.send(new ProducerRecord<>(topic, 0, null, "c".getBytes())).get();
            assertEquals(20, md.offset(), "offsets continue densely after the restart");
        }
        try (KafkaConsumer<byte[], byte[]> consumer = broker.consumer()) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            List<ConsumerRecord<byte[], byte[]>> all = ProduceFetchTest.poll(consumer, 21);
            for (int i = 0; i < 21; i++) {
                assertEquals(i, all.get(i).offset());
            }
        }
    }

    private void checkOffsets(TopicPartition tp, long middle) throws Exception {
        try (Admin admin = broker.admin()) {
            assertEquals(0, offset(admin, tp, OffsetSpec.earliest()).offset());
            assertEquals(20, offset(admin, tp, OffsetSpec.latest()).offset());
            ListOffsetsResultInfo byTime = offset(admin, tp, OffsetSpec.forTimestamp(middle));
            assertEquals(10, byTime.offset());
            assertEquals(-1, offset(admin, tp, OffsetSpec.forTimestamp(System.currentTimeMillis() + 60_000)).offset());
            assertEquals(19, offset(admin, tp, OffsetSpec.maxTimestamp()).offset());
        }
    }

    private static ListOffsetsResultInfo offset(Admin admin, TopicPartition tp, OffsetSpec spec) throws Exception {
        return admin.listOffsets(Map.of(tp, spec)).partitionResult(tp).get();
    }
}
