package io.kop.api;

import io.kop.security.Access.GroupOp;
import io.kop.security.Access.TopicOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;

/** The authorization stage's rules for the transaction APIs that touch topics or groups. */
final class TransactionRules {
    private TransactionRules() {
    }

    /** TxnOffsetCommit: read on the group and on each topic, as OffsetCommit. */
    static CompletableFuture<ApiMessage> txnOffsetCommit(RequestContext ctx, AbstractRequest r, AuthorizationStage.Names names,
                                                          Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((org.apache.kafka.common.requests.TxnOffsetCommitRequest) r).data();
        return AuthorizationStage.group(x -> data.groupId(), GroupOp.READ).apply(ctx, r, names, () -> AuthorizationStage.filter(data.topics(),
                AuthorizationStage.named(t -> t.name()), AuthorizationStage.topicCheck(ctx, names, TopicOp.READ),
                t -> new org.apache.kafka.common.message.TxnOffsetCommitResponseData.TxnOffsetCommitResponseTopic()
                        .setName(t.name()).setPartitions(t.partitions().stream().map(p ->
                                new org.apache.kafka.common.message.TxnOffsetCommitResponseData
                                        .TxnOffsetCommitResponsePartition().setPartitionIndex(p.partitionIndex())
                                        .setErrorCode(AuthorizationStage.topicRefused())).toList()),
                (m, denied) -> {
                    var resp = (org.apache.kafka.common.message.TxnOffsetCommitResponseData) m;
                    resp.setTopics(AuthorizationStage.plus(resp.topics(), denied));
                }, handler));
    }

    /**
     * AddPartitionsToTxn: write on every topic; a transaction with a refused one is not attempted
     * (TOPIC_AUTHORIZATION_FAILED for those partitions, OPERATION_NOT_ATTEMPTED for the rest).
     */
    static CompletableFuture<ApiMessage> addPartitionsToTxn(RequestContext ctx, AbstractRequest r, AuthorizationStage.Names names,
                                                             Supplier<CompletableFuture<ApiMessage>> handler) {
        var request = (org.apache.kafka.common.requests.AddPartitionsToTxnRequest) r;
        var normal = ctx.apiVersion() <= 3 ? request.normalizeRequest() : request;
        List<String> topics = new ArrayList<>();
        normal.data().transactions().forEach(t -> t.topics().forEach(topic -> topics.add(topic.name())));
        return AuthorizationStage.refused(topics, AuthorizationStage.topicCheck(ctx, names, TopicOp.WRITE)).thenCompose(refused -> {
            if (refused.isEmpty()) {
                return handler.get();
            }
            var out = new org.apache.kafka.common.message.AddPartitionsToTxnResponseData();
            for (var txn : normal.data().transactions()) {
                Map<org.apache.kafka.common.TopicPartition, Errors> errors = new java.util.HashMap<>();
                for (var tp : org.apache.kafka.common.requests.AddPartitionsToTxnRequest.getPartitions(txn.topics())) {
                    errors.put(tp, refused.contains(tp.topic()) ? Errors.TOPIC_AUTHORIZATION_FAILED
                            : Errors.OPERATION_NOT_ATTEMPTED);
                }
                var result = org.apache.kafka.common.requests.AddPartitionsToTxnResponse.resultForTransaction(
                        txn.transactionalId(), errors);
                if (ctx.apiVersion() <= 3) {
                    out.setResultsByTopicV3AndBelow(result.topicResults());
                } else {
                    out.resultsByTransaction().add(result);
                }
            }
            return CompletableFuture.completedFuture(out);
        });
    }

}
