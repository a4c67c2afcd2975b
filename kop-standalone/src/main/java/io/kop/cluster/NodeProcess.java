package io.kop.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One JVM of the cluster (ZooKeeper, a bookie, a broker), started through {@link ChildMain} with its
 * output in {@code console.log} of its own directory.
 */
public final class NodeProcess {
    private final String name;
    private final List<String> command;
    private final Path dir;
    private Process process;

    public NodeProcess(String name, Path dir, String classpath, List<String> jvmOptions, String mainClass,
                List<String> args) {
        this.name = name;
        this.dir = dir;
        List<String> c = new ArrayList<>();
        c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        c.addAll(jvmOptions);
        c.add("-Dkop.log.dir=" + dir.resolve("logs"));
        c.add("-Dkop.console.level=OFF");
        c.add("-cp");
        c.add(classpath);
        c.add(ChildMain.class.getName());
        c.add(mainClass);
        c.addAll(args);
        this.command = List.copyOf(c);
    }

    public String name() {
        return name;
    }

    public Path dir() {
        return dir;
    }

    public synchronized void start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        Files.createDirectories(dir.resolve("logs"));
        process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("console.log").toFile()))
                .start(); // standard input stays a pipe: ChildMain halts when it closes
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Exit code once ended, -1 while running or never started. */
    public synchronized int exitCode() {
        return process == null || process.isAlive() ? -1 : process.exitValue();
    }

    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    /** SIGTERM, then SIGKILL if the process has not ended within {@code graceSeconds}. */
    public synchronized void stop(int graceSeconds) {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
                kill();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill();
        }
    }

    /** SIGKILL: the process ends at once, without running any of its shutdown code (kill -9). */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for a process that should end by itself (a setup tool); its exit code. */
    public int waitFor(long timeoutSeconds) throws InterruptedException {
        Process p;
        synchronized (this) {
            p = process;
        }
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            kill();
            throw new IllegalStateException(name + " did not finish within " + timeoutSeconds + " s; see "
                    + dir.resolve("console.log"));
        }
        return p.exitValue();
    }
}
