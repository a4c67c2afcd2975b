package io.kop.storage;

import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.bookkeeper.mledger.ManagedCursor;

/**
 * A non-durable cursor and the entries it has read and decoded ahead of its consumer. After each fetch it
 * keeps reading in the background until two fetches' worth of records are waiting (or the log ends, or
 * the broker-wide read-ahead budget is spent), so a sequential consumer's next fetch is answered without
 * waiting for BookKeeper or for record conversion, and BookKeeper reads overlap with the client's work.
 * One fetch uses a reader at a time; its background read may complete on any thread, hence the lock.
 */
final class CursorReader {
    /**
     * One entry's records as Kafka batches with their final offsets, and the offset after the entry. It
     * holds the one reference to {@code batches}: whoever drops it releases it, whoever answers a fetch
     * with it hands the reference on to the answer.
     */
    record DecodedEntry(ByteBuf batches, int records, long nextOffset) {
        int size() {
            return batches.readableBytes();
        }

        void release() {
            batches.release();
        }
    }

    /** Reads the cursor's next entries, about {@code maxBytes}, decoding records from {@code fromOffset}. */
    interface EntrySource {
        CompletableFuture<List<DecodedEntry>> read(ManagedCursor cursor, long fromOffset, int maxBytes);
    }

    /** Bytes held by all readers' read-ahead on this broker, against a limit. */
    static final class Budget {
        private final long limit;
        private final AtomicLong used = new AtomicLong();

        Budget(long limit) {
            this.limit = limit;
        }

        boolean exhausted() {
            return used.get() >= limit;
        }
    }

    private final ManagedCursor cursor;
    private final EntrySource source;
    private final Budget budget;
    private final ArrayDeque<DecodedEntry> buffered = new ArrayDeque<>();
    private long bufferedBytes;
    private long endOffset;
    private CompletableFuture<Void> reading;
    private boolean atEnd;
    private boolean closed;
    private Throwable failure;
    private volatile long lastUsed = System.currentTimeMillis();

    /**
     * A reader whose cursor is positioned at the entry holding {@code offset}; with a null
     * {@code budget} it reads only when a fetch finds nothing buffered (read-ahead off).
     */
    CursorReader(ManagedCursor cursor, long offset, EntrySource source, Budget budget) {
        this.cursor = cursor;
        this.endOffset = offset;
        this.source = source;
        this.budget = budget;
    }

    ManagedCursor cursor() {
        return cursor;
    }

    long lastUsed() {
        return lastUsed;
    }

    /**
     * The next entries: at least one, then up to {@code maxBytes}; empty at the end of the log. Reads
     * when nothing is buffered, and starts reading ahead for the fetch after.
     */
    CompletableFuture<List<DecodedEntry>> next(int maxBytes) {
        lastUsed = System.currentTimeMillis();
        CompletableFuture<Void> wait;
        synchronized (this) {
            if (buffered.isEmpty() && failure == null && reading == null) {
                atEnd = false; // new entries may have come since the last read found none
                startRead(maxBytes);
            }
            wait = buffered.isEmpty() && failure == null ? reading : null;
        }
        if (wait == null) {
            return CompletableFuture.completedFuture(take(maxBytes));
        }
        return wait.thenApply(v -> take(maxBytes));
    }

    private synchronized List<DecodedEntry> take(int maxBytes) {
        if (failure != null) {
            throw failure instanceof RuntimeException r ? r : new IllegalStateException(failure);
        }
        List<DecodedEntry> out = new ArrayList<>();
        long bytes = 0;
        while (!buffered.isEmpty()) {
            int size = buffered.peekFirst().size();
            if (bytes > 0 && bytes + size > maxBytes) {
                break;
            }
            bytes += size;
            out.add(buffered.pollFirst());
        }
        releaseBudget(bytes);
        fill(maxBytes);
        return out;
    }

    /** Reads on in the background while less than two fetches' worth is buffered. */
    private void fill(int maxBytes) {
        if (reading == null && !atEnd && !closed && failure == null && budget != null
                && bufferedBytes < 2L * maxBytes && !budget.exhausted()) {
            startRead(maxBytes);
        }
    }

    private void startRead(int maxBytes) {
        CompletableFuture<Void> read = new CompletableFuture<>();
        reading = read;
        source.read(cursor, endOffset, maxBytes).whenComplete((entries, t) -> {
            synchronized (this) {
                reading = null;
                if (t != null) {
                    failure = t;
                } else if (entries.isEmpty()) {
                    atEnd = true;
                } else {
                    for (DecodedEntry e : entries) {
                        buffered.addLast(e);
                        bufferedBytes += e.size();
                        budget(e.size());
                        endOffset = Math.max(endOffset, e.nextOffset());
                    }
                }
                if (closed) {
                    dropBuffered();
                } else {
                    fill(maxBytes);
                }
            }
            read.complete(null);
        });
    }

    private void dropBuffered() {
        releaseBudget(bufferedBytes);
        buffered.forEach(DecodedEntry::release);
        buffered.clear();
    }

    private void budget(long bytes) {
        if (budget != null) {
            budget.used.addAndGet(bytes);
        }
    }

    private void releaseBudget(long bytes) {
        bufferedBytes -= bytes;
        budget(-bytes);
    }

    /** Drops what was read ahead; completes once no read is under way, so the cursor can be deleted. */
    CompletableFuture<Void> close() {
        synchronized (this) {
            closed = true;
            dropBuffered();
            return reading == null ? CompletableFuture.completedFuture(null) : reading;
        }
    }
}
