package io.kop.api;

import io.kop.storage.LeaderEpochs;
import io.kop.storage.PartitionLogManager;
import io.kop.storage.StorageErrors;
import io.kop.topic.TopicResolver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderPartition;
import org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * OffsetsForLeaderEpoch (API 23): where a leader epoch ended, so a consumer that saw the leader change
 * can check that the records it read are still there (KIP-320). Pulsar never truncates acknowledged
 * records, so the answer is never below what a consumer has read.
 */
final class OffsetsForLeaderEpochHandler implements ApiHandler<OffsetsForLeaderEpochRequest> {
    private final TopicResolver topics;
    private final PartitionLogManager logs;

    OffsetsForLeaderEpochHandler(TopicResolver topics, PartitionLogManager logs) {
        this.topics = topics;
        this.logs = logs;
    }

    @Override
    public CompletableFuture<OffsetForLeaderEpochResponseData> handle(RequestContext ctx,
                                                                      OffsetsForLeaderEpochRequest request) {
        OffsetForLeaderEpochResponseData response = new OffsetForLeaderEpochResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (OffsetForLeaderTopic topic : request.data().topics()) {
            OffsetForLeaderTopicResult result = new OffsetForLeaderTopicResult().setTopic(topic.topic());
            response.topics().add(result);
            for (OffsetForLeaderPartition p : topic.partitions()) {
                EpochEndOffset r = new EpochEndOffset().setPartition(p.partition())
                        .setLeaderEpoch(LeaderEpochs.UNDEFINED).setEndOffset(-1);
                result.partitions().add(r);
                pending.add(topics.partition(topic.topic(), p.partition()).thenCompose(logs::get)
                        .thenCompose(log -> {
                            LeaderEpochs.check(p.currentLeaderEpoch(), log.leaderEpoch(),
                                    topic.topic() + "-" + p.partition());
                            return log.endOffsetForEpoch(p.leaderEpoch());
                        })
                        .handle((end, t) -> {
                            if (t != null) {
                                r.setErrorCode(Errors.forException(StorageErrors.toKafka(t)).code());
                            } else {
                                r.setLeaderEpoch(end.epoch()).setEndOffset(end.endOffset());
                            }
                            return null;
                        }));
            }
        }
        return FutureUtil.waitForAll(pending).thenApply(v -> response);
    }
}
