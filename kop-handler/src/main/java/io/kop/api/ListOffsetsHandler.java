package io.kop.api;

import io.kop.KopServices;
import io.kop.storage.LeaderEpochs;
import io.kop.storage.PartitionLog;
import io.kop.storage.PartitionLog.OffsetAndTimestamp;
import io.kop.storage.StorageErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsTopic;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsTopicResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.pulsar.common.util.FutureUtil;

/** ListOffsets (API 2): earliest, latest, by timestamp, max timestamp. */
final class ListOffsetsHandler implements ApiHandler<ListOffsetsRequest> {
    private final KopServices services;

    ListOffsetsHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<ListOffsetsResponseData> handle(RequestContext ctx, ListOffsetsRequest request) {
        ListOffsetsResponseData response = new ListOffsetsResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        boolean readCommitted = request.data().isolationLevel()
                == org.apache.kafka.common.IsolationLevel.READ_COMMITTED.id();
        for (ListOffsetsTopic topic : request.data().topics()) {
            ListOffsetsTopicResponse topicResponse = new ListOffsetsTopicResponse().setName(topic.name());
            response.topics().add(topicResponse);
            for (ListOffsetsPartition p : topic.partitions()) {
                ListOffsetsPartitionResponse r = new ListOffsetsPartitionResponse()
                        .setPartitionIndex(p.partitionIndex()).setTimestamp(-1).setOffset(-1).setLeaderEpoch(-1);
                topicResponse.partitions().add(r);
                pending.add(ctx.topics().partition(topic.name(), p.partitionIndex())
                        .thenCompose(services.logs()::get)
                        .thenCompose(log -> {
                            LeaderEpochs.check(p.currentLeaderEpoch(), log.leaderEpoch(),
                                    topic.name() + "-" + p.partitionIndex());
                            if (ctx.apiVersion() >= 4) { // the field exists from v4 on
                                r.setLeaderEpoch(log.leaderEpoch());
                            }
                            return lookup(log, p.timestamp(), readCommitted);
                        })
                        .handle((found, t) -> {
                            if (t != null) {
                                r.setErrorCode(Errors.forException(StorageErrors.toKafka(t)).code())
                                        .setLeaderEpoch(-1);
                            } else {
                                r.setOffset(found.offset()).setTimestamp(found.timestamp());
                            }
                            return null;
                        }));
            }
        }
        return FutureUtil.waitForAll(pending).thenApply(v -> response);
    }

    /** {@code readCommitted}: the latest offset is the last stable one, as read_committed consumers see the log. */
    private static CompletableFuture<OffsetAndTimestamp> lookup(PartitionLog log, long timestamp,
                                                                boolean readCommitted) {
        if (timestamp == ListOffsetsRequest.LATEST_TIMESTAMP) {
            return readCommitted ? log.lastStableOffset().thenApply(lso -> new OffsetAndTimestamp(lso, -1))
                    : log.offsets().thenApply(o -> new OffsetAndTimestamp(o.highWatermark(), -1));
        }
        if (timestamp == ListOffsetsRequest.EARLIEST_TIMESTAMP
                || timestamp == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP) {
            return log.offsets().thenApply(o -> new OffsetAndTimestamp(o.logStartOffset(), -1));
        }
        if (timestamp == ListOffsetsRequest.MAX_TIMESTAMP) {
            return log.maxTimestamp();
        }
        if (timestamp == ListOffsetsRequest.LATEST_TIERED_TIMESTAMP
                || timestamp == ListOffsetsRequest.EARLIEST_PENDING_UPLOAD_TIMESTAMP) {
            return CompletableFuture.completedFuture(new OffsetAndTimestamp(-1, -1)); // nothing is tiered
        }
        if (timestamp < 0) {
            return CompletableFuture.failedFuture(new org.apache.kafka.common.errors.InvalidRequestException(
                    "unknown special timestamp " + timestamp));
        }
        return log.offsetForTimestamp(timestamp);
    }
}
