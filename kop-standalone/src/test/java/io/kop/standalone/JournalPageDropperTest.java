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
    void dropsWhatEachJournalWroteBehindTheTailBeingWrittenAndRetriesItOnce(@TempDir Path dir) throws IOException {
        RecordingIo io = new RecordingIo();
        JournalPageDropper dropper = new JournalPageDropper(dir, io);
        try {
            grow(dir.resolve("1.txn"), 40);
            grow(dir.resolve("2.txn"), 20); // all of it still within the tail
            Files.writeString(dir.resolve("lastMark"), "not a journal");
            assertEquals(List.of("1.txn 0+16 advice 4"), round(dropper, io));

            // the same range once more (pages still dirty a round ago), then nothing while nothing is written
            assertEquals(List.of("1.txn 0+16 advice 4"), round(dropper, io));
            assertEquals(List.of(), round(dropper, io));

            grow(dir.resolve("1.txn"), 50);
            grow(dir.resolve("2.txn"), 30);
            assertEquals(List.of("1.txn 16+10 advice 4", "2.txn 0+6 advice 4"), round(dropper, io));
            assertEquals(List.of("1.txn 16+10 advice 4", "2.txn 0+6 advice 4"), round(dropper, io));

            Files.delete(dir.resolve("1.txn")); // an old journal removed: forgotten
            assertEquals(List.of(), round(dropper, io));
            grow(dir.resolve("1.txn"), 30);
            assertEquals(List.of("1.txn 0+6 advice 4"), round(dropper, io));
        } finally {
            dropper.close();
        }
    }

    /** The drops of one round, in file order. */
    private static List<String> round(JournalPageDropper dropper, RecordingIo io) {
        io.drops.clear();
        dropper.dropOnce();
        return io.drops.stream().sorted().toList();
    }

    /** A sparse file of {@code mib} MiB, as a preallocated journal looks to the dropper. */
    private static void grow(Path file, long mib) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(mib * MIB);
        }
    }
}
