package io.kop.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kop.format.RecordChunks;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

class RecentBatchesTest {
    /** The size of every 10-record batch with a one-letter tag, so a slab can be sized in batches. */
    private static final int BATCH_BYTES = batch(10, "s").sizeInBytes();

    /** A producer's batch of {@code n} records (offsets from 0, as producers send them), about 100 bytes each. */
    private static MutableRecordBatch batch(int n, String tag) {
        SimpleRecord[] records = new SimpleRecord[n];
        for (int i = 0; i < n; i++) {
            records[i] = new SimpleRecord(1000L + i, null, (tag + i + "-" + "x".repeat(80)).getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withRecords(Compression.NONE, records).batches().iterator().next();
    }

    /** What a read served, copied out of the slabs; the read's references are given back. */
    private record Served(long offset, long timestamp, String value) {
    }

    private static List<Served> served(RecordChunks chunks) {
        try {
            List<Served> out = new ArrayList<>();
            for (Record r : chunks.toList()) {
                out.add(new Served(r.offset(), r.timestamp(), StandardCharsets.UTF_8.decode(r.value()).toString()));
            }
            return out;
        } finally {
            chunks.release();
        }
    }

    private static List<Served> read(RecentBatches.Partition p, long offset) {
        RecordChunks chunks = p.read(offset, Integer.MAX_VALUE);
        return chunks == null ? null : served(chunks);
    }

    private static int recordCount(RecentBatches.Partition p, long offset, int maxBytes) {
        RecordChunks chunks = p.read(offset, maxBytes);
        chunks.release();
        return chunks.recordCount();
    }

    private static void append(RecentBatches.Partition p, long baseOffset, MutableRecordBatch batch) {
        RecentBatches.Reservation r = p.reserve(batch, batch.countOrNull());
        assertNotNull(r);
        p.commit(r, baseOffset, batch.countOrNull(), -1, 7);
    }

    /** A batch as storage gives it back: offsets from {@code baseOffset}, written in leader epoch 3. */
    private static MutableRecordBatch stored(long baseOffset, int n, String tag) {
        MutableRecordBatch b = batch(n, tag);
        b.setLastOffset(baseOffset + n - 1);
        b.setPartitionLeaderEpoch(3);
        return b;
    }

    @Test
    void aNewOwnerPrefillsFromStorageOnlyBeforeItsFirstAppend() {
        RecentBatches.Partition p = new RecentBatches(1 << 20, 64 * 1024).partition();
        assertEquals(5, p.prefill(List.of(stored(40, 3, "s"), stored(43, 2, "t"))));
        List<Served> records = read(p, 41);
        assertEquals(5, records.size());
        assertEquals(40, records.get(0).offset());
        assertEquals("t1-" + "x".repeat(80), records.get(4).value());
        RecordChunks chunks = p.read(40, Integer.MAX_VALUE);
        try {
            assertEquals(3, chunks.batches().get(0).partitionLeaderEpoch(), "the epoch it was written in");
        } finally {
            chunks.release();
        }
        append(p, 45, batch(1, "u"));
        assertEquals(6, read(p, 40).size(), "appends follow the prefilled batches");

        RecentBatches.Partition q = new RecentBatches(1 << 20, 64 * 1024).partition();
        append(q, 45, batch(1, "u"));
        assertEquals(0, q.prefill(List.of(stored(40, 3, "s"))), "too late: an append came first");
        assertNull(q.read(40, Integer.MAX_VALUE));
    }

    @Test
    void servesCommittedBatchesWithTheirOffsetsFromAnyOffsetInside() {
        RecentBatches.Partition p = new RecentBatches(1 << 20, 64 * 1024).partition();
        append(p, 100, batch(3, "a"));
        append(p, 103, batch(2, "b"));

        List<Served> records = read(p, 101);
        assertEquals(5, records.size(), "the whole batch holding 101, then the next one");
        for (int i = 0; i < 5; i++) {
            assertEquals(100 + i, records.get(i).offset());
        }
        assertEquals("b1-" + "x".repeat(80), records.get(4).value());
        assertNull(p.read(99, Integer.MAX_VALUE), "below the cache");
        assertNull(p.read(105, Integer.MAX_VALUE), "not appended yet");
    }

    @Test
    void aReservedBatchIsInvisibleUntilCommittedAndAGapEndsARead() {
        RecentBatches.Partition p = new RecentBatches(1 << 20, 64 * 1024).partition();
        append(p, 0, batch(2, "a"));
        RecentBatches.Reservation pending = p.reserve(batch(2, "b"), 2);
        assertEquals(2, read(p, 0).size());
        p.commit(pending, 2, 2, -1, 7);
        assertEquals(4, read(p, 0).size());

        append(p, 10, batch(1, "c")); // offsets 4..9 were written by someone else (a Pulsar producer)
        assertEquals(4, read(p, 0).size());
        assertEquals(10, read(p, 10).get(0).offset());
    }

    @Test
    void takesAtLeastOneBatchThenStaysWithinMaxBytes() {
        RecentBatches.Partition p = new RecentBatches(1 << 20, 64 * 1024).partition();
        MutableRecordBatch first = batch(2, "a");
        int size = first.sizeInBytes();
        append(p, 0, first);
        append(p, 2, batch(2, "b"));
        append(p, 4, batch(2, "c"));
        assertEquals(2, recordCount(p, 0, 1));
        assertEquals(4, recordCount(p, 0, 2 * size + 1));
        assertEquals(6, recordCount(p, 0, 10 * size));
        RecordChunks all = p.read(0, 10 * size);
        all.release();
        assertEquals(3 * size, all.sizeInBytes());
    }

    @Test
    void evictsTheOldestSlabsOfAnyPartitionBeyondTheLimit() {
        int slab = BATCH_BYTES * 2; // two batches per slab
        RecentBatches cache = new RecentBatches(2L * slab, slab);
        RecentBatches.Partition p1 = cache.partition();
        RecentBatches.Partition p2 = cache.partition();
        append(p1, 0, batch(10, "a"));
        append(p1, 10, batch(10, "a"));  // p1's first slab is full
        append(p2, 0, batch(10, "b"));   // second slab: the limit
        assertNotNull(read(p1, 0));
        append(p2, 10, batch(10, "b"));
        append(p2, 20, batch(10, "b"));  // a third slab: p1's goes
        assertNull(p1.read(0, Integer.MAX_VALUE));
        assertNull(p1.read(10, Integer.MAX_VALUE));
        assertEquals(30, read(p2, 0).size());
        assertEquals(2L * slab, cache.allocatedBytes(), "the evicted slab is freed");
    }

    @Test
    void aReservationWhoseSlabWasEvictedIsNeverServed() {
        int slab = BATCH_BYTES;
        RecentBatches cache = new RecentBatches(slab, slab);
        RecentBatches.Partition p = cache.partition();
        RecentBatches.Reservation early = p.reserve(batch(10, "a"), 10);
        append(p, 10, batch(10, "b")); // needs a new slab: the first one is evicted
        assertEquals(2L * slab, cache.allocatedBytes(), "the reservation keeps the evicted slab");
        p.commit(early, 0, 10, -1, 7);
        assertEquals(slab, cache.allocatedBytes(), "freed once the reservation is committed");
        assertNull(p.read(0, Integer.MAX_VALUE));
        assertEquals(10, read(p, 10).get(0).offset());
    }

    @Test
    void logAppendTimeReplacesTheProducersTimestampsOnCommit() {
        RecentBatches.Partition p = new RecentBatches(1 << 20, 64 * 1024).partition();
        RecentBatches.Reservation r = p.reserve(batch(3, "a"), 3);
        p.commit(r, 50, 3, 123_456L, 7);
        List<Served> served = read(p, 50);
        assertEquals(3, served.size());
        for (Served record : served) {
            assertEquals(123_456L, record.timestamp());
        }
    }

    @Test
    void aLimitBelowOneSlabStillKeepsBatches() {
        RecentBatches.Partition p = new RecentBatches(4096, 4 * 1024 * 1024).partition();
        append(p, 0, batch(2, "a"));
        assertEquals(2, read(p, 0).size());
    }

    /** One appender (as a log appends: in offset order) and two readers, with eviction all the time. */
    @Test
    void readersSeeWholeBatchesWithTheRightOffsetsWhileSlabsAreEvicted() throws Exception {
        int slab = batch(10, "b0-").sizeInBytes() * 3;
        RecentBatches cache = new RecentBatches(4L * slab, slab);
        RecentBatches.Partition p = cache.partition();
        java.util.concurrent.atomic.AtomicLong end = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicLong served = new java.util.concurrent.atomic.AtomicLong();
        Runnable reader = () -> {
            java.util.Random random = new java.util.Random();
            try {
                while (end.get() < 20_000) {
                    long e = end.get();
                    if (e == 0) {
                        continue;
                    }
                    long from = Math.max(0, e - 1 - random.nextInt(200));
                    RecordChunks chunks = p.read(from, 1 + random.nextInt(4000));
                    if (chunks == null) {
                        continue; // evicted meanwhile
                    }
                    List<Served> records = served(chunks);
                    served.incrementAndGet();
                    long expected = records.get(0).offset();
                    assertEquals(0, expected % 10, "a read starts at a batch boundary");
                    for (Served r : records) {
                        assertEquals(expected, r.offset());
                        String value = r.value();
                        assertEquals("b" + (expected / 10) + "-" + (expected % 10), value.substring(0, value.indexOf('-', 1) + 2));
                        expected++;
                    }
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                end.set(Long.MAX_VALUE);
            }
        };
        Thread r1 = new Thread(reader);
        Thread r2 = new Thread(reader);
        r1.start();
        r2.start();
        for (int b = 0; b < 2000 && failure.get() == null; b++) {
            append(p, b * 10L, batch(10, "b" + b + "-"));
            end.set(b * 10L + 10);
        }
        end.set(Long.MAX_VALUE);
        r1.join();
        r2.join();
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertTrue(served.get() > 100, "readers were served: " + served.get());
        p.clear();
        assertEquals(0, cache.allocatedBytes(), "every reference was given back");
    }

    @Test
    void partitionsThatProduceLittleTakeSmallSlabs() {
        RecentBatches cache = new RecentBatches(1024 * 1024, 4 * 1024 * 1024);
        List<RecentBatches.Partition> partitions = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            RecentBatches.Partition p = cache.partition();
            append(p, 0, batch(1, "p" + i));
            partitions.add(p);
        }
        for (RecentBatches.Partition p : partitions.subList(90, 100)) {
            assertNotNull(read(p, 0), "one small batch does not take a whole 1 MiB slab");
        }
    }

    @Test
    void clearDropsEverythingAndRefusesLaterBatches() {
        RecentBatches cache = new RecentBatches(1 << 20, 64 * 1024);
        RecentBatches.Partition p = cache.partition();
        append(p, 0, batch(2, "a"));
        p.clear();
        assertNull(p.read(0, Integer.MAX_VALUE));
        assertNull(p.reserve(batch(2, "b"), 2));
        assertEquals(0, cache.allocatedBytes());
    }

    @Test
    void anEvictedSlabStaysReadableUntilItsLastReaderReleasesIt() throws IOException {
        int slab = BATCH_BYTES;
        RecentBatches cache = new RecentBatches(slab, slab);
        RecentBatches.Partition p = cache.partition();
        append(p, 0, batch(10, "a"));
        RecordChunks held = p.read(0, Integer.MAX_VALUE);
        List<ByteBuf> sent = new ArrayList<>();
        held.toSend().writeTo(new Sink(sent)); // what a response frame does: references of its own
        append(p, 10, batch(10, "b")); // evicts the first slab
        assertNull(p.read(0, Integer.MAX_VALUE));
        assertEquals(2L * slab, cache.allocatedBytes());

        held.release();
        held.release(); // a second release gives back nothing more
        assertEquals(2L * slab, cache.allocatedBytes(), "the frame still sends it");
        List<Record> inFrame = new ArrayList<>();
        MemoryRecords.readableRecords(sent.get(0).nioBuffer()).records().forEach(inFrame::add);
        assertEquals(9, inFrame.get(9).offset());
        assertEquals("a9-" + "x".repeat(80), StandardCharsets.UTF_8.decode(inFrame.get(9).value()).toString());
        sent.forEach(ByteBuf::release);
        assertEquals(slab, cache.allocatedBytes(), "freed after the frame is written");
    }

    @Test
    void anAbandonedReservationGivesItsReferenceBack() {
        RecentBatches cache = new RecentBatches(1 << 20, 64 * 1024);
        RecentBatches.Partition p = cache.partition();
        RecentBatches.Reservation failed = p.reserve(batch(2, "a"), 2);
        p.abandon(failed);
        append(p, 0, batch(2, "b")); // the same slab, after the abandoned bytes
        assertEquals("b0-" + "x".repeat(80), read(p, 0).get(0).value());
        p.clear();
        assertEquals(0, cache.allocatedBytes());
    }

    @Test
    void theMemoryOfAReleasedSlabCarriesTheNextOneAndAStaleChunkStaysReleased() {
        int slab = BATCH_BYTES;
        RecentBatches cache = new RecentBatches(slab, slab);
        RecentBatches.Partition p = cache.partition();
        append(p, 0, batch(10, "a"));
        RecordChunks stale = p.read(0, Integer.MAX_VALUE);
        append(p, 10, batch(10, "b")); // evicts the first slab, which the read still holds
        assertEquals(0, cache.spareBytes());
        stale.release();
        assertEquals(slab, cache.spareBytes(), "the released slab's memory is kept");
        append(p, 20, batch(10, "c")); // takes the first slab's memory; the second slab's is kept
        assertEquals(2, cache.slabsAllocated(), "no new memory for the third slab");
        assertEquals(slab, cache.allocatedBytes());
        assertEquals(slab, cache.spareBytes());
        assertEquals("c0-" + "x".repeat(80), read(p, 20).get(0).value());
        assertNull(p.read(0, Integer.MAX_VALUE));
        stale.release(); // a second release of the old chunks touches nothing on the reused memory
        assertEquals("c9-" + "x".repeat(80), read(p, 20).get(9).value());
    }

    @Test
    void spareMemoryStaysWithinTheLimitPlusOneSlab() {
        int slab = BATCH_BYTES;
        RecentBatches cache = new RecentBatches(3L * slab, slab);
        List<RecentBatches.Partition> partitions = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            RecentBatches.Partition p = cache.partition();
            append(p, 0, batch(10, String.valueOf((char) ('a' + i))));
            partitions.add(p);
        }
        List<RecordChunks> held = new ArrayList<>();
        for (int i = 3; i < 8; i++) { // each one evicts a slab that a reader still holds
            RecentBatches.Partition p = cache.partition();
            append(p, 0, batch(10, String.valueOf((char) ('a' + i))));
            held.add(p.read(0, Integer.MAX_VALUE));
            partitions.add(p);
        }
        partitions.forEach(RecentBatches.Partition::clear);
        held.forEach(RecordChunks::release);
        assertEquals(0, cache.allocatedBytes());
        assertEquals(4L * slab, cache.spareBytes(), "three slabs of limit and one more; the rest is freed");
        assertEquals(5, cache.slabsAllocated());
    }

    /** A frame under construction: keeps every buffer it is handed. */
    private record Sink(List<ByteBuf> kept) implements RecordChunks.ByteBufSink, TransferableChannel {
        @Override
        public void add(ByteBuf retained) {
            kept.add(retained);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            throw new UnsupportedOperationException("buffers are taken by reference");
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            throw new UnsupportedOperationException("buffers are taken by reference");
        }

        @Override
        public int write(ByteBuffer src) {
            throw new UnsupportedOperationException("buffers are taken by reference");
        }

        @Override
        public boolean hasPendingWrites() {
            return false;
        }

        @Override
        public long transferFrom(FileChannel fileChannel, long position, long count) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
