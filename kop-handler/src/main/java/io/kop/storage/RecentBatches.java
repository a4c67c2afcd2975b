package io.kop.storage;

import com.sun.management.HotSpotDiagnosticMXBean;
import io.kop.format.RecordChunks;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * The Kafka batches most recently appended through this broker, kept as fetches return them (final
 * offsets, Kafka v2 format), so a consumer of recent data is answered from memory: no cursor, no
 * BookKeeper read, no conversion of the stored entry. It is this broker's counterpart of the page cache
 * a Kafka broker serves recent segments from. A read it cannot serve goes to storage as before.
 *
 * <p>Batches are copied into slabs, heap arrays filled front to back like log segments. A busy
 * partition's slabs grow to a size the G1 collector allocates as humongous objects: it never copies
 * them between generations and frees an unreferenced one at the next young collection. A broker-wide byte limit
 * evicts whole slabs, oldest first, whatever partition they belong to. Bytes in a slab are never written
 * again once their batch is visible, so any number of fetches may send them at once without locks.
 */
final class RecentBatches {
    private static final int TARGET_SLAB_BYTES = 4 * 1024 * 1024;
    private static final int ARRAY_HEADER_BYTES = 16;
    private static final int FIRST_SLAB_BYTES = 64 * 1024;

    private final long limit;
    private final int slabBytes;
    private final AtomicLong used = new AtomicLong();
    private final ConcurrentLinkedQueue<Slab> slabs = new ConcurrentLinkedQueue<>();

    /** @param limit bytes of slabs all partitions may hold together; 0 keeps nothing */
    RecentBatches(long limit) {
        this(limit, slabBytes());
    }

    RecentBatches(long limit, int slabBytes) {
        this.limit = limit;
        this.slabBytes = (int) Math.min(slabBytes, limit); // a small limit still holds a slab
    }

    /** A whole number of G1 regions (at least 4 MiB) minus the array header: one humongous object, no waste. */
    private static int slabBytes() {
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            if (Boolean.parseBoolean(vm.getVMOption("UseG1GC").getValue())) {
                long region = Long.parseLong(vm.getVMOption("G1HeapRegionSize").getValue());
                if (region > 0) {
                    return (int) (Math.max(1, TARGET_SLAB_BYTES / region) * region - ARRAY_HEADER_BYTES);
                }
            }
        } catch (RuntimeException e) {
            // not a HotSpot JVM: plain slabs
        }
        return TARGET_SLAB_BYTES;
    }

    Partition partition() {
        return new Partition();
    }

    private Slab allocate(Partition owner, int size) {
        Slab slab = new Slab(owner, new byte[size]);
        used.addAndGet(size);
        slabs.add(slab);
        return slab;
    }

    /** Evicts the oldest slabs while over the limit; called holding no partition's lock. */
    private void evictOverLimit() {
        while (used.get() > limit) {
            Slab oldest = slabs.poll();
            if (oldest == null) {
                return;
            }
            oldest.owner.evict(oldest);
        }
    }

    private final class Slab {
        final Partition owner;
        final byte[] bytes;
        int filled; // guarded by owner
        volatile boolean evicted;

        Slab(Partition owner, byte[] bytes) {
            this.owner = owner;
            this.bytes = bytes;
        }

        /** True for the one caller that evicts it; its bytes leave the count then. */
        synchronized boolean markEvicted() {
            if (evicted) {
                return false;
            }
            evicted = true;
            used.addAndGet(-bytes.length);
            return true;
        }
    }

    /** Space taken for a batch whose append is under way; it becomes readable with {@link Partition#commit}. */
    record Reservation(Slab slab, int position, int size) {
    }

    private record Batch(Slab slab, int position, int size, long baseOffset, int records) {
        long nextOffset() {
            return baseOffset + records;
        }
    }

    /** The cached batches of one partition log, by base offset. */
    final class Partition {
        private final ConcurrentSkipListMap<Long, Batch> batches = new ConcurrentSkipListMap<>();
        private Slab current;
        private int nextSlabBytes = Math.min(FIRST_SLAB_BYTES, slabBytes);
        private boolean closed;

        /**
         * Copies {@code batch} of {@code records} records into a slab. Called in append order, which is
         * offset order; null when the batch is not kept (larger than the whole cache, or its header's
         * offset span does not match its records, so offsets could not be given to it).
         */
        Reservation reserve(RecordBatch batch, int records) {
            int size = batch.sizeInBytes();
            if (size > limit || batch.lastOffset() - batch.baseOffset() + 1 != records) {
                return null;
            }
            Reservation r;
            synchronized (this) {
                if (closed) {
                    return null;
                }
                Slab slab = current;
                if (slab == null || slab.evicted || slab.bytes.length - slab.filled < size) {
                    // Slabs grow from 64 KiB to full size as a partition keeps filling them, so a
                    // partition that produces little does not hold (or keep reallocating) 4 MiB.
                    if (slab != null && slab.evicted) {
                        nextSlabBytes = Math.min(FIRST_SLAB_BYTES, slabBytes);
                    }
                    slab = allocate(this, Math.max(size, nextSlabBytes));
                    nextSlabBytes = (int) Math.min(2L * nextSlabBytes, slabBytes);
                    current = slab;
                }
                r = new Reservation(slab, slab.filled, size);
                batch.writeTo(ByteBuffer.wrap(slab.bytes, r.position(), size));
                slab.filled += size;
            }
            evictOverLimit();
            return r;
        }

        /**
         * Makes a reserved batch readable once its append is confirmed: gives it its offsets, no leader
         * epoch (Metadata reports none) and the broker's append time if the topic uses one. Takes no
         * lock, so the confirming (managed-ledger) thread never waits for an appender's copy.
         */
        void commit(Reservation r, long baseOffset, int records, long logAppendTime) {
            Slab slab = r.slab();
            if (slab.evicted) {
                return;
            }
            MutableRecordBatch batch = MemoryRecords.readableRecords(ByteBuffer.wrap(slab.bytes, r.position(),
                    r.size()).slice()).batches().iterator().next();
            batch.setLastOffset(baseOffset + records - 1);
            batch.setPartitionLeaderEpoch(RecordBatch.NO_PARTITION_LEADER_EPOCH);
            if (logAppendTime >= 0) {
                batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, logAppendTime);
            }
            Batch b = new Batch(slab, r.position(), r.size(), baseOffset, records);
            batches.put(baseOffset, b);
            if (slab.evicted) {
                batches.remove(baseOffset, b); // evicted while we put it: the eviction may have missed it
            }
        }

        /**
         * The cached batches from the one holding {@code offset} on, as long as they follow each other
         * without a gap: at least one, then up to {@code maxBytes}. Null when {@code offset} is not cached.
         */
        RecordChunks read(long offset, int maxBytes) {
            Map.Entry<Long, Batch> first = batches.floorEntry(offset);
            if (first == null || first.getValue().nextOffset() <= offset) {
                return null;
            }
            List<ByteBuffer> chunks = new ArrayList<>();
            int records = 0;
            long bytes = 0;
            Batch b = first.getValue();
            Batch runStart = b;
            int runBytes = 0;
            while (b != null && (bytes == 0 || bytes + b.size() <= maxBytes)) {
                // batches side by side in one slab go out as one buffer
                if (b.slab() != runStart.slab() || b.position() != runStart.position() + runBytes) {
                    chunks.add(ByteBuffer.wrap(runStart.slab().bytes, runStart.position(), runBytes).slice());
                    runStart = b;
                    runBytes = 0;
                }
                runBytes += b.size();
                bytes += b.size();
                records += b.records();
                b = batches.get(b.nextOffset());
            }
            chunks.add(ByteBuffer.wrap(runStart.slab().bytes, runStart.position(), runBytes).slice());
            return new RecordChunks(chunks, records);
        }

        /**
         * Removes the batches of {@code slab}, this partition's oldest, so they are the first ones; a
         * commit racing with it removes its own batch (see {@link #commit}).
         */
        private void evict(Slab slab) {
            if (!slab.markEvicted()) {
                return;
            }
            for (Iterator<Batch> it = batches.values().iterator(); it.hasNext() && it.next().slab() == slab; ) {
                it.remove();
            }
        }

        /** Drops everything this partition holds (its log was closed). */
        synchronized void clear() {
            closed = true;
            current = null;
            slabs.removeIf(s -> s.owner == this && s.markEvicted());
            batches.clear();
        }
    }
}
