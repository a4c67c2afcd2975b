package io.kop.coordinator.bridge;

import java.util.ArrayList;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Predicate;
import org.apache.kafka.coordinator.transaction.TransactionMetadata;
import org.apache.kafka.coordinator.transaction.TransactionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transaction coordinator's periodic round, on its thread: aborts transactions open longer than
 * their timeout, and forgets transactional ids unused for {@code kafkaTransactionalIdExpirationMs}
 * (Kafka's {@code transactional.id.expiration.ms}): a tombstone in the log, then out of memory, so a
 * producer that comes back with the id gets a new producer id.
 */
final class TransactionHousekeeping {
    private static final Logger log = LoggerFactory.getLogger(TransactionHousekeeping.class);

    private final Map<Integer, TransactionLogPartition> loaded;
    private final BiFunction<TransactionLogPartition, TransactionMetadata, CompletableFuture<Void>> fenceAndAbort;
    private final Predicate<String> writing;
    private final BiConsumer<String, CompletableFuture<Void>> track;
    private final Executor async;
    private final long idExpirationMs;

    /**
     * @param writing whether a write for a transactional id is in flight
     * @param track   registers a write in flight
     */
    TransactionHousekeeping(Map<Integer, TransactionLogPartition> loaded,
                            BiFunction<TransactionLogPartition, TransactionMetadata, CompletableFuture<Void>> fenceAndAbort,
                            Predicate<String> writing, BiConsumer<String, CompletableFuture<Void>> track,
                            Executor async, long idExpirationMs) {
        this.loaded = loaded;
        this.fenceAndAbort = fenceAndAbort;
        this.writing = writing;
        this.track = track;
        this.async = async;
        this.idExpirationMs = idExpirationMs;
    }

    /** One round; a failure is logged, so the periodic task goes on. */
    void run() {
        try {
            abortTimedOut();
            expireIdle();
        } catch (RuntimeException e) {
            log.warn("transaction housekeeping failed: {}", e.toString(), e);
        }
    }

    private void abortTimedOut() {
        long now = System.currentTimeMillis();
        for (TransactionLogPartition p : loaded.values()) {
            for (TransactionMetadata md : new ArrayList<>(p.transactions.values())) {
                if (md.state() == TransactionState.ONGOING && !md.pendingTransitionInProgress()
                        && md.txnStartTimestamp() + md.txnTimeoutMs() < now) {
                    log.info("aborting transaction {} of producer {}: open longer than its timeout of {} ms",
                            md.transactionalId(), md.producerId(), md.txnTimeoutMs());
                    fenceAndAbort.apply(p, md).exceptionally(t -> {
                        log.warn("aborting timed-out transaction {} failed: {}", md.transactionalId(), t.toString());
                        return null;
                    });
                }
            }
        }
    }

    private void expireIdle() {
        long expiredBefore = System.currentTimeMillis() - idExpirationMs;
        for (TransactionLogPartition p : loaded.values()) {
            for (TransactionMetadata md : new ArrayList<>(p.transactions.values())) {
                String id = md.transactionalId();
                if (!md.state().isExpirationAllowed() || md.pendingTransitionInProgress() || writing.test(id)
                        || md.txnLastUpdateTimestamp() > expiredBefore) {
                    continue;
                }
                md.prepareDead(); // pending Dead: requests for the id wait (CONCURRENT_TRANSACTIONS)
                CompletableFuture<Void> stored = p.writeTombstone(id).handleAsync((v, t) -> {
                    p.written();
                    md.pendingState(Optional.empty());
                    if (t == null && loaded.get(p.partition) == p) {
                        // As in Kafka, an expired id is removed, never completed to Dead
                        p.transactions.remove(id, md);
                        log.info("transactional id {} (producer {}) expired: unused for {} ms", id, md.producerId(),
                                idExpirationMs);
                    }
                    return null;
                }, async);
                track.accept(id, stored);
            }
        }
    }
}
