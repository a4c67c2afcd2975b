package io.kop.tests;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;

/** A bare Kafka-protocol socket for tests that need exact requests, or malformed bytes. */
final class RawKafkaClient implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private int correlationId;

    RawKafkaClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
    }

    @SuppressWarnings("unchecked")
    <T extends AbstractResponse> T send(AbstractRequest request) throws IOException {
        RequestHeader header = new RequestHeader(request.apiKey(), request.version(), "raw-test", ++correlationId);
        ByteBuffer bytes = request.serializeWithHeader(header);
        out.writeInt(bytes.remaining());
        out.write(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
        out.flush();
        byte[] response = new byte[in.readInt()];
        in.readFully(response);
        return (T) AbstractResponse.parseResponse(ByteBuffer.wrap(response), header);
    }

    /** Reads one response as ApiVersions v0 (what a broker answers to an ApiVersions version it lacks). */
    org.apache.kafka.common.requests.ApiVersionsResponse readApiVersionsV0() throws IOException {
        byte[] response = new byte[in.readInt()];
        in.readFully(response);
        ByteBuffer buffer = ByteBuffer.wrap(response);
        buffer.getInt(); // correlation id; response header v0 has nothing else
        return (org.apache.kafka.common.requests.ApiVersionsResponse) AbstractResponse.parseResponse(
                org.apache.kafka.common.protocol.ApiKeys.API_VERSIONS,
                new org.apache.kafka.common.protocol.ByteBufferAccessor(buffer), (short) 0);
    }

    /** Produce v12 of {@code records} to partition 0 of {@code topic}, acks=all: the partition's answer. */
    org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse produce(String topic,
            org.apache.kafka.common.record.internal.MemoryRecords records) throws IOException {
        return produce(topic, records, null, (short) 12);
    }

    /** Produce of {@code records} to partition 0 of {@code topic} at {@code version}, acks=all. */
    org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse produce(String topic,
            org.apache.kafka.common.record.internal.MemoryRecords records, String transactionalId, short version)
            throws IOException {
        var data = new org.apache.kafka.common.message.ProduceRequestData().setAcks((short) -1).setTimeoutMs(30_000)
                .setTransactionalId(transactionalId);
        var t = new org.apache.kafka.common.message.ProduceRequestData.TopicProduceData().setName(topic);
        t.partitionData().add(new org.apache.kafka.common.message.ProduceRequestData.PartitionProduceData()
                .setIndex(0).setRecords(records));
        data.topicData().add(t);
        org.apache.kafka.common.requests.ProduceResponse response =
                send(new org.apache.kafka.common.requests.ProduceRequest.Builder(version, version, data).build(version));
        return response.data().responses().iterator().next().partitionResponses().get(0);
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** True when the broker closes the connection within the timeout. */
    boolean closedByBroker(int timeoutMs) throws IOException {
        socket.setSoTimeout(timeoutMs);
        try {
            while (in.read() >= 0) {
                // drain whatever was in flight
            }
            return true;
        } catch (EOFException | SocketException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
