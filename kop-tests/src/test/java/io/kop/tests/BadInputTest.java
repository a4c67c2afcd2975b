package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.junit.jupiter.api.Test;

/** Bad bytes close only their own connection; a producer on another connection is not disturbed. */
class BadInputTest {
    private final KopTestBroker broker = KopTestBroker.get();

    @Test
    void malformedFramesCloseOnlyTheirConnection() throws Exception {
        String topic = KopTestBroker.uniqueTopic("bad-input");
        try (KafkaProducer<byte[], byte[]> producer = broker.producer(Map.of())) {
            producer.send(new ProducerRecord<>(topic, 0, null, "before".getBytes())).get();

            assertClosed(frame(new byte[] {1, 2, 3}), "a frame too short for a request header");
            assertClosed(new byte[] {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0}, "an oversized frame");
            assertClosed(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xf0}, "a negative length");
            assertClosed(frame(header((short) 9999, (short) 0)), "an unknown API key");
            assertClosed(frame(header((short) 3, (short) 99)), "an unsupported Metadata version");
            byte[] truncatedProduce = concat(header((short) 0, (short) 9), new byte[] {0, 0, 0});
            assertClosed(frame(truncatedProduce), "a produce body that does not parse");
            Random random = new Random(42);
            for (int i = 0; i < 20; i++) {
                byte[] junk = new byte[1 + random.nextInt(200)];
                random.nextBytes(junk);
                junk[0] = (byte) (junk[0] & 0x7f);
                assertClosed(frame(concat(header((short) 0, (short) (3 + random.nextInt(10))), junk)), "random bytes " + i);
            }

            producer.send(new ProducerRecord<>(topic, 0, null, "after".getBytes())).get();
        }
        try (KafkaConsumer<byte[], byte[]> consumer = broker.consumer()) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            assertEquals(2, ProduceFetchTest.poll(consumer, 2).size());
        }
    }

    @Test
    void missingTopicGetsUnknownTopicWithoutAutoCreation() throws Exception {
        try (RawKafkaClient client = new RawKafkaClient(broker.kafkaPort())) {
            MetadataRequestData data = new MetadataRequestData().setAllowAutoTopicCreation(false);
            data.topics().add(new MetadataRequestData.MetadataRequestTopic().setName("no-such-topic-" + System.nanoTime()));
            MetadataResponse response = client.send(new MetadataRequest.Builder(data).build((short) 12));
            assertEquals(Errors.UNKNOWN_TOPIC_OR_PARTITION, response.topicMetadata().iterator().next().error());
            data.topics().clear();
            data.topics().add(new MetadataRequestData.MetadataRequestTopic().setName("bad/name"));
            response = client.send(new MetadataRequest.Builder(data).build((short) 12));
            assertEquals(Errors.INVALID_TOPIC_EXCEPTION, response.topicMetadata().iterator().next().error());
        }
    }

    @Test
    void apiVersionsFromANewerClientGetsOurVersionsInV0() throws Exception {
        try (RawKafkaClient client = new RawKafkaClient(broker.kafkaPort())) {
            // ApiVersions v99: a header kafka-clients can read, a body version it cannot (KIP-511)
            byte[] header = header((short) 18, (short) 99);
            client.sendRaw(frame(concat(header, new byte[] {0, 0, 0})));
            org.apache.kafka.common.requests.ApiVersionsResponse response = client.readApiVersionsV0();
            assertEquals(Errors.UNSUPPORTED_VERSION.code(), response.data().errorCode());
            assertTrue(response.data().apiKeys().find((short) 0) != null, "Produce listed");
            assertTrue(response.data().apiKeys().find((short) 22) != null, "InitProducerId listed");
            assertEquals(org.apache.kafka.common.protocol.ApiKeys.END_TXN.latestVersion(false),
                    response.data().apiKeys().find((short) 26).maxVersion(), "EndTxn v5: transactions v2 served");
            assertTrue(response.data().apiKeys().find((short) 57) == null, "UpdateFeatures not advertised");
        }
    }

    private void assertClosed(byte[] bytes, String what) throws IOException {
        try (RawKafkaClient client = new RawKafkaClient(broker.kafkaPort())) {
            client.sendRaw(bytes);
            assertTrue(client.closedByBroker(10_000), "connection closed after " + what);
        }
    }

    private static byte[] header(short apiKey, short version) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeShort(apiKey);
        out.writeShort(version);
        out.writeInt(7);
        out.writeShort(4);
        out.writeBytes("test");
        if (version >= 9 || apiKey == 3 && version >= 9) {
            out.writeByte(0); // empty tagged fields of a flexible header
        }
        return bytes.toByteArray();
    }

    private static byte[] frame(byte[] body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(body.length);
        out.write(body);
        return bytes.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
