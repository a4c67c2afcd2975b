package io.kop.storage;

import java.util.concurrent.CompletableFuture;
import org.apache.bookkeeper.mledger.ManagedCursor;
import org.apache.bookkeeper.mledger.Position;
import org.apache.bookkeeper.mledger.impl.ManagedLedgerImpl;

/**
 * Frees the ledgers of a partition that Kafka no longer serves from the managed ledger: those below the
 * log start DeleteRecords set, or below the horizon of a compacted segment. A durable cursor
 * ({@value #CURSOR}, shown by Pulsar as a subscription) is marked up to the last such entry, and the
 * managed ledger deletes every closed ledger below all of its durable cursors, whatever the retention
 * policy says (Pulsar's truncation rule: Pulsar subscriptions still keep what they have not
 * acknowledged). The cursor exists only on partitions that were trimmed.
 */
final class LedgerTrimmer {
    static final String CURSOR = "kop-trim";

    private final ManagedLedgerImpl ledger;
    private CompletableFuture<ManagedCursor> cursor;

    LedgerTrimmer(ManagedLedgerImpl ledger) {
        this.ledger = ledger;
    }

    /** Lets the ledgers wholly at or below {@code lastEntry} go. */
    CompletableFuture<Void> trimThrough(Position lastEntry) {
        if (lastEntry == null || lastEntry.getEntryId() < 0) {
            return CompletableFuture.completedFuture(null);
        }
        return cursor().thenCompose(c -> {
            if (lastEntry.compareTo(c.getMarkDeletedPosition()) <= 0) {
                return CompletableFuture.completedFuture(null);
            }
            return Ledgers.markDelete(c, lastEntry);
        }).thenCompose(v -> {
            CompletableFuture<Void> trimmed = new CompletableFuture<>();
            ledger.trimConsumedLedgersInBackground(true, trimmed);
            return trimmed;
        });
    }

    /** Whether this partition has been trimmed before (the cursor is loaded with the ledger). */
    private synchronized CompletableFuture<ManagedCursor> cursor() {
        if (cursor == null || cursor.isCompletedExceptionally()) {
            cursor = Ledgers.openDurableCursor(ledger, CURSOR);
        }
        return cursor;
    }
}
