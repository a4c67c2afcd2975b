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
    private static final int LOOK_AHEAD_ENTRIES = 16;

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
                    return firstAtOrAfter(position, last, timestamp, LOOK_AHEAD_ENTRIES);
                });
    }

    /**
     * Producers stamp records a little before the broker publishes them, so the first record at or
     * after the time may be in one of the next entries: up to {@link #LOOK_AHEAD_ENTRIES} of them are
     * read; past the last entry there is none (-1, as Kafka answers). Records far older than their
     * publish time (a producer replaying old timestamps) end the search at the entry found by publish time.
     */
    private CompletableFuture<OffsetAndTimestamp> firstAtOrAfter(Position position, Position last, long timestamp,
                                                                int lookAhead) {
        return log.readEntry(position, entry -> probe(entry, timestamp)).thenCompose(p -> {
            if (p.found() != null) {
                return CompletableFuture.completedFuture(p.found());
            }
            Position next = ledger.getNextValidPosition(position);
            if (next.compareTo(last) > 0) {
                return CompletableFuture.completedFuture(NONE);
            }
            return lookAhead == 0 ? CompletableFuture.completedFuture(new OffsetAndTimestamp(p.baseOffset(),
                    p.publishTime())) : firstAtOrAfter(next, last, timestamp, lookAhead - 1);
        });
    }

    /** One entry searched: its first record at or after the time, or null and where the entry starts. */
    private record Probe(OffsetAndTimestamp found, long baseOffset, long publishTime) {
    }

    private static Probe probe(Entry entry, long timestamp) {
        DecodedEntry records = StoredEntries.decode(entry, 0);
        try {
            for (Record r : MemoryRecords.readableRecords(records.batches().nioBuffer()).records()) {
                if (r.timestamp() >= timestamp) {
                    return new Probe(new OffsetAndTimestamp(r.offset(), r.timestamp()), -1, -1);
                }
            }
        } finally {
            records.release();
        }
        EntryInfo info = PulsarEntryFormat.info(entry.getDataBuffer());
        return new Probe(null, info.baseOffset(), info.publishTime());
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
