package io.kop.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kop.api.ApiDispatcher;
import io.kop.api.ApiHandler;
import io.kop.format.RecordChunks;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.junit.jupiter.api.Test;

/** The records a fetch response holds are given back however the response ends: written or dropped. */
class KafkaConnectionTest {
    private final CompletableFuture<FetchResponseData> answer = new CompletableFuture<>();
    private final ByteBuf cached = Unpooled.directBuffer(256);

    private EmbeddedChannel connection() {
        ApiHandler<FetchRequest> fetch = (ctx, request) -> answer;
        ApiDispatcher dispatcher = new ApiDispatcher().register(ApiKeys.FETCH, fetch);
        return new EmbeddedChannel(new KafkaConnection(dispatcher, "PLAINTEXT", 100,
                io.kop.security.ListenerSecurity.none("public", "default"), null, new io.kop.metrics.RequestMetrics(),
                new io.kop.stats.PulsarStats(null, new io.kop.stats.ClientGroups())));
    }

    private static ByteBuf fetchRequest() {
        short version = ApiKeys.FETCH.latestVersion();
        FetchRequest request = FetchRequest.Builder.forConsumer(version, 500, 1, Map.of()).build(version);
        ByteBuffer frame = request.serializeWithHeader(new RequestHeader(ApiKeys.FETCH, version, "test", 7));
        return Unpooled.wrappedBuffer(frame);
    }

    /** A response whose one partition's records sit in {@link #cached}, as recent batches do. */
    private FetchResponseData responseHoldingCachedBytes() {
        MemoryRecords batch = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord("v".getBytes()));
        cached.writeBytes(batch.buffer().duplicate());
        RecordChunks records = new RecordChunks(List.of(cached), 1);
        FetchableTopicResponse topic = new FetchableTopicResponse().setTopic("t");
        topic.partitions().add(new PartitionData().setPartitionIndex(0).setRecords(records));
        FetchResponseData response = new FetchResponseData();
        response.responses().add(topic);
        return response;
    }

    @Test
    void aWrittenResponseHoldsTheRecordsUntilTheFrameIsReleased() {
        EmbeddedChannel channel = connection();
        channel.writeInbound(fetchRequest());
        answer.complete(responseHoldingCachedBytes());
        channel.runPendingTasks();
        ByteBuf frame = channel.readOutbound();
        assertTrue(frame.isDirect(), "all direct, or Netty copies the whole frame before the socket write");
        assertEquals(1, cached.refCnt(), "the frame's reference; the response's own is given back");
        frame.release(); // what Netty does once the frame is on the wire
        assertEquals(0, cached.refCnt());
    }

    @Test
    void aResponseThatCompletesAfterTheConnectionClosedIsReleased() {
        EmbeddedChannel channel = connection();
        channel.writeInbound(fetchRequest());
        channel.close();
        answer.complete(responseHoldingCachedBytes());
        channel.runPendingTasks();
        assertEquals(0, cached.refCnt());
        assertNull(channel.readOutbound());
    }
}
