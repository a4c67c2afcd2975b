package io.kop.bench;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the same Kafka 4.4 load tools against Apache Kafka 4.4 (KRaft, one combined node) and against the
 * KoP standalone, one broker at a time, each in its own JVM with the same heap, and prints one table with
 * throughput, latency, broker CPU per MiB and peak RSS, plus the KoP/Kafka ratios.
 */
public final class Bench {
    private final Path work;
    private final String toolsCp;
    private final String kopCp;
    private final Path nar;
    private final int records;
    private final String heap;
    private final List<Process> started = new ArrayList<>();

    record Result(String workload, String system, double recordsPerSec, double mibPerSec, double p50, double p99,
                  double cpuMsPerMib, long peakRssMib) {
    }

    private Bench(Path work, String toolsCp, String kopCp, Path nar, int records, String heap) {
        this.work = work;
        this.toolsCp = toolsCp;
        this.kopCp = kopCp;
        this.nar = nar;
        this.records = records;
        this.heap = heap;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i], args[i + 1]);
        }
        Path work = Files.createTempDirectory("kop-bench-");
        Bench bench = new Bench(work, Files.readString(Path.of(a.get("--tools-cp"))).trim(),
                Files.readString(Path.of(a.get("--kop-cp"))).trim(), Path.of(a.get("--nar")),
                Integer.parseInt(a.getOrDefault("--records", "200000")), a.getOrDefault("--heap", "2g"));
        Runtime.getRuntime().addShutdownHook(new Thread(bench::stopAll));
        List<Result> results = new ArrayList<>();
        try {
            results.addAll(bench.runAll("kafka"));
            results.addAll(bench.runAll("kop"));
            results.addAll(bench.runAll("kop-kf"));
        } finally {
            bench.stopAll();
        }
        print(results, bench.records);
    }

    private List<Result> runAll(String system) throws Exception {
        Process broker = system.equals("kafka") ? startKafka() : startKop(system.equals("kop-kf") ? "kafka" : "pulsar");
        String bs = "127.0.0.1:" + (system.equals("kafka") ? 19092 : 29092);
        List<Result> out = new ArrayList<>();
        try {
            produce(system, broker, bs, "warm-up", "warmup", 1, 1024, "all", records); // JIT, caches, connections
            out.add(produce(system, broker, bs, "produce 1KiB acks=all 1p", "p1-all", 1, 1024, "all", records));
            out.add(produce(system, broker, bs, "produce 1KiB acks=1 1p", "p1-one", 1, 1024, "1", records));
            out.add(produce(system, broker, bs, "produce 100B acks=all 1p", "p1-small", 1, 100, "all", records * 4));
            out.add(produce(system, broker, bs, "produce 1KiB acks=all 8p", "p8-all", 8, 1024, "all", records));
            out.add(consume(system, broker, bs, "consume 1KiB from earliest 1p", "p1-all", records, 1024));
            out.add(consume(system, broker, bs, "consume 1KiB from earliest 8p", "p8-all", records, 1024));
            out.add(throttled(system, broker, bs));
            out.add(endToEnd(system, broker, bs));
        } finally {
            stop(broker);
        }
        return out;
    }

    // ------------------------------------------------------------ brokers

    private Process startKafka() throws Exception {
        Path dir = work.resolve("kafka");
        Files.createDirectories(dir);
        Path props = dir.resolve("server.properties");
        Files.writeString(props, String.join("\n",
                "process.roles=broker,controller", "node.id=1",
                "listeners=PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093",
                "advertised.listeners=PLAINTEXT://127.0.0.1:19092",
                "controller.listener.names=CONTROLLER", "controller.quorum.bootstrap.servers=127.0.0.1:19093",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + dir.resolve("data"), "num.partitions=1", "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1", "transaction.state.log.min.isr=1",
                "group.initial.rebalance.delay.ms=0", "") + "\n");
        run(List.of(java(), "-cp", toolsCp, "kafka.tools.StorageTool", "format", "-t",
                UUID.randomUUID().toString().replace("-", "").substring(0, 22), "-c", props.toString(), "--standalone"),
                120);
        Process p = spawn("kafka", List.of(java(), "-Xms" + heap, "-Xmx" + heap, "-cp", toolsCp,
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "kafka.Kafka", props.toString()));
        awaitPort(19092, 120);
        return p;
    }

    /** The KoP standalone with every topic in {@code entryFormat} (bookie journal without fsync, its default). */
    private Process startKop(String entryFormat) throws Exception {
        Path dir = work.resolve("kop");
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xms" + heap, "-Xmx" + heap, "-XX:MaxDirectMemorySize=2g",
                "-Dkop.log.dir=" + dir.resolve("logs"), "-cp", kopCp, "io.kop.standalone.Main", "--nar", nar.toString(),
                "--data-dir", dir.toString(), "--wipe", "--kafka-port", "29092", "--pulsar-port", "26650",
                "--http-port", "28080", "--bookie-port", "23181", "--conf", "group.initial.rebalance.delay.ms=0",
                "--conf", "entryFormat=" + entryFormat));
        Process p = spawn("kop", cmd);
        awaitPort(29092, 120);
        return p;
    }

    // ------------------------------------------------------------ workloads

    private static final Pattern PRODUCED = Pattern.compile("(\\d+) records sent, ([\\d.]+) records/sec \\(([\\d.]+) MB/sec\\), "
            + "[\\d.]+ ms avg latency, [\\d.]+ ms max latency, (\\d+) ms 50th, \\d+ ms 95th, (\\d+) ms 99th");

    private Result produce(String system, Process broker, String bs, String name, String topic, int partitions,
                           int size, String acks, int n) throws Exception {
        createTopic(bs, topic, partitions);
        long cpu0 = cpuMillis(broker);
        String out = run(List.of(java(), "-Xmx1g", "-cp", toolsCp, "org.apache.kafka.tools.ProducerPerformance",
                "--topic", topic, "--num-records", Integer.toString(n), "--record-size", Integer.toString(size),
                "--throughput", "-1", "--producer-props", "bootstrap.servers=" + bs, "acks=" + acks,
                "linger.ms=5", "batch.size=131072"), 900);
        long cpu = cpuMillis(broker) - cpu0;
        Matcher m = last(PRODUCED, out, name);
        double mib = (double) n * size / (1024 * 1024);
        return new Result(name, system, Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)),
                Double.parseDouble(m.group(4)), Double.parseDouble(m.group(5)), cpu / mib, peakRssMib(broker));
    }

    private Result consume(String system, Process broker, String bs, String name, String topic, int n, int size)
            throws Exception {
        long cpu0 = cpuMillis(broker);
        String out = run(List.of(java(), "-Xmx1g", "-cp", toolsCp, "org.apache.kafka.tools.ConsumerPerformance",
                "--bootstrap-server", bs, "--topic", topic, "--messages", Integer.toString(n), "--timeout", "60000",
                "--group", "bench-" + UUID.randomUUID()), 900);
        long cpu = cpuMillis(broker) - cpu0;
        // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
        // rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec: the fetch.* figures leave out the join
        String line = out.lines().filter(l -> l.matches("^\\d{4}-.*")).reduce((x, y) -> y)
                .orElseThrow(() -> new IllegalStateException(name + ": no result in\n" + out));
        String[] f = line.split(",\\s*");
        double mib = Double.parseDouble(f[2]);
        return new Result(name, system, Double.parseDouble(f[9]), Double.parseDouble(f[8]), Double.NaN, Double.NaN,
                cpu / Math.max(mib, 1e-9), peakRssMib(broker));
    }

    private Result throttled(String system, Process broker, String bs) throws Exception {
        String name = "throttled 5000 rec/s 1KiB acks=all";
        createTopic(bs, "throttled", 1);
        long cpu0 = cpuMillis(broker);
        int n = 50_000;
        String out = run(List.of(java(), "-Xmx1g", "-cp", toolsCp, "org.apache.kafka.tools.ProducerPerformance",
                "--topic", "throttled", "--num-records", Integer.toString(n), "--record-size", "1024",
                "--throughput", "5000", "--producer-props", "bootstrap.servers=" + bs, "acks=all"), 600);
        long cpu = cpuMillis(broker) - cpu0;
        Matcher m = last(PRODUCED, out, name);
        return new Result(name, system, Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)),
                Double.parseDouble(m.group(4)), Double.parseDouble(m.group(5)), cpu / (n / 1024.0),
                peakRssMib(broker));
    }

    private static final Pattern PERCENTILES = Pattern.compile("Percentiles: 50th = ([\\d.]+), 99th = ([\\d.]+)");

    private Result endToEnd(String system, Process broker, String bs) throws Exception {
        String name = "end-to-end 1 record at a time 1KiB";
        createTopic(bs, "e2e", 1);
        int n = 5_000;
        long cpu0 = cpuMillis(broker);
        long t0 = System.nanoTime();
        String out = run(List.of(java(), "-Xmx1g", "-cp", toolsCp, "org.apache.kafka.tools.EndToEndLatency",
                "--bootstrap-server", bs, "--topic", "e2e", "--num-records", Integer.toString(n),
                "--producer-acks", "all", "--record-size", "1024"), 600);
        double secs = (System.nanoTime() - t0) / 1e9;
        long cpu = cpuMillis(broker) - cpu0;
        Matcher m = last(PERCENTILES, out, name);
        return new Result(name, system, n / secs, n / 1024.0 / secs, Double.parseDouble(m.group(1)),
                Double.parseDouble(m.group(2)), cpu / (n / 1024.0), peakRssMib(broker));
    }

    private void createTopic(String bs, String topic, int partitions) throws Exception {
        run(List.of(java(), "-Xmx256m", "-cp", toolsCp, "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bs,
                "--create", "--if-not-exists", "--topic", topic, "--partitions", Integer.toString(partitions)), 120);
    }

    // ------------------------------------------------------------ processes and /proc

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private Process spawn(String name, List<String> cmd) throws IOException {
        Path log = work.resolve(name + ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(p);
        return p;
    }

    private String run(List<String> cmd, int timeoutSeconds) throws Exception {
        Path out = Files.createTempFile(work, "run", ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        started.add(p);
        try {
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                throw new IllegalStateException("timed out after " + timeoutSeconds + " s: " + cmd.get(cmd.size() - 1)
                        + "\n" + Files.readString(out));
            }
        } finally {
            p.destroyForcibly();
            started.remove(p);
        }
        return Files.readString(out);
    }

    private static Matcher last(Pattern pattern, String out, String what) {
        Matcher found = null;
        Matcher m = pattern.matcher(out);
        while (m.find()) {
            found = pattern.matcher(m.group());
            found.find();
        }
        if (found == null) {
            throw new IllegalStateException(what + ": no result in output:\n" + out);
        }
        return found;
    }

    private static void awaitPort(int port, int timeoutSeconds) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutSeconds * 1000L;
        while (System.currentTimeMillis() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                Thread.sleep(2000); // listeners bind before everything behind them is ready
                return;
            } catch (IOException e) {
                Thread.sleep(500);
            }
        }
        throw new IllegalStateException("port " + port + " did not open within " + timeoutSeconds + " s");
    }

    /** User + system CPU of the process, in ms (clock ticks of 10 ms). */
    private static long cpuMillis(Process p) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + p.pid() + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
    }

    private static long peakRssMib(Process p) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + p.pid() + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        return -1;
    }

    private void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        started.remove(p);
    }

    private void stopAll() {
        for (Process p : new ArrayList<>(started)) {
            p.destroyForcibly();
        }
        started.clear();
    }

    // ------------------------------------------------------------ report

    private static void print(List<Result> results, int records) {
        System.out.printf(Locale.ROOT, "%nKoP vs Apache Kafka 4.4, %d records per produce run, one broker at a time on this machine%n",
                records);
        System.out.printf(Locale.ROOT, "%-38s %-6s %12s %9s %8s %8s %10s %8s%n", "workload", "system", "records/s",
                "MiB/s", "p50 ms", "p99 ms", "CPU ms/MiB", "RSS MiB");
        Map<String, Result> kafka = new LinkedHashMap<>();
        for (Result r : results) {
            if (r.system().equals("kafka")) {
                kafka.put(r.workload(), r);
            }
        }
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "%-38s %-6s %12.0f %9.1f %8s %8s %10.1f %8d%n", r.workload(), r.system(),
                    r.recordsPerSec(), r.mibPerSec(), fmt(r.p50()), fmt(r.p99()), r.cpuMsPerMib(), r.peakRssMib());
        }
        System.out.printf(Locale.ROOT, "%nKoP / Kafka ratios (throughput: higher is better; latency, CPU: lower is better)"
                + "%nkop = entryFormat pulsar, kop-kf = entryFormat kafka%n");
        System.out.printf(Locale.ROOT, "%-38s %-6s %10s %8s %8s %10s%n", "workload", "system", "MiB/s", "p50", "p99",
                "CPU/MiB");
        for (Result r : results) {
            Result k = kafka.get(r.workload());
            if (!r.system().equals("kafka") && k != null) {
                System.out.printf(Locale.ROOT, "%-38s %-6s %10.2f %8s %8s %10.2f%n", r.workload(), r.system(),
                        r.mibPerSec() / k.mibPerSec(), ratio(r.p50(), k.p50()), ratio(r.p99(), k.p99()),
                        r.cpuMsPerMib() / k.cpuMsPerMib());
            }
        }
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b == 0 ? "-" : String.format(Locale.ROOT, "%.2f", a / b);
    }
}
