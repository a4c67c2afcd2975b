package io.kop.standalone;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

/** Config files and data directories of the standalone and the cluster launcher. */
public final class DataFiles {
    private DataFiles() {
    }

    /** Writes {@code key=value} lines under a comment line, creating the directory if needed. */
    public static void writeConfig(Path file, String comment, Map<String, String> config) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (Writer w = Files.newBufferedWriter(file)) {
            w.write("# " + comment + "\n");
            for (Map.Entry<String, String> e : config.entrySet()) {
                w.write(e.getKey() + "=" + e.getValue() + "\n");
            }
        }
    }

    /** Deletes {@code dir} and all it holds (a data directory, with {@code --wipe}). */
    public static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(p);
            }
        }
    }
}
