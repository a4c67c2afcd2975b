package io.kop.storage;

import io.kop.format.EntryReader;
import io.kop.format.PulsarEntryFormat;
import io.kop.storage.PartitionLog.LogOffsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import org.apache.bookkeeper.mledger.Entry;
import org.apache.bookkeeper.mledger.ManagedCursor;
import org.apache.bookkeeper.mledger.ManagedLedger;

/**
 * Keeps a partition's idempotent-producer state ({@link ProducerStateTable}) across ownership moves and
 * restarts: stores it in the managed ledger's property {@value #PROPERTY} ({@code offset|table}, the
 * state as of that offset) and rebuilds it from that snapshot plus the entries after it. The table is
 * shared with the log that appends; both lock the table itself.
 */
final class ProducerStateStore {
    static final String PROPERTY = "kop.producer.state";
    /** Entries per read while replaying: small batches make small entries, and each read is a round trip. */
    private static final int READ_ENTRIES = 10_000;

    private final ManagedLedger ledger;
    private final ProducerStateTable producers;
    private final TransactionIndex transactions;
    private final Executor executor;
    /** Idempotent batches appended since the last snapshot. */
    private final AtomicLong appendsSinceSnapshot = new AtomicLong();

    ProducerStateStore(ManagedLedger ledger, ProducerStateTable producers, TransactionIndex transactions,
                       Executor executor) {
        this.ledger = ledger;
        this.producers = producers;
        this.transactions = transactions;
        this.executor = executor;
    }

    /** Counts an idempotent batch the log appended, so the next snapshot round stores the table. */
    void appended() {
        appendsSinceSnapshot.incrementAndGet();
    }

    /**
     * Rebuilds the state of the last {@code maxRecords} records: from the stored snapshot and the entries
     * after it when the snapshot covers that window, otherwise from the window's entries alone (a
     * producer last seen before a snapshot that is too old would keep a stale sequence, which is worse
     * than no state). {@code cursorAt} opens a reading cursor at an offset. How many entries it read.
     */
    CompletableFuture<Long> recover(LogOffsets bounds, long maxRecords,
                                    LongFunction<CompletableFuture<ManagedCursor>> cursorAt) {
        long from = Math.max(bounds.logStartOffset(), bounds.highWatermark() - maxRecords);
        long restoredUpTo = restore(from, bounds.highWatermark());
        long replayFrom = Math.max(from, restoredUpTo);
        if (replayFrom >= bounds.highWatermark()) {
            return CompletableFuture.completedFuture(0L);
        }
        AtomicLong entries = new AtomicLong();
        return cursorAt.apply(replayFrom).thenCompose(cursor -> replay(cursor, bounds.highWatermark(), entries)
                .whenComplete((v, t) -> Ledgers.deleteCursor(ledger, cursor))).thenApply(v -> entries.get());
    }

    /** Restores the stored snapshot if it lies within [from, end]; the offset it is valid up to, or -1. */
    private long restore(long from, long end) {
        String stored = ledger.getProperties().get(PROPERTY);
        int bar = stored == null ? -1 : stored.indexOf('|');
        if (bar <= 0) {
            return -1;
        }
        try {
            long upTo = Long.parseLong(stored.substring(0, bar));
            if (upTo < from || upTo > end) {
                return -1;
            }
            // {@code offset|table|transactions}; snapshots from before transactions have no third part.
            String rest = stored.substring(bar + 1);
            int bar2 = rest.indexOf('|');
            String table = bar2 < 0 ? rest : rest.substring(0, bar2);
            synchronized (producers) {
                if (bar2 >= 0 && !transactions.restore(rest.substring(bar2 + 1), this::previous)) {
                    return -1;
                }
                return producers.restore(table) ? upTo : -1;
            }
        } catch (NumberFormatException e) {
            return -1; // not a snapshot of ours: replay the window
        }
    }

    /** Reads on to {@code end}, recording each stored producer batch. */
    private CompletableFuture<Void> replay(ManagedCursor cursor, long end, AtomicLong entriesRead) {
        return Ledgers.read(cursor, READ_ENTRIES, 8 * 1024 * 1024).thenApplyAsync(entries -> {
            long next = -1;
            try {
                for (Entry entry : entries) {
                    PulsarEntryFormat.ProducerBatch pb = EntryReader.producerBatch(entry.getDataBuffer());
                    if (pb != null) {
                        synchronized (producers) {
                            if (pb.control() != null) {
                                producers.marker(pb.producerId(), pb.epoch());
                                transactions.end(pb.producerId(),
                                        pb.control() == org.apache.kafka.common.record.internal.ControlRecordType.COMMIT,
                                        pb.baseOffset(), entry.getPosition());
                            } else {
                                producers.record(pb.producerId(), pb.epoch(), pb.baseSequence(), pb.lastSequence(),
                                        CompletableFuture.completedFuture(pb.baseOffset()));
                                if (pb.transactional()) {
                                    transactions.begin(pb.producerId(), pb.epoch(), pb.baseOffset(),
                                            entry.getPosition(), previous(entry.getPosition()));
                                }
                            }
                        }
                    }
                    next = PulsarEntryFormat.info(entry.getDataBuffer()).lastOffset() + 1;
                }
                entriesRead.addAndGet(entries.size());
            } finally {
                entries.forEach(Entry::release);
            }
            return next;
        }, executor).thenCompose(next -> next < 0 || next >= end
                ? CompletableFuture.completedFuture(null) : replay(cursor, end, entriesRead));
    }

    private org.apache.bookkeeper.mledger.Position previous(org.apache.bookkeeper.mledger.Position p) {
        return ((org.apache.bookkeeper.mledger.impl.ManagedLedgerImpl) ledger).getPreviousPosition(p);
    }

    /** Whether idempotent batches were appended since the last snapshot. */
    boolean changed() {
        return appendsSinceSnapshot.get() > 0;
    }

    /**
     * Stores the table as of the high watermark: the next owner then replays only the entries after it
     * instead of the whole window (50,000 small entries took 3 s to read back, and the partition's first
     * requests wait for that). Only producers seen within the last {@code maxRecords} records are kept.
     */
    CompletableFuture<Void> snapshot(LogOffsets bounds, long maxRecords) {
        long appends = appendsSinceSnapshot.get();
        String table;
        synchronized (producers) {
            transactions.dropBelow(bounds.logStartOffset());
            table = producers.snapshot(bounds.highWatermark() - maxRecords, bounds.highWatermark()) + "|"
                    + transactions.snapshot();
        }
        return Ledgers.setProperty(ledger, PROPERTY, bounds.highWatermark() + "|" + table)
                .thenRun(() -> appendsSinceSnapshot.addAndGet(-appends));
    }
}
