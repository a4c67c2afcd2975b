package io.kop.storage;

import io.kop.format.RecordChunks;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.bookkeeper.client.api.BookKeeper;
import org.apache.bookkeeper.client.api.LedgerEntries;
import org.apache.bookkeeper.client.api.LedgerEntry;
import org.apache.bookkeeper.client.api.ReadHandle;
import org.apache.bookkeeper.mledger.ManagedLedgerConfig;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;

/**
 * The compacted part of a Kafka partition: every offset below {@link #horizon} is served from one
 * BookKeeper ledger that {@link LogCompaction} wrote, holding the records that survived compaction at
 * their original offsets. Entries {@code 0..n-1} each hold Kafka v2 batches in offset order; the last
 * entry is the index (each entry's first and last offset), read once when the segment is opened.
 * The managed-ledger property {@value #PROPERTY} ({@code horizon|ledgerId|logStart|createdAt}) names it.
 */
final class CompactedSegment {
    static final String PROPERTY = "kop.compaction";
    private static final int INDEX_MAGIC = 0x4b6f5043; // "KoPC"

    /**
     * What the property says: offsets below {@code horizon} are in ledger {@code ledgerId}, starting at
     * {@code logStart}; written at {@code createdAt}.
     */
    record Pointer(long horizon, long ledgerId, long logStart, long createdAt) {
        static Pointer parse(String value) {
            if (value == null) {
                return null;
            }
            String[] p = value.split("\\|");
            return new Pointer(Long.parseLong(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2]),
                    Long.parseLong(p[3]));
        }

        String encode() {
            return horizon + "|" + ledgerId + "|" + logStart + "|" + createdAt;
        }
    }

    private final Pointer pointer;
    private final ReadHandle handle;
    private final long[] firstOffsets;
    private final long[] lastOffsets;
    private final long[] sizes;
    private final long records;

    private CompactedSegment(Pointer pointer, ReadHandle handle, long[] firstOffsets, long[] lastOffsets,
                             long[] sizes, long records) {
        this.pointer = pointer;
        this.handle = handle;
        this.firstOffsets = firstOffsets;
        this.lastOffsets = lastOffsets;
        this.sizes = sizes;
        this.records = records;
    }

    static CompletableFuture<ReadHandle> openLedger(BookKeeper bk, ManagedLedgerConfig config, long ledgerId) {
        return bk.newOpenLedgerOp().withLedgerId(ledgerId).withRecovery(false)
                .withDigestType(config.getDigestType()).withPassword(config.getPassword()).execute();
    }

    /** Opens the segment the pointer names and reads its index. */
    static CompletableFuture<CompactedSegment> open(BookKeeper bk, ManagedLedgerConfig config, Pointer pointer) {
        return openLedger(bk, config, pointer.ledgerId()).thenCompose(handle -> {
            long last = handle.getLastAddConfirmed();
            return handle.readAsync(last, last).thenApply(entries -> {
                try (entries) {
                    return of(pointer, handle, entries.getEntry(last).getEntryNioBuffer());
                }
            }).whenComplete((s, t) -> {
                if (t != null) {
                    handle.closeAsync();
                }
            });
        });
    }

    private static CompactedSegment of(Pointer pointer, ReadHandle handle, ByteBuffer index) {
        if (index.getInt() != INDEX_MAGIC) {
            throw new IllegalStateException("ledger " + pointer.ledgerId() + " is not a KoP compacted segment");
        }
        int n = index.getInt();
        long records = index.getLong();
        long[] first = new long[n];
        long[] lastOffsets = new long[n];
        long[] sizes = new long[n];
        for (int i = 0; i < n; i++) {
            first[i] = index.getLong();
            lastOffsets[i] = index.getLong();
            sizes[i] = index.getInt();
        }
        return new CompactedSegment(pointer, handle, first, lastOffsets, sizes, records);
    }

    /** The index entry a writer appends last. */
    static ByteBuffer index(List<long[]> entries, long records) {
        ByteBuffer b = ByteBuffer.allocate(16 + entries.size() * 20);
        b.putInt(INDEX_MAGIC).putInt(entries.size()).putLong(records);
        for (long[] e : entries) {
            b.putLong(e[0]).putLong(e[1]).putInt((int) e[2]);
        }
        return b.flip();
    }

    Pointer pointer() {
        return pointer;
    }

    /** Offsets below it are served from here. */
    long horizon() {
        return pointer.horizon();
    }

    long logStart() {
        return pointer.logStart();
    }

    long createdAt() {
        return pointer.createdAt();
    }

    /** The last offset this segment holds a record of, or -1 when it holds none. */
    long lastOffset() {
        return lastOffsets.length == 0 ? -1 : lastOffsets[lastOffsets.length - 1];
    }

    long records() {
        return records;
    }

    int entries() {
        return lastOffsets.length;
    }

    long bytes() {
        long sum = 0;
        for (long s : sizes) {
            sum += s;
        }
        return sum;
    }

    ReadHandle handle() {
        return handle;
    }

    /** The first entry holding an offset at or after {@code offset}; {@link #entries()} when none does. */
    int entryOf(long offset) {
        int lo = 0;
        int hi = lastOffsets.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (lastOffsets[mid] < offset) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /**
     * The batches holding {@code offset} and after it, about {@code maxBytes} (at least one entry),
     * copied into pooled direct buffers and stamped by {@code stamp}. The caller has checked that
     * {@code offset <= lastOffset()}.
     */
    CompletableFuture<RecordChunks> read(long offset, int maxBytes, Executor executor,
                                         java.util.function.Consumer<ByteBuf> stamp) {
        int first = entryOf(offset);
        int last = first;
        long bytes = sizes[first];
        while (last + 1 < lastOffsets.length && bytes + sizes[last + 1] <= maxBytes) {
            last++;
            bytes += sizes[last];
        }
        return readEntries(first, last).thenApplyAsync(entries -> {
            try (entries) {
                List<ByteBuf> chunks = new ArrayList<>();
                int count = 0;
                try {
                    for (LedgerEntry e : entries) {
                        ByteBuf stored = e.getEntryBuffer();
                        ByteBuf copy = PooledByteBufAllocator.DEFAULT.directBuffer(stored.readableBytes());
                        copy.writeBytes(stored, stored.readerIndex(), stored.readableBytes());
                        chunks.add(copy);
                        stamp.accept(copy);
                        count += recordCount(copy);
                    }
                } catch (RuntimeException ex) {
                    chunks.forEach(ByteBuf::release);
                    throw ex;
                }
                return new RecordChunks(chunks, count);
            }
        }, executor);
    }

    CompletableFuture<LedgerEntries> readEntries(long first, long last) {
        return handle.readAsync(first, last);
    }

    private static int recordCount(ByteBuf batches) {
        int n = 0;
        for (MutableRecordBatch b : MemoryRecords.readableRecords(
                batches.nioBuffer(batches.readerIndex(), batches.readableBytes())).batches()) {
            Integer c = b.countOrNull();
            n += c == null ? 0 : c;
        }
        return n;
    }

    void close() {
        handle.closeAsync();
    }
}
