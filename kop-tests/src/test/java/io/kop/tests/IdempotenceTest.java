package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Idempotent produce at the protocol level: retries are deduplicated, gaps refused, state survives restarts. */
class IdempotenceTest {
    private final KopTestBroker broker = KopTestBroker.get();

    @ParameterizedTest
    @ValueSource(strings = {"pulsar", "kafka"})
    void duplicatesGetTheirOriginalOffsetAndGapsAreRefused(String format) throws Exception {
        String topic = KopTestBroker.uniqueTopic("idempotent-" + format);
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("kop.entry.format", format))))
                    .all().get();
        }
        long pid;
        short epoch;
        try (RawKafkaClient client = new RawKafkaClient(broker.kafkaPort())) {
            lookup(client, topic);
            InitProducerIdResponse init = client.send(new InitProducerIdRequest.Builder(
                    new InitProducerIdRequestData().setTransactionalId(null).setTransactionTimeoutMs(60000)).build());
            assertEquals(Errors.NONE, init.error());
            pid = init.data().producerId();
            epoch = init.data().producerEpoch();
            assertTrue(pid >= 0);

            PartitionProduceResponse first = produce(client, topic, pid, epoch, 0, 3);
            assertEquals(Errors.NONE.code(), first.errorCode(), first.errorMessage());
            assertEquals(0, first.baseOffset());
            PartitionProduceResponse retry = produce(client, topic, pid, epoch, 0, 3);
            assertEquals(Errors.NONE.code(), retry.errorCode());
            assertEquals(0, retry.baseOffset(), "a retried batch is answered with its original offset");
            assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER.code(), produce(client, topic, pid, epoch, 5, 2).errorCode());
            assertEquals(3, produce(client, topic, pid, epoch, 3, 2).baseOffset());
        }

        broker.restart();

        try (RawKafkaClient client = new RawKafkaClient(broker.kafkaPort())) {
            lookup(client, topic);
            PartitionProduceResponse again = produce(client, topic, pid, epoch, 3, 2);
            assertEquals(Errors.NONE.code(), again.errorCode());
            assertEquals(3, again.baseOffset(), "producer state was rebuilt from the log after the restart");
            assertEquals(5, produce(client, topic, pid, epoch, 5, 1).baseOffset());
        }
    }

    /** Like every Kafka client, look the partition up first: that makes a Pulsar broker own it. */
    /** DescribeProducers (Admin and kafka-transactions describe-producers) shows an idempotent producer. */
    @org.junit.jupiter.api.Test
    void describeProducersShowsAnIdempotentProducer() throws Exception {
        String topic = KopTestBroker.uniqueTopic("producers");
        org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition(topic, 0);
        long before = System.currentTimeMillis();
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
            try (var producer = broker.producer(Map.of("enable.idempotence", "true", "acks", "all"))) {
                for (int i = 0; i < 3; i++) {
                    producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, 0, null,
                            new byte[] {(byte) i})).get();
                }
            }
            var states = admin.describeProducers(List.of(tp)).partitionResult(tp).get().activeProducers();
            assertEquals(1, states.size(), states.toString());
            var state = states.get(0);
            assertEquals(2, state.lastSequence(), state.toString());
            assertTrue(state.lastTimestamp() >= before, state.toString());
            KafkaCliToolsTest.Result cli = KafkaCliToolsTest.run(null, "org.apache.kafka.tools.TransactionsCommand",
                    "--bootstrap-server", "127.0.0.1:" + broker.kafkaPort(), "describe-producers", "--topic", topic,
                    "--partition", "0");
            assertEquals(0, cli.exitCode(), cli.toString());
            assertTrue(cli.out().contains(Long.toString(state.producerId())), cli.toString());
        }
    }

    static void lookup(RawKafkaClient client, String topic) throws Exception {
        MetadataRequestData data = new MetadataRequestData();
        data.topics().add(new MetadataRequestData.MetadataRequestTopic().setName(topic));
        MetadataResponse response = client.send(new MetadataRequest.Builder(data).build((short) 12));
        assertEquals(Errors.NONE, response.topicMetadata().iterator().next().error());
    }

    static PartitionProduceResponse produce(RawKafkaClient client, String topic, long pid, short epoch,
                                            int baseSequence, int count) throws Exception {
        MemoryRecordsBuilder b = MemoryRecords.builder(ByteBuffer.allocate(4096), RecordBatch.CURRENT_MAGIC_VALUE,
                Compression.NONE, TimestampType.CREATE_TIME, 0L, RecordBatch.NO_TIMESTAMP, pid, epoch, baseSequence);
        for (int i = 0; i < count; i++) {
            b.append(System.currentTimeMillis(), null, ("seq-" + (baseSequence + i)).getBytes());
        }
        return client.produce(topic, b.build());
    }
}
