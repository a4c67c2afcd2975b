package io.kop.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.apache.pulsar.common.naming.TopicName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka's log cleaner for the compacted partitions this broker serves: every {@code backoffMs} it looks
 * at each loaded partition whose topic has {@code cleanup.policy} with {@code compact}, and compacts it
 * ({@link ManagedLedgerPartitionLog#compact}) when its uncompacted records are at least
 * {@code min.cleanable.dirty.ratio} of all, or the last compaction is older than
 * {@code max.compaction.lag.ms}. One partition at a time, on its own thread and the storage pool.
 */
public final class LogCleaner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LogCleaner.class);

    /**
     * A compacted topic's cleaner settings (Kafka's topic configs of the same names). Kafka never cleans
     * its active segment, which rolls after {@code segment.ms} or {@code segment.bytes}: here a partition is
     * cleaned again only once its last run is {@code segment.ms} old or its uncleaned part holds
     * {@code segment.bytes}, so small, busy compacted topics are not rewritten every round.
     */
    public record Policy(long deleteRetentionMs, long minCompactionLagMs, long maxCompactionLagMs,
                         double minCleanableDirtyRatio, long segmentMs, long segmentBytes) {
    }

    private final PartitionLogManager logs;
    private final Function<TopicName, CompletableFuture<Optional<Policy>>> policies;
    private final long backoffMs;
    private final long keyBudgetBytes;
    private final ScheduledExecutorService thread =
            Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("kop-log-cleaner", true));

    /**
     * @param policies       a partition's policy; empty when its topic is not compacted
     * @param keyBudgetBytes what one run's map of keys may take (Kafka's log.cleaner.dedupe.buffer.size)
     */
    public LogCleaner(PartitionLogManager logs, Function<TopicName, CompletableFuture<Optional<Policy>>> policies,
                      long backoffMs, long keyBudgetBytes) {
        this.logs = logs;
        this.policies = policies;
        this.backoffMs = backoffMs;
        this.keyBudgetBytes = keyBudgetBytes;
    }

    public void start() {
        thread.schedule(this::round, backoffMs, TimeUnit.MILLISECONDS);
    }

    private void round() {
        List<Map.Entry<TopicName, ManagedLedgerPartitionLog>> todo = new ArrayList<>(logs.loadedLogs().entrySet());
        next(todo, 0).whenComplete((v, t) -> {
            if (!thread.isShutdown()) {
                thread.schedule(this::round, backoffMs, TimeUnit.MILLISECONDS);
            }
        });
    }

    private CompletableFuture<Void> next(List<Map.Entry<TopicName, ManagedLedgerPartitionLog>> todo, int i) {
        if (i >= todo.size() || thread.isShutdown()) {
            return CompletableFuture.completedFuture(null);
        }
        TopicName name = todo.get(i).getKey();
        ManagedLedgerPartitionLog partition = todo.get(i).getValue();
        return clean(name, partition).handleAsync((v, t) -> {
            if (t != null) {
                log.warn("[{}] compaction failed: {}", name, t.toString());
            }
            return null;
        }, thread).thenCompose(v -> next(todo, i + 1));
    }

    /** Compacts one partition if its policy asks for it now. */
    CompletableFuture<Void> clean(TopicName name, ManagedLedgerPartitionLog partition) {
        return policies.apply(name).thenCompose(policy -> {
            if (policy.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            Policy p = policy.get();
            return partition.dirt().thenCompose(dirt -> {
                if (!due(dirt, p, System.currentTimeMillis())) {
                    return CompletableFuture.completedFuture(null);
                }
                long started = System.nanoTime();
                return partition.compact(logs.bookKeeper(), new LogCompaction.Settings(p.deleteRetentionMs(),
                        p.minCompactionLagMs(), keyBudgetBytes)).thenAccept(r -> {
                            if (r != null && r.ledgerId() >= 0) {
                                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                                log.info("[{}] compacted below offset {}: read {} records ({} bytes), kept {}, "
                                        + "{} ms", name, r.end(), r.recordsRead(), r.bytesRead(), r.recordsKept(), ms);
                            }
                        });
            });
        });
    }

    static boolean due(ManagedLedgerPartitionLog.Dirt dirt, Policy p, long now) {
        if (dirt.dirtyRecords() <= 0) {
            return false;
        }
        long age = now - dirt.dirtySinceMs();
        if (age < p.segmentMs() && dirt.dirtyBytes() < p.segmentBytes()) {
            return false; // still Kafka's active segment
        }
        double ratio = (double) dirt.dirtyRecords() / (dirt.cleanRecords() + dirt.dirtyRecords());
        return ratio >= p.minCleanableDirtyRatio() || age >= p.maxCompactionLagMs();
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
