package io.kop.api;

import io.kop.coordinator.CoordinatorTopic;
import io.kop.coordinator.GroupCoordinators;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData.AddPartitionsToTxnResult;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AddOffsetsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnResponse;
import org.apache.kafka.common.requests.DescribeTransactionsRequest;
import org.apache.kafka.common.requests.EndTxnRequest;
import org.apache.kafka.common.requests.ListTransactionsRequest;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * The transaction APIs a client sends to its transaction coordinator (the tenant's, see
 * {@link GroupCoordinators}): AddPartitionsToTxn 24, AddOffsetsToTxn 25, EndTxn 26,
 * DescribeTransactions 65 and ListTransactions 66 (TxnOffsetCommit has a handler of its own). AddPartitionsToTxn in every version (v4+ is the brokers' batched form, with VerifyOnly);
 * EndTxn v5 (transactions v2: an epoch per transaction) only when {@code transaction.version} is 2.
 */
final class TransactionHandlers {
    /** EndTxn v5 is transactions v2 (KIP-890). */
    static final short END_TXN_V1_MAX_VERSION = 4;

    private TransactionHandlers() {
    }

    static void register(ApiDispatcher dispatcher, GroupCoordinators groups, short transactionVersion) {
        short endTxnMax = transactionVersion >= 2 ? ApiKeys.END_TXN.latestVersion(false) : END_TXN_V1_MAX_VERSION;
        dispatcher
                .register(ApiKeys.ADD_PARTITIONS_TO_TXN, (RequestContext ctx, AddPartitionsToTxnRequest r) ->
                        groups.of(ctx).thenCompose(t -> addPartitions(ctx, t, r)))
                .register(ApiKeys.ADD_OFFSETS_TO_TXN, (RequestContext ctx, AddOffsetsToTxnRequest r) ->
                        groups.of(ctx).thenCompose(t -> addOffsets(t, r)))
                .register(ApiKeys.END_TXN, endTxnMax, (RequestContext ctx, EndTxnRequest r) ->
                        groups.of(ctx).thenCompose(t -> transactions(t).service().endTxn(
                                r.data().transactionalId(), r.data().producerId(), r.data().producerEpoch(),
                                r.data().committed(), r.version() > END_TXN_V1_MAX_VERSION ? 2 : 0)))
                .register(ApiKeys.DESCRIBE_TRANSACTIONS, (RequestContext ctx, DescribeTransactionsRequest r) ->
                        groups.of(ctx).thenCompose(t -> transactions(t).service()
                                .describe(r.data().transactionalIds()).thenApply(states -> {
                                    states.forEach(s -> s.topics().forEach(topic -> topic.setTopic(
                                            TransactionNames.toClient(ctx, transactions(t), topic.topic()))));
                                    return new DescribeTransactionsResponseData().setTransactionStates(states);
                                })))
                .register(ApiKeys.LIST_TRANSACTIONS, (RequestContext ctx, ListTransactionsRequest r) ->
                        groups.of(ctx).thenCompose(t -> transactions(t).service().list(r.data())));
    }

    private static GroupCoordinators.Transactions transactions(GroupCoordinators.Tenant t) {
        if (t.transactions() == null) {
            throw Errors.COORDINATOR_NOT_AVAILABLE.exception("no transaction coordinator for tenant " + t.name());
        }
        return t.transactions();
    }

    private static CompletableFuture<AddOffsetsToTxnResponseData> addOffsets(GroupCoordinators.Tenant t,
                                                                            AddOffsetsToTxnRequest r) {
        var d = r.data();
        TopicPartition offsets = new TopicPartition(CoordinatorTopic.OFFSETS, t.partitionFor().applyAsInt(d.groupId()));
        return transactions(t).service().addPartitions(d.transactionalId(), d.producerId(), d.producerEpoch(),
                Set.of(offsets), 0).thenApply(e -> new AddOffsetsToTxnResponseData().setErrorCode(e.code()));
    }

    /**
     * Each transaction's partitions, named as the coordinator names them; partitions of topics that do
     * not exist fail the transaction's request (UNKNOWN_TOPIC_OR_PARTITION for them,
     * OPERATION_NOT_ATTEMPTED for the rest), as in Kafka.
     */
    private static CompletableFuture<AddPartitionsToTxnResponseData> addPartitions(RequestContext ctx,
            GroupCoordinators.Tenant t, AddPartitionsToTxnRequest request) {
        boolean v3AndBelow = ctx.apiVersion() <= 3;
        // normalizeRequest moves v3's single transaction into v4's collection (and empties a v4 request)
        AddPartitionsToTxnRequest normal = v3AndBelow ? request.normalizeRequest() : request;
        List<CompletableFuture<AddPartitionsToTxnResult>> results = new ArrayList<>();
        for (AddPartitionsToTxnTransaction txn : normal.data().transactions()) {
            results.add(addPartitions(ctx, transactions(t), txn));
        }
        return FutureUtil.waitForAll(results).thenApply(v -> {
            AddPartitionsToTxnResponseData out = new AddPartitionsToTxnResponseData();
            for (CompletableFuture<AddPartitionsToTxnResult> f : results) {
                if (v3AndBelow) {
                    out.setResultsByTopicV3AndBelow(f.join().topicResults());
                } else {
                    out.resultsByTransaction().add(f.join());
                }
            }
            return out;
        });
    }

    private static CompletableFuture<AddPartitionsToTxnResult> addPartitions(RequestContext ctx,
            GroupCoordinators.Transactions txns, AddPartitionsToTxnTransaction txn) {
        List<TopicPartition> asked = AddPartitionsToTxnRequest.getPartitions(txn.topics());
        Map<String, CompletableFuture<Boolean>> exists = new HashMap<>();
        for (TopicPartition tp : asked) {
            if (tp.topic().equals(CoordinatorTopic.OFFSETS)) {
                // a group's offsets partition, which another broker adds for TxnOffsetCommit v5
                exists.put(tp.topic(), CompletableFuture.completedFuture(true));
                continue;
            }
            exists.computeIfAbsent(tp.topic(), name -> ctx.topics().find(name, false)
                    .thenApply(found -> found.isPresent() && asked.stream().filter(p -> p.topic().equals(name))
                            .allMatch(p -> p.partition() >= 0 && p.partition() < found.get().partitions()))
                    .exceptionally(e -> false));
        }
        return FutureUtil.waitForAll(exists.values()).thenCompose(v -> {
            Map<TopicPartition, Errors> errors = new HashMap<>();
            Map<TopicPartition, TopicPartition> toCoordinator = new HashMap<>();
            for (TopicPartition tp : asked) {
                if (!exists.get(tp.topic()).join()) {
                    errors.put(tp, Errors.UNKNOWN_TOPIC_OR_PARTITION);
                } else {
                    toCoordinator.put(tp.topic().equals(CoordinatorTopic.OFFSETS) ? tp
                            : new TopicPartition(TransactionNames.toCoordinator(ctx, txns, tp.topic()), tp.partition()),
                            tp);
                }
            }
            if (!errors.isEmpty()) {
                asked.forEach(tp -> errors.putIfAbsent(tp, Errors.OPERATION_NOT_ATTEMPTED));
                return CompletableFuture.completedFuture(errors);
            }
            Set<TopicPartition> partitions = new HashSet<>(toCoordinator.keySet());
            if (txn.verifyOnly()) {
                return txns.service().verifyPartitions(txn.transactionalId(), txn.producerId(), txn.producerEpoch(),
                        partitions).thenApply(byPartition -> {
                            Map<TopicPartition, Errors> out = new HashMap<>();
                            byPartition.forEach((tp, e) -> out.put(toCoordinator.get(tp), e));
                            return out;
                        });
            }
            return txns.service().addPartitions(txn.transactionalId(), txn.producerId(), txn.producerEpoch(),
                    partitions, ctx.apiVersion() > 3 ? 2 : 0).thenApply(e -> {
                        Map<TopicPartition, Errors> out = new HashMap<>();
                        asked.forEach(tp -> out.put(tp, e));
                        return out;
                    });
        }).thenApply(errors -> AddPartitionsToTxnResponse.resultForTransaction(txn.transactionalId(), errors));
    }
}
