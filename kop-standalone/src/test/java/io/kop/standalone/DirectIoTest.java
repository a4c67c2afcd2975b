package io.kop.standalone;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectIoTest {

    @Test
    void aDirectoryThatCannotBeUsedIsReportedNotThrown(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        assertFalse(DirectIo.supported(file.resolve("data")));
    }

    @Test
    void diskFilesystemOnLinuxTakesThem(@TempDir Path dir) throws IOException {
        assumeTrue(System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64"));
        assumeTrue(Set.of("ext4", "xfs").contains(Files.getFileStore(dir).type()));
        assertTrue(DirectIo.supported(dir));
        try (var left = Files.list(dir)) {
            assertTrue(left.findAny().isEmpty(), "the probe file is removed");
        }
    }
}
