package io.kop.coordinator.bridge;

import io.kop.coordinator.CoordinatorTopic;
import io.kop.coordinator.TransactionService;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.coordinator.transaction.TransactionMetadata;
import org.apache.kafka.coordinator.transaction.TransactionState;
import org.apache.kafka.coordinator.transaction.TxnTransitMetadata;
import org.apache.kafka.server.common.TransactionVersion;
import org.apache.pulsar.broker.service.BrokerService;
import org.apache.pulsar.common.util.FutureUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tenant's transaction coordinator on Kafka's transaction state machine ({@link TransactionMetadata}:
 * its prepare/complete transitions decide what is legal) with the log in {@code __transaction_state}
 * ({@link TransactionLogPartition}). Every state change runs on one thread; a transition takes effect
 * once its record is stored. Ending a transaction stores PrepareCommit/PrepareAbort, answers the client,
 * has the {@link MarkerWriter} write a marker into every partition of the transaction (retrying until
 * each is written, or the partition is gone), then stores CompleteCommit/CompleteAbort. A new owner of a
 * log partition finishes the prepared transactions it reads back. Transactions open longer than their
 * timeout are aborted with a bumped epoch, which fences their producer.
 */
public final class KafkaTransactionCoordinator implements TransactionService {
    private static final Logger log = LoggerFactory.getLogger(KafkaTransactionCoordinator.class);
    private static final long MAX_MARKER_BACKOFF_MS = 2_000;
    private final io.kop.metrics.CoordinatorLoads loads;

    private final BrokerService brokers;
    private final CoordinatorTopic topic;
    private final Supplier<CompletableFuture<Long>> producerIds;
    private final MarkerWriter markers;
    private final IntFunction<CompletableFuture<Boolean>> owns;
    private final int maxTimeoutMs;
    private final ScheduledExecutorService executor;
    /**
     * The executor for continuations, run in place once it is shut down: a continuation the closed
     * executor refused would never complete its future, and the request waiting on it would hang.
     */
    private final java.util.concurrent.Executor async;
    /** Loaded partitions; changed only on {@link #executor}. */
    private final Map<Integer, TransactionLogPartition> loaded = new java.util.concurrent.ConcurrentHashMap<>();
    private final Set<Integer> loading = new HashSet<>();
    private final int[] epochs;
    /** Adds that wait for a transaction's markers (on {@link #executor}), by transactional id. */
    private final Map<String, List<Runnable>> awaitingCompletion = new HashMap<>();
    /** Per transactional id, the transition being stored (on the executor only). */
    private final Map<String, CompletableFuture<Void>> storing = new HashMap<>();
    private volatile boolean closed;

    /**
     * @param producerIds hands out cluster-unique producer ids
     * @param owns        whether this broker still owns a log partition (after a failed write)
     */
    public KafkaTransactionCoordinator(BrokerService brokers, CoordinatorTopic topic,
                                       Supplier<CompletableFuture<Long>> producerIds, MarkerWriter markers,
                                       IntFunction<CompletableFuture<Boolean>> owns, int maxTimeoutMs,
                                       long abortIntervalMs, long idExpirationMs,
                                       io.kop.metrics.CoordinatorLoads loads) {
        this.loads = loads;
        this.brokers = brokers;
        this.topic = topic;
        this.producerIds = producerIds;
        this.markers = markers;
        this.owns = owns;
        this.maxTimeoutMs = maxTimeoutMs;
        this.epochs = new int[topic.partitions()];
        this.executor = Executors.newSingleThreadScheduledExecutor(
                new DefaultThreadFactory("kop-txn-coordinator", true));
        this.async = io.kop.storage.Ledgers.inlineOnceShutDown(executor);
        TransactionHousekeeping housekeeping = new TransactionHousekeeping(loaded, this::fenceAndAbort,
                storing::containsKey, this::track, async, idExpirationMs);
        executor.scheduleWithFixedDelay(housekeeping::run, abortIntervalMs, abortIntervalMs, TimeUnit.MILLISECONDS);
    }

    @Override
    public int partitionFor(String transactionalId) {
        return Utils.abs(transactionalId.hashCode()) % topic.partitions();
    }

    // ------------------------------------------------------------ ownership

    @Override
    public void onElection(int partition) {
        if (closed) {
            return; // the broker is stopping: nothing to load
        }
        async.execute(() -> {
            if (closed || loaded.containsKey(partition) || !loading.add(partition)) {
                return;
            }
            int nowEpoch = (int) (System.currentTimeMillis() / 1000 - 1_700_000_000L);
            epochs[partition] = Math.max(epochs[partition] + 1, nowEpoch);
            int epoch = epochs[partition];
            long start = System.currentTimeMillis();
            TransactionLogPartition.load(brokers, topic.partition(partition), partition, epoch,
                            async)
                    .whenCompleteAsync((p, t) -> {
                        if (!loading.remove(partition) || closed) {
                            return; // resigned while loading
                        }
                        if (t != null) {
                            log.warn("loading {} failed: {}", topic.partition(partition), t.toString());
                            return;
                        }
                        loaded.put(partition, p);
                        loads.loaded("transaction", System.currentTimeMillis() - start, p.transactions.size());
                        log.info("loaded {} transactions of {} in {} ms (coordinator epoch {})",
                                p.transactions.size(), topic.partition(partition), System.currentTimeMillis() - start,
                                epoch);
                        p.transactions.values().forEach(md -> {
                            if (md.state() == TransactionState.PREPARE_COMMIT
                                    || md.state() == TransactionState.PREPARE_ABORT) {
                                completeWithMarkers(p, md);
                            }
                        });
                    }, async);
        });
    }

    @Override
    public void onResignation(int partition) {
        async.execute(() -> {
            loading.remove(partition);
            if (loaded.remove(partition) != null) {
                log.info("unloaded {}", topic.partition(partition));
            }
        });
    }

    /** A write failed: the ledger may have moved on. Load again if this broker still owns the partition. */
    private void reload(int partition) {
        onResignation(partition);
        owns.apply(partition).thenAccept(owned -> {
            if (owned) {
                onElection(partition);
            }
        });
    }

    // ------------------------------------------------------------ InitProducerId

    @Override
    public CompletableFuture<InitProducerIdResponseData> initProducerId(String transactionalId, int timeoutMs,
                                                                        long expectedProducerId,
                                                                        short expectedEpoch) {
        if (transactionalId.isEmpty()) {
            return CompletableFuture.completedFuture(initError(Errors.INVALID_REQUEST));
        }
        if (timeoutMs <= 0 || timeoutMs > maxTimeoutMs) {
            return CompletableFuture.completedFuture(initError(Errors.INVALID_TRANSACTION_TIMEOUT));
        }
        return on(() -> {
            TransactionLogPartition p = partitionOf(transactionalId);
            TransactionMetadata md = p.transactions.get(transactionalId);
            if (md != null) {
                return init(p, md, timeoutMs, expectedProducerId, expectedEpoch);
            }
            return producerIds.get().thenComposeAsync(id -> {
                TransactionLogPartition again = partitionOf(transactionalId);
                TransactionMetadata fresh = again.transactions.computeIfAbsent(transactionalId, k ->
                        new TransactionMetadata(k, id, RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_ID,
                                RecordBatch.NO_PRODUCER_EPOCH, RecordBatch.NO_PRODUCER_EPOCH, timeoutMs,
                                TransactionState.EMPTY, Set.of(), System.currentTimeMillis(),
                                System.currentTimeMillis(), TransactionVersion.TV_0));
                return init(again, fresh, timeoutMs, expectedProducerId, expectedEpoch);
            }, async);
        }).exceptionally(t -> initError(errorOf(t)));
    }

    private CompletableFuture<InitProducerIdResponseData> init(TransactionLogPartition p, TransactionMetadata md,
                                                               int timeoutMs, long expectedProducerId,
                                                               short expectedEpoch) {
        boolean expects = expectedProducerId != RecordBatch.NO_PRODUCER_ID;
        if (expects && expectedProducerId != md.producerId() && expectedProducerId != md.prevProducerId()) {
            throw Errors.PRODUCER_FENCED.exception("producer id " + expectedProducerId + " is no longer the one of "
                    + md.transactionalId());
        }
        if (md.pendingTransitionInProgress()) {
            throw Errors.CONCURRENT_TRANSACTIONS.exception();
        }
        switch (md.state()) {
            case ONGOING:
                // The open transaction is aborted first, with a bumped epoch; the client retries.
                return fenceAndAbort(p, md).thenApply(v -> initError(Errors.CONCURRENT_TRANSACTIONS));
            case EMPTY:
            case COMPLETE_COMMIT:
            case COMPLETE_ABORT:
                break;
            default:
                throw Errors.CONCURRENT_TRANSACTIONS.exception();
        }
        long now = System.currentTimeMillis();
        if (md.isProducerEpochExhausted()) {
            return producerIds.get().thenComposeAsync(id -> {
                if (md.pendingTransitionInProgress()) {
                    throw Errors.CONCURRENT_TRANSACTIONS.exception();
                }
                return persist(p, md, md.prepareProducerIdRotation(id, timeoutMs, now, expects));
            }, async).thenApply(v -> initOk(md));
        }
        TxnTransitMetadata transit = md.prepareIncrementProducerEpoch(timeoutMs,
                expects ? Optional.of(expectedEpoch) : Optional.empty(), now);
        return persist(p, md, transit).thenApply(v -> initOk(md));
    }

    private static InitProducerIdResponseData initOk(TransactionMetadata md) {
        return new InitProducerIdResponseData().setProducerId(md.producerId()).setProducerEpoch(md.producerEpoch());
    }

    private static InitProducerIdResponseData initError(Errors error) {
        return new InitProducerIdResponseData().setErrorCode(error.code()).setProducerId(RecordBatch.NO_PRODUCER_ID)
                .setProducerEpoch(RecordBatch.NO_PRODUCER_EPOCH);
    }

    // ------------------------------------------------------------ AddPartitionsToTxn / AddOffsetsToTxn

    @Override
    public CompletableFuture<Errors> addPartitions(String transactionalId, long producerId, short epoch,
                                                   Set<TopicPartition> partitions, int transactionVersion) {
        return addPartitions(transactionalId, producerId, epoch, partitions, transactionVersion, 0);
    }

    /** How long an add waits for the previous transaction's markers before answering CONCURRENT_TRANSACTIONS. */
    private static final long COMPLETION_WAIT_MS = 2_000;

    private CompletableFuture<Errors> addPartitions(String transactionalId, long producerId, short epoch,
                                                    Set<TopicPartition> partitions, int transactionVersion,
                                                    long waitedMs) {
        return on(() -> {
            TransactionLogPartition p = partitionOf(transactionalId);
            TransactionMetadata md = p.transactions.get(transactionalId);
            if (md != null && md.producerId() == producerId && ending(md) && waitedMs < COMPLETION_WAIT_MS) {
                // The previous transaction's markers are being written: the next one's first add waits for
                // them here rather than send the client into retries (each at least its retry backoff).
                return afterCompletion(transactionalId).thenCompose(waited -> addPartitions(transactionalId,
                        producerId, epoch, partitions, transactionVersion, waitedMs + waited));
            }
            CompletableFuture<Void> adding = storing.get(transactionalId);
            if (md != null && md.producerId() == producerId && md.producerEpoch() == epoch && adding != null
                    && md.pendingState().filter(s -> s == TransactionState.ONGOING).isPresent()) {
                // Another partition's add is being stored (a producer's batches reach several partitions
                // at once): this one follows it rather than send its batch into retries.
                return adding.handle((v, t) -> null).thenCompose(v -> addPartitions(transactionalId, producerId,
                        epoch, partitions, transactionVersion, waitedMs));
            }
            md = current(p, transactionalId, producerId, epoch);
            if (md.state() == TransactionState.PREPARE_COMMIT || md.state() == TransactionState.PREPARE_ABORT) {
                throw Errors.CONCURRENT_TRANSACTIONS.exception();
            }
            if (md.state() == TransactionState.ONGOING && md.topicPartitions().containsAll(partitions)) {
                return CompletableFuture.completedFuture(Errors.NONE);
            }
            TxnTransitMetadata transit = md.prepareAddPartitions(partitions, System.currentTimeMillis(),
                    TransactionVersion.fromFeatureLevel((short) transactionVersion));
            return persist(p, md, transit).thenApply(v -> Errors.NONE);
        }).exceptionally(KafkaTransactionCoordinator::errorOf);
    }

    @Override
    public CompletableFuture<Map<TopicPartition, Errors>> verifyPartitions(String transactionalId, long producerId,
                                                                          short epoch, Set<TopicPartition> partitions) {
        return on(() -> {
            TransactionLogPartition p = partitionOf(transactionalId);
            TransactionMetadata md = current(p, transactionalId, producerId, epoch);
            if (md.state() == TransactionState.PREPARE_COMMIT || md.state() == TransactionState.PREPARE_ABORT) {
                throw Errors.CONCURRENT_TRANSACTIONS.exception();
            }
            Map<TopicPartition, Errors> out = new HashMap<>();
            for (TopicPartition tp : partitions) {
                out.put(tp, md.state() == TransactionState.ONGOING && md.topicPartitions().contains(tp)
                        ? Errors.NONE : Errors.INVALID_TXN_STATE);
            }
            return CompletableFuture.completedFuture(out);
        }).exceptionally(t -> {
            Map<TopicPartition, Errors> out = new HashMap<>();
            partitions.forEach(tp -> out.put(tp, errorOf(t)));
            return out;
        });
    }

    /** Whether the transaction has ended and its markers or completion are still being written. */
    private static boolean ending(TransactionMetadata md) {
        return md.state() == TransactionState.PREPARE_COMMIT || md.state() == TransactionState.PREPARE_ABORT
                || md.pendingState().filter(s -> s == TransactionState.COMPLETE_COMMIT
                        || s == TransactionState.COMPLETE_ABORT).isPresent();
    }

    /**
     * Completes (on the executor) once the transaction's completion is stored, or after a while anyway;
     * with how long it waited (ms).
     */
    private CompletableFuture<Long> afterCompletion(String transactionalId) {
        long start = System.currentTimeMillis();
        CompletableFuture<Long> done = new CompletableFuture<>();
        Runnable wake = () -> done.complete(Math.max(1, System.currentTimeMillis() - start));
        awaitingCompletion.computeIfAbsent(transactionalId, k -> new ArrayList<>()).add(wake);
        executor.schedule(() -> {
            List<Runnable> waiting = awaitingCompletion.get(transactionalId);
            if (waiting != null && waiting.remove(wake) && waiting.isEmpty()) {
                awaitingCompletion.remove(transactionalId);
            }
            done.complete(COMPLETION_WAIT_MS);
        }, COMPLETION_WAIT_MS, TimeUnit.MILLISECONDS);
        return done;
    }

    /** The transaction, checked to belong to this producer and epoch, with no transition under way. */
    private static TransactionMetadata current(TransactionLogPartition p, String transactionalId, long producerId,
                                               short epoch) {
        TransactionMetadata md = p.transactions.get(transactionalId);
        if (md == null || md.producerId() != producerId) {
            throw Errors.INVALID_PRODUCER_ID_MAPPING.exception();
        }
        if (md.producerEpoch() != epoch) {
            throw Errors.PRODUCER_FENCED.exception();
        }
        if (md.pendingTransitionInProgress()) {
            throw Errors.CONCURRENT_TRANSACTIONS.exception();
        }
        return md;
    }

    // ------------------------------------------------------------ EndTxn

    @Override
    public CompletableFuture<EndTxnResponseData> endTxn(String transactionalId, long producerId, short epoch,
                                                        boolean commit, int transactionVersion) {
        return on(() -> {
            TransactionLogPartition p = partitionOf(transactionalId);
            TransactionMetadata md = p.transactions.get(transactionalId);
            if (md == null || md.producerId() != producerId) {
                throw Errors.INVALID_PRODUCER_ID_MAPPING.exception();
            }
            TransactionVersion version = TransactionVersion.fromFeatureLevel((short) transactionVersion);
            // With transactions v2 a retried EndTxn comes with the epoch from before its bump.
            boolean retry = version.supportsEpochBump() && epoch == md.producerEpoch() - 1
                    && md.lastProducerEpoch() == epoch;
            if (epoch != md.producerEpoch() && !retry) {
                throw Errors.PRODUCER_FENCED.exception();
            }
            if (md.pendingTransitionInProgress()) {
                throw Errors.CONCURRENT_TRANSACTIONS.exception();
            }
            TransactionState target = commit ? TransactionState.PREPARE_COMMIT : TransactionState.PREPARE_ABORT;
            switch (md.state()) {
                case ONGOING:
                    if (retry) {
                        throw Errors.PRODUCER_FENCED.exception();
                    }
                    break;
                case EMPTY:
                    if (commit || !version.supportsEpochBump() || retry) {
                        throw Errors.INVALID_TXN_STATE.exception();
                    }
                    break; // transactions v2 may abort a transaction that added nothing
                case COMPLETE_COMMIT:
                case COMPLETE_ABORT:
                    if ((md.state() == TransactionState.COMPLETE_COMMIT) == commit
                            && (retry || !version.supportsEpochBump())) {
                        return CompletableFuture.completedFuture(endOk(md)); // a retry of what is done
                    }
                    if (!commit && version.supportsEpochBump() && !retry) {
                        break;
                    }
                    throw Errors.INVALID_TXN_STATE.exception();
                case PREPARE_COMMIT:
                case PREPARE_ABORT:
                    if (md.state() == target) {
                        throw Errors.CONCURRENT_TRANSACTIONS.exception();
                    }
                    throw Errors.INVALID_TXN_STATE.exception();
                default:
                    throw Errors.INVALID_TXN_STATE.exception();
            }
            boolean nothingAdded = md.state() != TransactionState.ONGOING;
            TxnTransitMetadata transit = md.prepareAbortOrCommit(target, version, RecordBatch.NO_PRODUCER_ID,
                    System.currentTimeMillis(), nothingAdded);
            return persist(p, md, transit).thenApply(v -> {
                completeWithMarkers(p, md);
                return endOk(md);
            });
        }).exceptionally(t -> new EndTxnResponseData().setErrorCode(errorOf(t).code())
                .setProducerId(RecordBatch.NO_PRODUCER_ID).setProducerEpoch(RecordBatch.NO_PRODUCER_EPOCH));
    }

    private static EndTxnResponseData endOk(TransactionMetadata md) {
        return new EndTxnResponseData().setProducerId(md.producerId()).setProducerEpoch(md.producerEpoch());
    }

    /** Aborts an open transaction with a bumped epoch, which the old producer cannot use (on the executor). */
    private CompletableFuture<Void> fenceAndAbort(TransactionLogPartition p, TransactionMetadata md) {
        TxnTransitMetadata fence = md.prepareFenceProducerEpoch();
        md.pendingState(Optional.empty());
        md.setProducerEpoch(fence.producerEpoch());
        md.setLastProducerEpoch(RecordBatch.NO_PRODUCER_EPOCH);
        TxnTransitMetadata abort = md.prepareAbortOrCommit(TransactionState.PREPARE_ABORT,
                md.clientTransactionVersion(), RecordBatch.NO_PRODUCER_ID, System.currentTimeMillis(), false);
        return persist(p, md, abort).whenComplete((v, t) -> {
            if (t != null) {
                md.hasFailedEpochFence(true); // the bumped epoch is not stored: the next fence reuses it
            }
        }).thenRun(() -> completeWithMarkers(p, md));
    }

    /** Writes the prepared transaction's markers, then stores its completion (on the executor). */
    private void completeWithMarkers(TransactionLogPartition p, TransactionMetadata md) {
        boolean commit = md.state() == TransactionState.PREPARE_COMMIT;
        long producerId = md.producerId();
        short epoch = md.producerEpoch();
        int version = md.clientTransactionVersion().featureLevel();
        List<CompletableFuture<Void>> writes = new ArrayList<>();
        for (TopicPartition tp : new ArrayList<>(md.topicPartitions())) {
            writes.add(writeMarker(p, tp, producerId, epoch, commit, version, 0));
        }
        FutureUtil.waitForAll(writes).whenCompleteAsync((v, t) -> {
            if (t != null || loaded.get(p.partition) != p || md.state() != (commit
                    ? TransactionState.PREPARE_COMMIT : TransactionState.PREPARE_ABORT)) {
                return; // unloaded: the next owner finishes it from the log
            }
            persist(p, md, md.prepareComplete(System.currentTimeMillis())).whenComplete((x, e) -> {
                if (e != null) {
                    log.warn("completing transaction {} failed: {}", md.transactionalId(), e.toString());
                }
                List<Runnable> waiting = awaitingCompletion.remove(md.transactionalId());
                if (waiting != null) {
                    waiting.forEach(Runnable::run);
                }
            });
        }, async);
    }

    private CompletableFuture<Void> writeMarker(TransactionLogPartition p, TopicPartition tp, long producerId,
                                                short epoch, boolean commit, int transactionVersion, int attempt) {
        return markers.write(tp, producerId, epoch, commit, p.coordinatorEpoch, transactionVersion)
                .exceptionallyCompose(t -> {
            Throwable cause = FutureUtil.unwrapCompletionException(t);
            Errors error = Errors.forException(cause);
            if (error == Errors.UNKNOWN_TOPIC_OR_PARTITION || error == Errors.INVALID_PRODUCER_EPOCH
                    || error == Errors.PRODUCER_FENCED) {
                // The partition is gone, or already past this producer epoch: nothing left to end there.
                log.warn("{} marker for producer {} epoch {} not written to {}: {}", commit ? "commit" : "abort",
                        producerId, epoch, tp, cause.toString());
                return CompletableFuture.completedFuture(null);
            }
            if (closed || !isLoaded(p)) {
                return CompletableFuture.failedFuture(cause);
            }
            long backoff = Math.min(MAX_MARKER_BACKOFF_MS, 100L << Math.min(attempt, 5));
            log.debug("retrying the marker for producer {} on {} in {} ms: {}", producerId, tp, backoff, cause.toString());
            CompletableFuture<Void> retried = new CompletableFuture<>();
            executor.schedule(() -> writeMarker(p, tp, producerId, epoch, commit, transactionVersion, attempt + 1)
                    .whenComplete((v, e) -> {
                        if (e != null) {
                            retried.completeExceptionally(e);
                        } else {
                            retried.complete(null);
                        }
                    }), backoff, TimeUnit.MILLISECONDS);
            return retried;
        });
    }

    private boolean isLoaded(TransactionLogPartition p) {
        return loaded.get(p.partition) == p;
    }

    // ------------------------------------------------------------ Describe / List

    @Override
    public CompletableFuture<List<DescribeTransactionsResponseData.TransactionState>> describe(List<String> ids) {
        return on(() -> {
            List<DescribeTransactionsResponseData.TransactionState> out = new ArrayList<>();
            for (String id : ids) {
                try {
                    out.add(TransactionListings.describe(id, partitionOf(id).transactions.get(id)));
                } catch (ApiException e) {
                    out.add(TransactionListings.describe(id, null).setErrorCode(Errors.forException(e).code()));
                }
            }
            return CompletableFuture.completedFuture(out);
        });
    }

    @Override
    public CompletableFuture<ListTransactionsResponseData> list(ListTransactionsRequestData request) {
        return on(() -> CompletableFuture.completedFuture(TransactionListings.list(request, loaded.values(),
                !loading.isEmpty())));
    }

    // ------------------------------------------------------------ plumbing

    /** Stores a prepared transition, then completes it (on the executor); undoes it if the write fails. */
    private CompletableFuture<Void> persist(TransactionLogPartition p, TransactionMetadata md,
                                            TxnTransitMetadata transit) {
        CompletableFuture<Void> stored = p.write(md.transactionalId(), transit).handleAsync((v, t) -> {
            p.written();
            if (t != null || loaded.get(p.partition) != p) {
                md.pendingState(Optional.empty());
                if (t != null) {
                    log.warn("writing transaction {} to {} failed: {}", md.transactionalId(),
                            topic.partition(p.partition), t.toString());
                    reload(p.partition);
                }
                throw new CompletionException(Errors.NOT_COORDINATOR.exception(
                        "the transaction log partition moved; find the coordinator again"));
            }
            md.completeTransitionTo(transit);
            p.maybeSnapshot().exceptionally(e -> {
                log.warn("snapshot of {} failed: {}", topic.partition(p.partition), e.toString());
                return null;
            });
            return null;
        }, async);
        track(md.transactionalId(), stored);
        return stored;
    }

    /** A write for {@code id} in flight: other writes for it wait (on the executor). */
    private void track(String id, CompletableFuture<Void> stored) {
        storing.put(id, stored);
        stored.whenCompleteAsync((v, t) -> storing.remove(id, stored), async);
    }

    private TransactionLogPartition partitionOf(String transactionalId) {
        int partition = partitionFor(transactionalId);
        TransactionLogPartition p = loaded.get(partition);
        if (p == null) {
            throw loading.contains(partition) ? Errors.COORDINATOR_LOAD_IN_PROGRESS.exception()
                    : Errors.NOT_COORDINATOR.exception();
        }
        return p;
    }

    /** Runs a step on the coordinator's thread; what it throws fails the result. */
    private <T> CompletableFuture<T> on(Supplier<CompletableFuture<T>> step) {
        if (closed) {
            return CompletableFuture.failedFuture(Errors.COORDINATOR_NOT_AVAILABLE.exception());
        }
        return CompletableFuture.supplyAsync(step, async).thenCompose(f -> f);
    }

    private static Errors errorOf(Throwable t) {
        Throwable cause = FutureUtil.unwrapCompletionException(t);
        Errors error = Errors.forException(cause);
        if (error == Errors.UNKNOWN_SERVER_ERROR) {
            // An illegal transition is the client's doing (a request out of turn), as Kafka answers it.
            if (cause instanceof IllegalStateException) {
                return Errors.INVALID_TXN_STATE;
            }
            log.warn("transaction request failed", cause);
        }
        return error;
    }

    @Override
    public void close() {
        closed = true;
        executor.shutdown();
    }
}
