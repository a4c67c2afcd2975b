package io.kop.storage;

import io.kop.format.RecordChunks;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledUnsafeDirectByteBuf;
import io.netty.util.IllegalReferenceCountException;
import io.netty.util.internal.PlatformDependent;
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
 * <p>Batches are copied into slabs, direct-memory buffers filled front to back like log segments, so a
 * response goes to the socket without another copy. A broker-wide byte limit evicts whole slabs,
 * oldest first, whatever partition they belong to. Bytes in a slab are never written again once their
 * batch is visible, so any number of fetches may send them at once without locks.
 *
 * <p>Slabs are reference counted: the cache holds one reference until eviction, a pending append holds
 * one for its reservation, and every chunk a read returns holds one until the response that carries it
 * is written or dropped. The memory is freed when the last one is released, never while a send still
 * uses it; a slab that is already freed is simply not served (the read goes to storage). The memory of
 * a freed full-size slab is kept for the next one while the cache and its spare memory stay within the
 * limit plus one slab: fresh direct memory costs the kernel a zeroed page per 4 KiB on first touch,
 * which made allocating slabs a third of the appending thread's CPU.
 */
final class RecentBatches {
    private static final int SLAB_BYTES = 4 * 1024 * 1024;
    private static final int FIRST_SLAB_BYTES = 64 * 1024;

    private final long limit;
    private final int slabBytes;
    private final AtomicLong used = new AtomicLong(); // slabs not evicted
    private final AtomicLong live = new AtomicLong(); // slabs not released, evicted ones still sent included
    private final ConcurrentLinkedQueue<Slab> slabs = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<ByteBuffer> spare = new ConcurrentLinkedQueue<>();
    private final AtomicLong spareBytes = new AtomicLong();
    private final AtomicLong slabsAllocated = new AtomicLong();

    /** @param limit bytes of slabs all partitions may hold together; 0 keeps nothing */
    RecentBatches(long limit) {
        this(limit, SLAB_BYTES);
    }

    RecentBatches(long limit, int slabBytes) {
        this.limit = limit;
        this.slabBytes = (int) Math.min(slabBytes, limit); // a small limit still holds a slab
    }

    /** Direct memory the slabs take, evicted ones still being sent included. */
    long allocatedBytes() {
        return live.get();
    }

    /** Slabs that took fresh memory, not a released slab's. */
    long slabsAllocated() {
        return slabsAllocated.get();
    }

    /** Direct memory of released slabs kept for new ones. */
    long spareBytes() {
        return spareBytes.get();
    }

    Partition partition() {
        return new Partition();
    }

    /** A new slab holding the cache's reference and one for the caller; null when direct memory is short. */
    private Slab allocate(Partition owner, int size) {
        ByteBuffer memory = size == slabBytes ? spare.poll() : null;
        if (memory != null) {
            spareBytes.addAndGet(-size);
        } else {
            try {
                memory = ByteBuffer.allocateDirect(size);
                slabsAllocated.incrementAndGet();
            } catch (OutOfMemoryError e) {
                return null; // the append goes on without its cached copy
            }
        }
        live.addAndGet(size);
        Slab slab = new Slab(owner, new SlabMemory(memory).retain());
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

    /** A released full-size slab's memory is kept if the cache and the spare memory stay within bounds. */
    private void recycle(ByteBuffer memory) {
        int size = memory.capacity();
        live.addAndGet(-size);
        if (size == slabBytes) {
            if (spareBytes.addAndGet(size) + used.get() <= limit + slabBytes) {
                spare.add(memory);
                return;
            }
            spareBytes.addAndGet(-size);
        }
        PlatformDependent.freeDirectBuffer(memory);
    }

    /**
     * A slab's buffer over memory it does not free: at its last release the memory goes to
     * {@link #recycle}. A later slab on the same memory is a new buffer with its own count, so a stale
     * reference to this one still fails as released.
     */
    private final class SlabMemory extends UnpooledUnsafeDirectByteBuf {
        private final ByteBuffer memory;

        SlabMemory(ByteBuffer memory) {
            super(UnpooledByteBufAllocator.DEFAULT, memory, memory.capacity());
            this.memory = memory;
        }

        @Override
        protected void deallocate() {
            super.deallocate(); // drops its view of the memory without freeing it
            recycle(memory);
        }
    }

    private final class Slab {
        final Partition owner;
        final ByteBuf buf;
        int filled; // guarded by owner
        volatile boolean evicted;

        Slab(Partition owner, ByteBuf buf) {
            this.owner = owner;
            this.buf = buf;
        }

        int capacity() {
            return buf.capacity();
        }

        /** A reference for a pending append, or false if the slab is evicted (maybe freed already). */
        boolean retainUnlessEvicted() {
            try {
                buf.retain();
            } catch (IllegalReferenceCountException freed) {
                return false;
            }
            if (evicted) {
                buf.release();
                return false;
            }
            return true;
        }

        /** True for the one caller that evicts it; its bytes leave the count and the cache's reference goes. */
        synchronized boolean markEvicted() {
            if (evicted) {
                return false;
            }
            evicted = true;
            used.addAndGet(-capacity());
            buf.release();
            return true;
        }
    }

    /**
     * Space taken for a batch whose append is under way, holding a reference to its slab: it becomes
     * readable with {@link Partition#commit}, or is given back with {@link Partition#abandon}.
     */
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
                if (slab == null || slab.capacity() - slab.filled < size || !slab.retainUnlessEvicted()) {
                    // Slabs grow from 64 KiB to full size as a partition keeps filling them, so a
                    // partition that produces little does not hold (or keep reallocating) 4 MiB.
                    if (slab != null && slab.evicted) {
                        nextSlabBytes = Math.min(FIRST_SLAB_BYTES, slabBytes);
                    }
                    slab = allocate(this, Math.max(size, nextSlabBytes));
                    if (slab == null) {
                        return null;
                    }
                    nextSlabBytes = (int) Math.min(2L * nextSlabBytes, slabBytes);
                    current = slab;
                }
                r = new Reservation(slab, slab.filled, size);
                batch.writeTo(slab.buf.nioBuffer(r.position(), size));
                slab.filled += size;
            }
            evictOverLimit();
            return r;
        }

        /**
         * Makes a reserved batch readable once its append is confirmed: gives it its offsets, the
         * partition's leader epoch and the broker's append time if the topic uses one. Takes no
         * lock, so the confirming (managed-ledger) thread never waits for an appender's copy.
         */
        void commit(Reservation r, long baseOffset, int records, long logAppendTime, int leaderEpoch) {
            Slab slab = r.slab();
            try {
                if (slab.evicted) {
                    return;
                }
                MutableRecordBatch batch = MemoryRecords.readableRecords(slab.buf.nioBuffer(r.position(), r.size()))
                        .batches().iterator().next();
                batch.setLastOffset(baseOffset + records - 1);
                batch.setPartitionLeaderEpoch(leaderEpoch);
                if (logAppendTime >= 0) {
                    batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, logAppendTime);
                }
                Batch b = new Batch(slab, r.position(), r.size(), baseOffset, records);
                batches.put(baseOffset, b);
                if (slab.evicted) {
                    batches.remove(baseOffset, b); // evicted while we put it: the eviction may have missed it
                }
            } finally {
                slab.buf.release();
            }
        }

        /**
         * Puts in batches read back from storage (offsets, epochs and timestamps as stored), in offset
         * order, if this broker has not appended to the partition yet; appends wait meanwhile, so offset
         * order holds. Returns the records cached.
         */
        synchronized int prefill(List<MutableRecordBatch> stored) {
            if (closed || current != null || !batches.isEmpty()) {
                return 0;
            }
            int records = 0;
            for (MutableRecordBatch b : stored) {
                int count = (int) (b.lastOffset() - b.baseOffset() + 1);
                Reservation r = reserve(b, count);
                if (r == null) {
                    break; // a gap would follow: the rest is read from storage
                }
                commit(r, b.baseOffset(), count, -1, b.partitionLeaderEpoch());
                records += count;
            }
            return records;
        }

        /** Gives back a reservation whose append failed; its bytes are never served. */
        void abandon(Reservation r) {
            r.slab().buf.release();
        }

        /**
         * The cached batches from the one holding {@code offset} on, as long as they follow each other
         * without a gap: at least one, then up to {@code maxBytes}. Null when {@code offset} is not cached.
         * The chunks hold references to their slabs: the caller releases them ({@link RecordChunks#release}).
         */
        RecordChunks read(long offset, int maxBytes) {
            Map.Entry<Long, Batch> first = batches.floorEntry(offset);
            if (first == null || first.getValue().nextOffset() <= offset) {
                return null;
            }
            List<ByteBuf> chunks = new ArrayList<>();
            int records = 0;
            int served = 0; // records in chunks
            long bytes = 0;
            Batch b = first.getValue();
            Batch runStart = b;
            int runBytes = 0;
            while (b != null && (bytes == 0 || bytes + b.size() <= maxBytes)) {
                // batches side by side in one slab go out as one buffer
                if (b.slab() != runStart.slab() || b.position() != runStart.position() + runBytes) {
                    if (!addRun(chunks, runStart, runBytes)) {
                        runStart = null;
                        break;
                    }
                    served = records;
                    runStart = b;
                    runBytes = 0;
                }
                runBytes += b.size();
                bytes += b.size();
                records += b.records();
                b = batches.get(b.nextOffset());
            }
            if (runStart != null && addRun(chunks, runStart, runBytes)) {
                served = records;
            }
            // a freed slab ends the read: what was added before it is whole
            return chunks.isEmpty() ? null : new RecordChunks(chunks, served);
        }

        /** Adds the run of batches from {@code start} with a reference to its slab; false if the slab is freed. */
        private static boolean addRun(List<ByteBuf> chunks, Batch start, int bytes) {
            try {
                chunks.add(start.slab().buf.retainedSlice(start.position(), bytes));
                return true;
            } catch (IllegalReferenceCountException freed) {
                return false; // evicted, and its last reader is done
            }
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
