package io.kop.storage;

import io.kop.format.PulsarEntryFormat;
import io.kop.format.PulsarEntryFormat.EntryInfo;
import io.kop.storage.CursorReader.DecodedEntry;
import io.kop.storage.PartitionLog.OffsetAndTimestamp;
import java.util.concurrent.CompletableFuture;
import org.apache.bookkeeper.mledger.Entry;
import org.apache.bookkeeper.mledger.Position;
import org.apache.bookkeeper.mledger.impl.ManagedLedgerImpl;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;

/**
 * A partition's answers by time (ListOffsets by timestamp and max timestamp), which Kafka keeps in a
 * time index and KoP searches for: entries by publish time, then records by their timestamps.
 */
final class TimestampSearch {
    private static final OffsetAndTimestamp NONE = new OffsetAndTimestamp(-1, -1);

    private final ManagedLedgerPartitionLog log;
    private final ManagedLedgerImpl ledger;

    TimestampSearch(ManagedLedgerPartitionLog log, ManagedLedgerImpl ledger) {
        this.log = log;
        this.ledger = ledger;
    }

    /** The first stored record with timestamp >= {@code timestamp}, before DeleteRecords. */
    CompletableFuture<OffsetAndTimestamp> firstAtOrAfter(long timestamp) {
        if (ledger.getNumberOfEntries() == 0) {
            return CompletableFuture.completedFuture(NONE);
        }
        Position last = ledger.getLastConfirmedEntry();
        // Entries are searched by publish time (monotonic), then records inside the entry by timestamp.
        return Ledgers.findFirstNotBefore(ledger,
                        entry -> PulsarEntryFormat.info(entry.getDataBuffer()).publishTime() < timestamp)
                .thenCompose(position -> {
                    if (position == null || position.compareTo(last) > 0 || !ledger.isValidPosition(position)) {
                        return CompletableFuture.completedFuture(NONE);
                    }
                    return log.readEntry(position, entry -> firstAtOrAfter(entry, timestamp));
                });
    }

    private static OffsetAndTimestamp firstAtOrAfter(Entry entry, long timestamp) {
        DecodedEntry records = StoredEntries.decode(entry, 0);
        OffsetAndTimestamp fallback = null;
        try {
            for (Record r : MemoryRecords.readableRecords(records.batches().nioBuffer()).records()) {
                if (r.timestamp() >= timestamp) {
                    return new OffsetAndTimestamp(r.offset(), r.timestamp());
                }
                fallback = new OffsetAndTimestamp(r.offset(), r.timestamp());
            }
        } finally {
            records.release();
        }
        // Producer timestamps inside the entry are older than asked: the entry itself is the answer.
        EntryInfo info = PulsarEntryFormat.info(entry.getDataBuffer());
        return fallback == null ? NONE : new OffsetAndTimestamp(info.baseOffset(), info.publishTime());
    }

    /** The record with the largest timestamp: a scan, which only admin tools ask for. */
    CompletableFuture<OffsetAndTimestamp> max() {
        return log.offsets().thenCompose(bounds -> bounds.logStartOffset() == bounds.highWatermark()
                ? CompletableFuture.completedFuture(NONE)
                : scanMax(bounds.logStartOffset(), bounds.highWatermark(), NONE));
    }

    private CompletableFuture<OffsetAndTimestamp> scanMax(long from, long end, OffsetAndTimestamp best) {
        if (from >= end) {
            return CompletableFuture.completedFuture(best);
        }
        return log.read(from, 1024 * 1024).thenCompose(chunk -> {
            OffsetAndTimestamp max = best;
            long next = from;
            try {
                for (Record r : chunk.toList()) {
                    if (r.timestamp() > max.timestamp()) {
                        max = new OffsetAndTimestamp(r.offset(), r.timestamp());
                    }
                    next = r.offset() + 1;
                }
            } finally {
                chunk.release();
            }
            return next == from ? CompletableFuture.completedFuture(max) : scanMax(next, end, max);
        });
    }
}
