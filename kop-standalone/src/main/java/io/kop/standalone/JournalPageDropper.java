package io.kop.standalone;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.bookkeeper.common.util.nativeio.NativeIO;
import org.apache.bookkeeper.common.util.nativeio.NativeIOImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops the bookie journal's written pages from the page cache once a second, as a bookie does with
 * BookKeeper's {@code journalRemoveFromPageCache} (true by default, after each flush of the journal).
 * Pulsar's embedded bookie ({@code BKCluster}) sets that key to false whatever the config says, and its
 * journal then keeps every page it wrote: each write takes fresh memory, which on this project's VMs
 * cost the journal thread up to 2 ms of system CPU per MiB more than reusing dropped pages
 * (BENCHMARKS.md). Only pages behind the part still being written are dropped, so the journal never
 * reads them back. The kernel skips pages not yet written back to disk, so each round covers the
 * previous round's range again: the bookie has flushed those pages since (every second).
 */
final class JournalPageDropper implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JournalPageDropper.class);
    private static final int POSIX_FADV_DONTNEED = 4;
    /** The preallocated chunk the journal writes in (BookKeeper's default 16 MiB) and its 8 MiB drop lag. */
    private static final long TAIL_KEPT = 24L << 20;

    private final Path journalDir;
    private final NativeIO io;
    private final ScheduledExecutorService timer;
    private final Map<Path, Range> dropped = new HashMap<>();

    /** What one round dropped in a file; the next round starts again at {@code from}. */
    private record Range(long from, long to) {
    }

    JournalPageDropper(Path journalDir, NativeIO io) {
        this.journalDir = journalDir;
        this.io = io;
        this.timer = Executors.newSingleThreadScheduledExecutor(
                new DefaultThreadFactory("kop-journal-page-dropper", true));
    }

    /** Starts dropping in {@code journalDir}; null where BookKeeper's native library does not load. */
    static JournalPageDropper start(Path journalDir) {
        NativeIO io;
        try {
            io = new NativeIOImpl();
            io.close(io.open(journalDir.toString(), NativeIO.O_RDONLY, 0));
        } catch (IOException | LinkageError unavailable) {
            log.info("The bookie journal's pages stay in the page cache (no native I/O here: {})",
                    unavailable.toString());
            return null;
        }
        JournalPageDropper dropper = new JournalPageDropper(journalDir, io);
        dropper.timer.scheduleWithFixedDelay(dropper::dropOnce, 1, 1, TimeUnit.SECONDS);
        return dropper;
    }

    /**
     * Drops, in each journal file, what was written since the last round and the last round's range
     * again, up to the tail the journal is still writing.
     */
    void dropOnce() {
        Map<Path, Range> seen = new HashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(journalDir, "*.txn")) {
            for (Path file : files) {
                long upTo = Files.size(file) - TAIL_KEPT;
                Range last = dropped.getOrDefault(file, new Range(0, 0));
                Range now = new Range(last.to(), Math.max(last.to(), upTo));
                if (upTo > last.from()) {
                    drop(file, last.from(), upTo - last.from());
                }
                seen.put(file, now);
            }
        } catch (IOException | RuntimeException e) {
            // a journal file removed between the listing and its use; the next round sees the new state
            log.debug("journal page drop skipped: {}", e.toString());
        }
        dropped.clear();
        dropped.putAll(seen);
    }

    private void drop(Path file, long offset, long length) throws IOException {
        int fd = io.open(file.toString(), NativeIO.O_RDONLY, 0);
        try {
            io.posix_fadvise(fd, offset, length, POSIX_FADV_DONTNEED);
        } finally {
            io.close(fd);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
