package io.kop.standalone;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.bookkeeper.common.util.nativeio.NativeIOImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalPageDropperTest {
    private static final long MIB = 1024 * 1024;

    /** Records the drops instead of making them. */
    private static final class RecordingIo extends NativeIOImpl {
        final List<String> drops = new ArrayList<>();
        private final List<String> open = new ArrayList<>();

        @Override
        public int open(String path, int flags, int mode) {
            open.add(Path.of(path).getFileName().toString());
            return open.size() - 1;
        }

        @Override
        public int posix_fadvise(int fd, long offset, long len, int advice) {
            drops.add(open.get(fd) + " " + offset / MIB + "+" + len / MIB + " advice " + advice);
            return 0;
        }

        @Override
        public int close(int fd) {
            return 0;
        }
    }

    @Test
    void dropsWhatEachJournalWroteBehindTheTailBeingWritten(@TempDir Path dir) throws IOException {
        RecordingIo io = new RecordingIo();
        JournalPageDropper dropper = new JournalPageDropper(dir, io);
        try {
            grow(dir.resolve("1.txn"), 40);
            grow(dir.resolve("2.txn"), 20); // all of it still within the tail
            Files.writeString(dir.resolve("lastMark"), "not a journal");
            dropper.dropOnce();
            assertEquals(List.of("1.txn 0+16 advice 4"), io.drops);

            dropper.dropOnce(); // nothing written since
            assertEquals(1, io.drops.size());

            grow(dir.resolve("1.txn"), 50);
            grow(dir.resolve("2.txn"), 30);
            dropper.dropOnce();
            assertEquals(List.of("1.txn 0+16 advice 4", "1.txn 16+10 advice 4", "2.txn 0+6 advice 4"),
                    io.drops.stream().sorted().toList());

            Files.delete(dir.resolve("1.txn")); // an old journal removed: forgotten
            dropper.dropOnce();
            assertEquals(3, io.drops.size());
            grow(dir.resolve("1.txn"), 30);
            dropper.dropOnce();
            assertEquals("1.txn 0+6 advice 4", io.drops.get(io.drops.size() - 1));
        } finally {
            dropper.close();
        }
    }

    /** A sparse file of {@code mib} MiB, as a preallocated journal looks to the dropper. */
    private static void grow(Path file, long mib) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(mib * MIB);
        }
    }
}
