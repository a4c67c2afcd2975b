package io.kop.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What {@code /proc} says of a broker process: its CPU time and its peak resident memory. */
final class ProcStats {
    private ProcStats() {
    }

    /** CPU time of a process, in ms: all threads, and the share of the JIT compiler threads. */
    record Cpu(long totalMs, long jitMs) {
        Cpu minus(Cpu start) {
            return new Cpu(totalMs - start.totalMs, jitMs - start.jitMs);
        }

        long withoutJitMs() {
            return totalMs - jitMs;
        }
    }

    /**
     * User + system CPU of the process and of its JIT compiler threads, in ms (clock ticks of 10 ms). A
     * short run still compiles (a third of KoP's CPU in one produce profile); a long-running broker does
     * not, so the report shows CPU with and without the compiler threads. Both JVMs run with a fixed
     * number of compiler threads, so none exits between two readings.
     */
    static Cpu cpu(Process p) throws IOException {
        long total = ticks(Files.readString(Path.of("/proc/" + p.pid() + "/stat")));
        long jit = 0;
        try (var tasks = Files.list(Path.of("/proc/" + p.pid() + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
                        jit += ticks(stat);
                    }
                } catch (IOException threadEnded) {
                    // a thread that ended between the listing and the read
                }
            }
        }
        return new Cpu(total * 10, jit * 10);
    }

    /** utime + stime of a {@code stat} line; the fields after the name, which may hold spaces. */
    private static long ticks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    static long peakRssMib(Process p) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        return -1;
    }
}
