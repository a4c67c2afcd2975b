package io.kop.storage;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.pulsar.broker.service.BrokerService;
import org.apache.pulsar.broker.service.Topic;
import org.apache.pulsar.broker.service.persistent.PersistentTopic;
import org.apache.pulsar.common.naming.TopicName;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The partition logs this broker serves. A log is bound to one loaded {@link PersistentTopic}: when
 * Pulsar unloads and reloads the topic (ownership moves, restarts) a fresh log is built for the new
 * instance and its producer state is rebuilt from the ledger.
 */
public final class PartitionLogManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PartitionLogManager.class);
    private static final long CURSOR_MAX_IDLE_MS = 60_000;

    private final BrokerService brokerService;
    private final int maxReadEntries;
    private final CursorReader.Budget readAheadBudget;
    private final RecentBatches recentBatches;
    /** What a new log reads of its partition's end into the cache (0: nothing, or no cache). */
    private final int warmBytes;
    private final long producerRecoveryRecords;
    private final ExecutorService decodePool;
    /**
     * The pool, or the calling thread once the pool is shut down: a storage read that completes while
     * the broker stops still has its entries decoded or released, never dropped with a refused task.
     */
    private final java.util.concurrent.Executor decodeExecutor;
    private final ScheduledExecutorService housekeeping;
    private final Map<String, CompletableFuture<ManagedLedgerPartitionLog>> logs = new ConcurrentHashMap<>();
    private static final long REMOTE_EPOCH_TTL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private final Map<TopicName, RemoteEpoch> remoteEpochs = new ConcurrentHashMap<>();

    private record RemoteEpoch(int epoch, long readAtNanos) {
    }

    public PartitionLogManager(BrokerService brokerService, int maxReadEntries, long producerRecoveryRecords,
                               long readAheadMaxBytes, long recentBatchesMaxBytes, int warmBytes) {
        this.brokerService = brokerService;
        this.warmBytes = recentBatchesMaxBytes > 0 ? warmBytes : 0;
        this.recentBatches = new RecentBatches(recentBatchesMaxBytes);
        this.readAheadBudget = readAheadMaxBytes > 0 ? new CursorReader.Budget(readAheadMaxBytes) : null;
        this.maxReadEntries = maxReadEntries;
        this.producerRecoveryRecords = producerRecoveryRecords;
        this.decodePool = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
                new DefaultThreadFactory("kop-storage", true));
        this.decodeExecutor = Ledgers.inlineOnceShutDown(decodePool);
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("kop-housekeeping", true));
        housekeeping.scheduleWithFixedDelay(this::expire, 10, 10, TimeUnit.SECONDS);
    }

    /**
     * The log of one partition ({@code persistent://t/ns/topic-partition-N}, or a non-partitioned topic).
     * The caller has checked that the partition exists; the managed ledger is created if it was not yet.
     * Fails with NOT_LEADER_OR_FOLLOWER when another broker owns it.
     */
    public CompletableFuture<PartitionLog> get(TopicName partition) {
        return brokerService.getTopic(partition, true, null).thenCompose(opt -> {
            Optional<Topic> t = opt;
            if (t.isEmpty() || !(t.get() instanceof PersistentTopic topic)) {
                throw new UnknownTopicOrPartitionException("no such partition: " + partition);
            }
            String key = partition.toString();
            CompletableFuture<ManagedLedgerPartitionLog> current = logs.get(key);
            if (current != null && (!current.isDone() || !current.isCompletedExceptionally()
                    && current.getNow(null).topic() == topic)) {
                return current.thenApply(l -> (PartitionLog) l);
            }
            CompletableFuture<ManagedLedgerPartitionLog> created = new CompletableFuture<>();
            boolean[] replacing = new boolean[1];
            CompletableFuture<ManagedLedgerPartitionLog> winner = logs.compute(key, (k, old) -> {
                if (old != null && old != current) {
                    return old; // somebody else replaced it meanwhile
                }
                replacing[0] = old != null;
                if (old != null && old.isDone() && !old.isCompletedExceptionally()) { // replaced: reloaded
                    old.getNow(null).close();
                }
                return created;
            });
            if (winner == created) {
                ManagedLedgerPartitionLog fresh = new ManagedLedgerPartitionLog(topic, decodeExecutor, maxReadEntries,
                        readAheadBudget, recentBatches.partition());
                // A new leader epoch first: if it cannot be written the partition has moved on already.
                fresh.openCompactedSegment(bookKeeper()).thenCompose(v -> fresh.startEpoch())
                        .thenCompose(v -> recoverProducerState(partition, fresh)).whenComplete((v, failure) -> {
                    if (failure != null) {
                        logs.remove(key, created);
                        fresh.close();
                        created.completeExceptionally(failure);
                    } else {
                        if (replacing[0]) {
                            fresh.tookOver();
                        }
                        fresh.serveTransactionsToPulsarConsumers();
                        created.complete(fresh);
                        warmRecentBatches(partition, fresh);
                    }
                });
            }
            return winner.thenApply(l -> (PartitionLog) l);
        }).exceptionally(t -> {
            throw StorageErrors.toKafkaUnchecked(t);
        });
    }

    /**
     * A topic this broker just loaded. One KoP served before (it has leader epochs) has its log opened
     * now, not on the first Kafka request, and Pulsar's dispatchers held until the log knows the
     * partition's Kafka transactions: Pulsar consumers never see records of open or aborted ones.
     */
    public void topicLoaded(String name) {
        Optional<Topic> loaded = brokerService.getTopicReference(name);
        if (loaded.isEmpty() || !(loaded.get() instanceof PersistentTopic topic)
                || !topic.getManagedLedger().getProperties().containsKey(LeaderEpochs.PROPERTY)
                || !KafkaTransactionBuffer.holdAll(topic)) {
            return;
        }
        get(TopicName.get(name)).whenComplete((served, e) -> {
            if (e != null) {
                log.debug("[{}] not served after its load: {}", name, e.toString());
                KafkaTransactionBuffer.release(topic);
            }
        });
    }

    /**
     * What the previous owner had in its recent-batches cache, about: the partition's last
     * {@code kafkaRecentBatchesWarmBytes}, read in the background once the log serves. A failure only costs storage reads.
     */
    private CompletableFuture<Void> warmRecentBatches(TopicName partition, ManagedLedgerPartitionLog fresh) {
        if (warmBytes <= 0) {
            return CompletableFuture.completedFuture(null);
        }
        long started = System.nanoTime();
        return fresh.warmRecentBatches(warmBytes).handle((records, e) -> {
            if (e != null) {
                log.warn("[{}] recent batches not read back: {}", partition, e.toString());
            } else if (records > 0) {
                log.info("[{}] {} recent records cached from storage in {} ms", partition, records,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            }
            return null;
        });
    }

    /** Rebuilds the new log's producer state; a failure only costs deduplication of retries, so it is logged. */
    private CompletableFuture<Void> recoverProducerState(TopicName partition, ManagedLedgerPartitionLog fresh) {
        long started = System.nanoTime();
        return fresh.recoverProducerState(producerRecoveryRecords).handle((entries, e) -> {
            if (e != null) {
                log.warn("[{}] producer state not recovered: {}", partition, e.toString());
            } else {
                log.info("[{}] serving with leader epoch {}; producer state from {} entries in {} ms", partition,
                        fresh.leaderEpoch(), entries, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            }
            return null;
        });
    }

    /**
     * The partition's current leader epoch as the cluster knows it: this broker's log when it has one,
     * else the epoch history in the managed ledger's properties, in memory when Pulsar has the topic
     * loaded here, otherwise read from the metadata store (kept a second, so a Metadata request for
     * many partitions of other brokers costs one read each at most once a second); -1 when unknown.
     * A partition whose owner has not served Kafka yet shows its previous epoch: the owner starts the
     * next one on the first Kafka request, and a client that sent the old one is told to refresh.
     */
    public CompletableFuture<Integer> leaderEpoch(TopicName partition) {
        CompletableFuture<ManagedLedgerPartitionLog> ours = logs.get(partition.toString());
        if (ours != null && ours.isDone() && !ours.isCompletedExceptionally()) {
            return CompletableFuture.completedFuture(ours.join().leaderEpoch());
        }
        Optional<Topic> loaded = brokerService.getTopicReference(partition.toString());
        if (loaded.isPresent() && loaded.get() instanceof PersistentTopic topic) {
            return CompletableFuture.completedFuture(LeaderEpochs.parse(topic.getManagedLedger().getProperties()
                    .get(LeaderEpochs.PROPERTY)).latest());
        }
        long now = System.nanoTime();
        RemoteEpoch cached = remoteEpochs.get(partition);
        if (cached != null && now - cached.readAtNanos() < REMOTE_EPOCH_TTL_NANOS) {
            return CompletableFuture.completedFuture(cached.epoch());
        }
        return Ledgers.info(brokerService.getPulsar().getDefaultManagedLedgerFactory(),
                partition.getPersistenceNamingEncoding()).thenApply(info -> {
                    int epoch = LeaderEpochs.parse(info.properties == null ? null
                            : info.properties.get(LeaderEpochs.PROPERTY)).latest();
                    remoteEpochs.put(partition, new RemoteEpoch(epoch, now));
                    return epoch;
                }).exceptionally(t -> LeaderEpochs.UNDEFINED);
    }

    /** The pool for storage CPU work (record conversion), off the network and BookKeeper threads. */
    public java.util.concurrent.Executor executor() {
        return decodeExecutor;
    }

    /** The broker's BookKeeper client (compacted segments are ledgers of their own). */
    org.apache.bookkeeper.client.api.BookKeeper bookKeeper() {
        return brokerService.getPulsar().getBookKeeperClient();
    }

    Map<TopicName, ManagedLedgerPartitionLog> loadedLogs() {
        Map<TopicName, ManagedLedgerPartitionLog> out = new java.util.HashMap<>();
        logs.forEach((name, f) -> {
            if (f.isDone() && !f.isCompletedExceptionally()) {
                out.put(TopicName.get(name), f.join());
            }
        });
        return out;
    }

    /** The logs of the partitions this broker currently serves, by Pulsar partition name. */
    public Map<TopicName, PartitionLog> loaded() {
        return new java.util.HashMap<>(loadedLogs());
    }

    private void expire() {
        try {
            long now = System.nanoTime();
            remoteEpochs.values().removeIf(e -> now - e.readAtNanos() > 10 * REMOTE_EPOCH_TTL_NANOS);
            logs.forEach((name, f) -> {
                if (!f.isDone() || f.isCompletedExceptionally()) {
                    return;
                }
                ManagedLedgerPartitionLog l = f.join();
                Optional<Topic> loaded = brokerService.getTopicReference(name);
                if (loaded.isEmpty() || loaded.get() != l.topic()) {
                    logs.remove(name, f);
                    l.close();
                } else {
                    l.expireIdleCursors(CURSOR_MAX_IDLE_MS);
                    l.snapshotProducerState(producerRecoveryRecords).exceptionally(t -> {
                        log.debug("[{}] producer state not stored this round: {}", name, t.toString());
                        return null;
                    });
                }
            });
        } catch (RuntimeException e) {
            log.warn("housekeeping failed", e);
        }
    }

    @Override
    public void close() {
        housekeeping.shutdownNow();
        logs.values().forEach(f -> {
            if (f.isDone() && !f.isCompletedExceptionally()) {
                f.join().close();
            }
        });
        logs.clear();
        decodePool.shutdown();
    }
}
