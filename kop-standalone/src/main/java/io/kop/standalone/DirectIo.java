package io.kop.standalone;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.bookkeeper.common.util.nativeio.NativeIO;
import org.apache.bookkeeper.common.util.nativeio.NativeIOImpl;

/**
 * Whether the bookie can write its entry logs with direct I/O ({@code O_DIRECT}) in a directory: it needs
 * BookKeeper's native library (Linux x86-64) and a filesystem that takes aligned direct writes (not
 * all do; tmpfs on older kernels, for one). Found out by writing one block, the way the bookie's
 * direct entry logger does.
 */
final class DirectIo {
    private static final int BLOCK = 4096;

    private DirectIo() {
    }

    static boolean supported(Path dir) {
        Path probe = dir.resolve(".direct-io-probe");
        try {
            Files.createDirectories(dir);
            NativeIO io = new NativeIOImpl();
            int fd = io.open(probe.toString(), NativeIO.O_CREAT | NativeIO.O_WRONLY | NativeIO.O_DIRECT, 0644);
            try {
                long block = io.posix_memalign(BLOCK, BLOCK);
                try {
                    return io.pwrite(fd, block, BLOCK, 0) == BLOCK;
                } finally {
                    io.free(block);
                }
            } finally {
                io.close(fd);
            }
        } catch (IOException | RuntimeException | LinkageError unavailable) {
            return false; // NativeIOException is an IOException; LinkageError: no native library here
        } finally {
            try {
                Files.deleteIfExists(probe);
            } catch (IOException ignored) {
                // a leftover probe file is harmless
            }
        }
    }
}
