package io.kop.api;

import io.kop.coordinator.CoordinatorTopic;
import io.kop.coordinator.GroupCoordinators;
import io.kop.topic.TopicIdRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponsePartition;
import org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponseTopic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.TxnOffsetCommitRequest;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * TxnOffsetCommit (API 28): offsets that the group coordinator keeps pending until the transaction's
 * marker. Topics are named (v6 names them by id) and checked as for OffsetCommit; from v5
 * (transactions v2) the group's offsets partition first joins the transaction.
 */
final class TxnOffsetCommitHandler implements ApiHandler<TxnOffsetCommitRequest> {
    private final GroupCoordinators groups;
    private final TopicIdRegistry topicIds;

    TxnOffsetCommitHandler(GroupCoordinators groups, TopicIdRegistry topicIds) {
        this.groups = groups;
        this.topicIds = topicIds;
    }

    @Override
    public CompletableFuture<TxnOffsetCommitResponseData> handle(RequestContext ctx, TxnOffsetCommitRequest request) {
        var data = request.data();
        return CommitTopics.resolve(ctx, topicIds, data.topics(), TxnOffsetCommitRequestTopic::name,
                TxnOffsetCommitRequestTopic::topicId, t -> t.partitions().stream()
                        .map(p -> p.partitionIndex()).toList()).thenCompose(named -> {
            TxnOffsetCommitResponseData rejected = new TxnOffsetCommitResponseData();
            List<TxnOffsetCommitRequestTopic> known = new ArrayList<>();
            for (CommitTopics.Named<TxnOffsetCommitRequestTopic> n : named) {
                if (n.known()) {
                    known.add(n.topic().duplicate().setName(n.name()));
                } else {
                    rejected.topics().add(refused(n.topic(), n.error()));
                }
            }
            if (known.isEmpty()) {
                return CompletableFuture.completedFuture(rejected);
            }
            return join(ctx, request).thenCompose(error -> {
                if (error != Errors.NONE) {
                    TxnOffsetCommitResponseData out = new TxnOffsetCommitResponseData();
                    data.topics().forEach(t -> out.topics().add(refused(t, error)));
                    return CompletableFuture.completedFuture(out);
                }
                return groups.commitTransactionalOffsets(ctx, data.duplicate().setTopics(known)).thenCompose(r -> {
                    List<CompletableFuture<?>> ids = new ArrayList<>();
                    if (ctx.apiVersion() >= 6) { // v6 names topics by id
                        r.topics().forEach(t -> ids.add(topicIds.register(ctx.topics().pulsarName(t.name()))
                                .thenAccept(t::setTopicId)));
                    }
                    return FutureUtil.waitForAll(ids).thenApply(x -> {
                        r.topics().addAll(rejected.topics());
                        return r;
                    });
                });
            });
        });
    }

    /** Transactions v2 (v5 on): the group's offsets partition joins the transaction first. */
    private CompletableFuture<Errors> join(RequestContext ctx, TxnOffsetCommitRequest request) {
        var d = request.data();
        if (ctx.apiVersion() < 5) {
            return CompletableFuture.completedFuture(Errors.NONE);
        }
        return groups.of(ctx).thenCompose(t -> {
            if (t.transactions() == null) {
                return CompletableFuture.completedFuture(Errors.COORDINATOR_NOT_AVAILABLE);
            }
            return t.transactions().adder().add(d.transactionalId(), d.producerId(), d.producerEpoch(),
                    new TopicPartition(CoordinatorTopic.OFFSETS, t.partitionFor().applyAsInt(d.groupId())));
        });
    }

    private static TxnOffsetCommitResponseTopic refused(TxnOffsetCommitRequestTopic topic, Errors error) {
        TxnOffsetCommitResponseTopic t = new TxnOffsetCommitResponseTopic().setName(topic.name())
                .setTopicId(topic.topicId());
        topic.partitions().forEach(p -> t.partitions().add(new TxnOffsetCommitResponsePartition()
                .setPartitionIndex(p.partitionIndex()).setErrorCode(error.code())));
        return t;
    }
}
