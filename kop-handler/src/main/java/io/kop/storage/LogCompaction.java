package io.kop.storage;

import io.kop.format.EntryReader;
import io.kop.format.FetchRecordsBuilder;
import io.kop.format.PulsarEntryFormat;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.LedgerEntry;
import org.apache.bookkeeper.client.api.WriteHandle;
import org.apache.bookkeeper.mledger.Entry;
import org.apache.bookkeeper.mledger.ManagedCursor;
import org.apache.bookkeeper.mledger.ManagedLedgerConfig;
import org.apache.bookkeeper.mledger.Position;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.ByteBufferOutputStream;

/**
 * One compaction run of a partition, with Kafka's rules: of the records below the new horizon E, the
 * latest of each key survives at its own offset; a tombstone (null value) survives until its delete
 * horizon ({@code delete.retention.ms} after the run that first compacted it, kept in its batch as
 * Kafka's cleaner keeps it), then it goes too; records without a key (only Pulsar producers can write
 * them) are kept. The previous segment plus the log from its horizon up to E are written to a new
 * BookKeeper ledger ({@link CompactedSegment}). E stays below the last stable offset; below it, the
 * records of aborted transactions and the transaction markers go, and committed transactions' records
 * are kept as plain records.
 *
 * <p>Two passes over the dirty part of the log, as Kafka's cleaner makes: the first maps each key to
 * its latest offset (E stops where the map would outgrow its budget, where records are younger than
 * {@code min.compaction.lag.ms}, or at the high watermark), the second copies the survivors.
 */
final class LogCompaction {
    /** Per-run settings: from the topic's configs and the broker's. */
    record Settings(long deleteRetentionMs, long minCompactionLagMs, long keyBudgetBytes) {
    }

    /**
     * What a run did: the ledger it wrote (-1: nothing to compact), the new horizon, the last log entry
     * below it, and what it read and kept.
     */
    record Result(long ledgerId, long end, Position lastEntryBelowEnd, long recordsRead, long recordsKept,
                  long bytesRead) {
    }

    private static final int ENTRY_BYTES = 1024 * 1024;
    private static final int READ_ENTRIES = 100;
    /** Estimated heap per key in the offset map beyond the key's bytes. */
    private static final int KEY_OVERHEAD = 96;

    private final ManagedLedgerPartitionLog log;
    private final BookKeeper bk;
    private final ManagedLedgerConfig config;
    private final Executor executor;
    private final Settings settings;
    private final long now;
    /** The aborted transactions among the records this run reads. */
    private final List<TransactionIndex.Aborted> aborted;
    private final Map<ByteBuffer, Long> latest = new HashMap<>();
    private long keyBytes;
    private long recordsRead;
    private long bytesRead;
    /** The first offset not compacted by this run, and the last entry below it. */
    private long end;
    private Position lastEntryBelowEnd;

    LogCompaction(ManagedLedgerPartitionLog log, BookKeeper bk, ManagedLedgerConfig config, Executor executor,
                  Settings settings, long now, List<TransactionIndex.Aborted> aborted) {
        this.aborted = aborted;
        this.log = log;
        this.bk = bk;
        this.config = config;
        this.executor = executor;
        this.settings = settings;
        this.now = now;
    }

    /**
     * Compacts {@code previous} (may be null) and the log from {@code from} up to at most
     * {@code highWatermark}, dropping records below {@code logStart}.
     */
    CompletableFuture<Result> run(CompactedSegment previous, long from, long highWatermark, long logStart) {
        end = from;
        return log.cursorAt(from)
                .thenCompose(cursor -> mapKeys(cursor, highWatermark).whenComplete((v, t) -> log.dropCursor(cursor)))
                .thenCompose(v -> {
                    if (end <= from) {
                        return CompletableFuture.completedFuture(new Result(-1, from, null, 0, 0, 0));
                    }
                    return write(previous, from, logStart);
                });
    }

    // ------------------------------------------------------------------ pass 1: the latest offset per key

    private CompletableFuture<Void> mapKeys(ManagedCursor cursor, long highWatermark) {
        if (!cursor.hasMoreEntries()) {
            return CompletableFuture.completedFuture(null);
        }
        return Ledgers.read(cursor, READ_ENTRIES, 4L * ENTRY_BYTES).thenComposeAsync(entries -> {
            boolean done = false;
            try {
                for (Entry entry : entries) {
                    if (done) {
                        continue;
                    }
                    PulsarEntryFormat.EntryInfo info = PulsarEntryFormat.info(entry.getDataBuffer());
                    if (info.lastOffset() < end) {
                        continue; // the entry before the one holding `from`
                    }
                    if (info.baseOffset() >= highWatermark
                            || info.publishTime() > now - settings.minCompactionLagMs()
                            || keyBytes > settings.keyBudgetBytes()) {
                        done = true;
                        continue;
                    }
                    for (MutableRecordBatch batch : decode(entry, end).batches()) {
                        for (Record r : batch) {
                            recordsRead++;
                            if (r.hasKey() && !dropped(batch, r.offset())) {
                                ByteBuffer key = copy(r.key());
                                if (latest.put(key, r.offset()) == null) {
                                    keyBytes += key.remaining() + KEY_OVERHEAD;
                                }
                            }
                        }
                    }
                    bytesRead += entry.getLength();
                    end = info.lastOffset() + 1;
                    lastEntryBelowEnd = entry.getPosition();
                }
            } finally {
                entries.forEach(Entry::release);
            }
            return done ? CompletableFuture.completedFuture(null) : mapKeys(cursor, highWatermark);
        }, executor);
    }

    // ------------------------------------------------------------------ pass 2: copy the survivors

    private CompletableFuture<Result> write(CompactedSegment previous, long from, long logStart) {
        return bk.newCreateLedgerOp()
                .withEnsembleSize(config.getEnsembleSize())
                .withWriteQuorumSize(config.getWriteQuorumSize())
                .withAckQuorumSize(config.getAckQuorumSize())
                .withDigestType(config.getDigestType())
                .withPassword(config.getPassword())
                .withCustomMetadata(Map.of("application", bytes("kop"), "component", bytes("compacted-segment"),
                        "topic", bytes(log.topicName())))
                .execute()
                .thenCompose(handle -> {
                    SegmentWriter writer = new SegmentWriter(handle, logStart, from);
                    CompletableFuture<Void> copied = previous == null ? CompletableFuture.completedFuture(null)
                            : copySegment(previous, 0, writer);
                    return copied
                            .thenCompose(v -> log.cursorAt(from))
                            .thenCompose(cursor -> copyLog(cursor, writer)
                                    .whenComplete((v, t) -> log.dropCursor(cursor)))
                            .thenCompose(v -> writer.finish())
                            .thenApply(v -> new Result(handle.getId(), end, lastEntryBelowEnd, recordsRead,
                                    writer.kept, bytesRead))
                            .whenComplete((r, t) -> {
                                if (t != null) {
                                    handle.closeAsync().whenComplete((x, y) -> deleteLedger(bk, handle.getId()));
                                }
                            });
                });
    }

    private CompletableFuture<Void> copySegment(CompactedSegment previous, long entry, SegmentWriter writer) {
        if (entry >= previous.entries()) {
            return CompletableFuture.completedFuture(null);
        }
        long last = Math.min(previous.entries() - 1, entry + 15);
        return previous.readEntries(entry, last).thenComposeAsync(entries -> {
            try (entries) {
                for (LedgerEntry e : entries) {
                    for (MutableRecordBatch batch : MemoryRecords.readableRecords(e.getEntryNioBuffer()).batches()) {
                        OptionalLong horizon = batch.deleteHorizonMs();
                        for (Record r : batch) {
                            writer.offer(r, horizon.isPresent() ? horizon.getAsLong()
                                    : now + settings.deleteRetentionMs());
                        }
                    }
                }
            }
            return writer.drain().thenCompose(v -> copySegment(previous, last + 1, writer));
        }, executor);
    }

    private CompletableFuture<Void> copyLog(ManagedCursor cursor, SegmentWriter writer) {
        if (!cursor.hasMoreEntries()) {
            return CompletableFuture.completedFuture(null);
        }
        long from = writer.nextLogOffset;
        return Ledgers.read(cursor, READ_ENTRIES, 4L * ENTRY_BYTES).thenComposeAsync(entries -> {
            boolean done = false;
            try {
                for (Entry entry : entries) {
                    PulsarEntryFormat.EntryInfo info = PulsarEntryFormat.info(entry.getDataBuffer());
                    if (done || info.lastOffset() < from) {
                        continue;
                    }
                    if (info.baseOffset() >= end) {
                        done = true;
                        continue;
                    }
                    for (MutableRecordBatch batch : decode(entry, from).batches()) {
                        for (Record r : batch) {
                            if (r.offset() < end && !dropped(batch, r.offset())) {
                                writer.offer(r, now + settings.deleteRetentionMs());
                            }
                        }
                    }
                    writer.nextLogOffset = info.lastOffset() + 1;
                    if (writer.nextLogOffset >= end) {
                        done = true;
                    }
                }
            } finally {
                entries.forEach(Entry::release);
            }
            boolean finished = done;
            return writer.drain().thenCompose(v -> finished ? CompletableFuture.completedFuture(null)
                    : copyLog(cursor, writer));
        }, executor);
    }

    private static MemoryRecords decode(Entry entry, long fromOffset) {
        FetchRecordsBuilder out = FetchRecordsBuilder.forEntry(entry.getLength());
        ByteBuf built = null;
        try {
            EntryReader.decode(entry.getDataBuffer(), fromOffset, out);
            built = out.buildBuffer();
            // A heap copy: the records outlive the pooled buffer, which goes back at once.
            ByteBuffer heap = ByteBuffer.allocate(built.readableBytes());
            built.getBytes(built.readerIndex(), heap);
            return MemoryRecords.readableRecords(heap.flip());
        } catch (IOException e) {
            if (built == null) {
                out.discard();
            }
            throw new UncheckedIOException(e);
        } finally {
            if (built != null) {
                built.release();
            }
        }
    }

    /** A transaction marker, or a record of an aborted transaction: never copied. */
    private boolean dropped(MutableRecordBatch batch, long offset) {
        if (batch.isControlBatch()) {
            return true;
        }
        if (!batch.isTransactional()) {
            return false;
        }
        for (TransactionIndex.Aborted a : aborted) {
            if (a.producerId() == batch.producerId() && a.firstOffset() <= offset && offset < a.lastOffset()) {
                return true;
            }
        }
        return false;
    }

    /** Whether a record survives: the latest of its key, not below the log start, not an expired tombstone. */
    private boolean survives(Record r, long deleteHorizon, long logStart) {
        if (r.offset() < logStart) {
            return false;
        }
        if (!r.hasKey()) {
            return true;
        }
        Long newest = latest.get(r.key());
        if (newest != null && newest != r.offset()) {
            return false;
        }
        return r.hasValue() || deleteHorizon > now;
    }

    /**
     * Writes survivors as Kafka batches, about a MiB per entry, a new batch whenever a tombstone's delete
     * horizon differs from the batch's (Kafka keeps the horizon per batch).
     */
    private final class SegmentWriter {
        private final WriteHandle handle;
        private final long logStart;
        private final List<long[]> index = new ArrayList<>();
        private final List<ByteBuffer> entryBatches = new ArrayList<>();
        private int entryBytes;
        private long entryFirst = -1;
        private long entryLast = -1;
        private MemoryRecordsBuilder batch;
        private long batchHorizon = RecordBatch.NO_TIMESTAMP;
        private CompletableFuture<Void> appends = CompletableFuture.completedFuture(null);
        long kept;
        long nextLogOffset;

        SegmentWriter(WriteHandle handle, long logStart, long from) {
            this.handle = handle;
            this.logStart = logStart;
            this.nextLogOffset = from;
        }

        void offer(Record r, long deleteHorizon) {
            if (!survives(r, deleteHorizon, logStart)) {
                return;
            }
            boolean tombstone = r.hasKey() && !r.hasValue();
            if (batch == null || tombstone && batchHorizon != deleteHorizon) {
                closeBatch();
                if (entryBytes >= ENTRY_BYTES) {
                    closeEntry();
                }
                batchHorizon = tombstone ? deleteHorizon : RecordBatch.NO_TIMESTAMP;
                batch = new MemoryRecordsBuilder(new ByteBufferOutputStream(4096), RecordBatch.MAGIC_VALUE_V2,
                        Compression.NONE, TimestampType.CREATE_TIME, r.offset(), RecordBatch.NO_TIMESTAMP,
                        RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH, RecordBatch.NO_SEQUENCE,
                        false, false, RecordBatch.NO_PARTITION_LEADER_EPOCH, Integer.MAX_VALUE, batchHorizon);
                if (entryFirst < 0) {
                    entryFirst = r.offset();
                }
            }
            batch.appendWithOffset(r.offset(), r.timestamp(), r.key(), r.value(), r.headers());
            entryLast = r.offset();
            kept++;
            if (batch.estimatedSizeInBytes() >= ENTRY_BYTES) {
                closeBatch();
                closeEntry();
            }
        }

        private void closeBatch() {
            if (batch != null) {
                ByteBuffer b = batch.build().buffer();
                entryBatches.add(b);
                entryBytes += b.remaining();
                batch = null;
            }
        }

        private void closeEntry() {
            if (entryBatches.isEmpty()) {
                return;
            }
            ByteBuffer all = ByteBuffer.allocate(entryBytes);
            entryBatches.forEach(all::put);
            all.flip();
            index.add(new long[] {entryFirst, entryLast, entryBytes});
            entryBatches.clear();
            entryBytes = 0;
            entryFirst = -1;
            appends = appends.thenCompose(v -> handle.appendAsync(all).thenApply(id -> null));
        }

        /** Waits for the entries written so far, so reading never runs far ahead of BookKeeper. */
        CompletableFuture<Void> drain() {
            return appends;
        }

        CompletableFuture<Void> finish() {
            closeBatch();
            closeEntry();
            ByteBuffer idx = CompactedSegment.index(index, kept);
            return appends.thenCompose(v -> handle.appendAsync(idx)).thenCompose(id -> handle.closeAsync());
        }
    }

    static void deleteLedger(BookKeeper bk, long ledgerId) {
        bk.newDeleteLedgerOp().withLedgerId(ledgerId).execute();
    }

    private static ByteBuffer copy(ByteBuffer b) {
        ByteBuffer out = ByteBuffer.allocate(b.remaining());
        out.put(b.duplicate());
        return out.flip();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
