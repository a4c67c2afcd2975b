package io.kop.bench;

import io.kop.bench.ProcStats.Cpu;
import io.kop.bench.Report.Result;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the same Kafka 4.4 load tools against Apache Kafka 4.4 (KRaft, one combined node) and against the
 * KoP standalone, one broker at a time, each in its own JVM with the same heap, and prints one table with
 * throughput, latency, broker CPU per MiB and peak RSS, plus the KoP/Kafka ratios. Both heaps are touched
 * at start (AlwaysPreTouch), so neither broker pays first-touch page faults inside a measured run, as a
 * broker that has been up for a while does not.
 */
public final class Bench {
    private final Path work;
    private final String toolsCp;
    private final String kopCp;
    private final String pulsarPerfCp;
    private final Path nar;
    private final Path kopJvmArgs;
    private final int records;
    private final String heap;
    private final List<Process> started = new ArrayList<>();
    private boolean cleaned; // the work directory was deleted (or kept with its logs)

    /** What each system is, and the durability it runs with. */
    private static final Map<String, String> SYSTEMS = new LinkedHashMap<>();

    static {
        SYSTEMS.put("kafka", "Apache Kafka 4.4, Kafka clients; log in the page cache, no fsync (Kafka's default)");
        SYSTEMS.put("kop", "KoP, entryFormat=pulsar, Kafka clients; bookie journal without fsync (standalone default)");
        SYSTEMS.put("pulsar",
                "the same KoP broker driven by the Pulsar Java client (pulsar-perf): the cost of the Kafka layer");
        SYSTEMS.put("kop-kf", "KoP, entryFormat=kafka, Kafka clients; journal without fsync");
        SYSTEMS.put("kop-fs",
                "KoP, entryFormat=pulsar, Kafka clients; bookie journal fsync on (./kop standalone --fsync)");
        SYSTEMS.put("kafka-sasl", "Apache Kafka 4.4 over SASL_SSL (PLAIN, TLS from the same PEM certificate)");
        SYSTEMS.put("kop-sasl", "KoP over SASL_SSL (./kop standalone --secure: PLAIN with a Pulsar token, "
                + "authorization on)");
    }

    private Bench(Path work, String toolsCp, String kopCp, String pulsarPerfCp, Path nar, Path kopJvmArgs,
                  int records, String heap) {
        this.work = work;
        this.toolsCp = toolsCp;
        this.kopCp = kopCp;
        this.pulsarPerfCp = pulsarPerfCp;
        this.nar = nar;
        this.kopJvmArgs = kopJvmArgs;
        this.records = records;
        this.heap = heap;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i], args[i + 1]);
        }
        Path work = Files.createTempDirectory("kop-bench-");
        String kopCp = Files.readString(Path.of(a.get("--kop-cp"))).trim();
        Bench bench = new Bench(work, Files.readString(Path.of(a.get("--tools-cp"))).trim(), kopCp,
                Files.readString(Path.of(a.get("--pulsar-perf-cp"))).trim(), Path.of(a.get("--nar")),
                Path.of(a.get("--kop-jvm-args")), Integer.parseInt(a.getOrDefault("--records", "200000")),
                a.getOrDefault("--heap", "2g"));
        int runs = Integer.parseInt(a.getOrDefault("--runs", "1"));
        List<String> systems = List.of(a.getOrDefault("--systems", "kafka,kop,kop-kf,kop-fs").split(","));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            bench.stopAll();
            bench.cleanUp(true); // interrupted: the logs stay
        }));
        List<Result> results = new ArrayList<>();
        boolean finished = false;
        try {
            for (int run = 1; run <= runs; run++) {
                for (String system : systems) {
                    results.addAll(bench.runAll(run, system));
                    Report.print(results, bench.records, SYSTEMS,
                            "so far: run " + run + " of " + runs + ", up to " + system);
                }
            }
            finished = true;
        } finally {
            bench.stopAll();
            bench.cleanUp(!finished);
        }
        Report.print(results, bench.records, SYSTEMS, runs == 1 ? "one run" : "median of " + runs + " runs");
    }

    private List<Result> runAll(int run, String system) throws Exception {
        boolean kafka = system.startsWith("kafka");
        boolean sasl = system.endsWith("-sasl");
        Process broker = kafka ? startKafka(sasl) : startKop(system.equals("kop-kf") ? "kafka" : "pulsar",
                system.equals("kop-fs"), sasl);
        String bs = "127.0.0.1:" + (kafka ? (sasl ? 19094 : 19092) : (sasl ? 29093 : 29092));
        Path clientConfig = !sasl ? null : kafka ? work.resolve("kafka").resolve("client-sasl-ssl.properties")
                : work.resolve("kop").resolve("secure").resolve("client-sasl-ssl.properties");
        Load load = new Load(run, system, broker, bs, clientConfig);
        List<Result> out = new ArrayList<>();
        if (sasl) {
            try {
                load.produce("warm-up", "warmup-fill", 1, 1024, "1", FILL_RECORDS);
                load.produce("warm-up", "warmup-1p", 1, 1024, "all", records / 2);
                load.produce("warm-up", "warmup-8p", 8, 1024, "all", records / 2);
                load.consume("warm-up", "warmup-1p", records / 2);
                out.add(load.produce("produce 1KiB acks=all 1p", "p1-all", 1, 1024, "all", records));
                out.add(load.produce("produce 1KiB acks=all 8p", "p8-all", 8, 1024, "all", records));
                load.consume("warm-up", "warmup-8p", records / 2);
                out.add(load.consume("consume 1KiB from earliest 1p", "p1-all", records));
                out.add(load.consume("consume 1KiB from earliest 8p", "p8-all", records));
                out.add(load.endToEnd());
            } finally {
                stop(broker);
                deleteTree(kafka ? work.resolve("kafka").resolve("data") : work.resolve("kop"),
                        path -> path.startsWith(work.resolve("kop").resolve("logs")));
            }
            return out;
        }
        try {
            // Memory first: a broker that has been up a while has filled its caches (KoP's recent batches,
            // a quarter of the 2 GiB direct memory, the ledger cache, the bookie's write cache) and reuses
            // that memory; a fresh one takes new pages from the kernel for its first ~600 MiB produced.
            load.produce("warm-up", "warmup-fill", 1, 1024, "1", FILL_RECORDS);
            // JIT, caches, connections: every produce and consume shape once, not reported, so neither
            // broker spends the measured runs compiling code that a broker running for days has compiled
            load.produce("warm-up", "warmup-1p", 1, 1024, "all", records / 2);
            load.produce("warm-up", "warmup-small", 1, 100, "all", records * 2);
            load.produce("warm-up", "warmup-8p", 8, 1024, "all", records / 2);
            load.consume("warm-up", "warmup-1p", records / 2);
            load.consume("warm-up", "warmup-8p", records / 2);
            out.add(load.produce("produce 1KiB acks=all 1p", "p1-all", 1, 1024, "all", records));
            if (!system.equals("kop-fs")) {
                out.add(load.produce("produce 1KiB acks=1 1p", "p1-one", 1, 1024, "1", records));
                out.add(load.produce("produce 100B acks=all 1p", "p1-small", 1, 100, "all", records * 4));
            }
            out.add(load.produce("produce 1KiB acks=all 8p", "p8-all", 8, 1024, "all", records));
            if (!system.equals("kop-fs")) {
                // The warm-up topic is older than the last 500 MiB produced, past KoP's recent-batches
                // cache: reading it compiles the storage read path before the consume that measures it.
                load.consume("warm-up", "warmup-1p", records / 2);
                out.add(load.consume("consume 1KiB from earliest 1p", "p1-all", records));
                out.add(load.consume("consume 1KiB from earliest 8p", "p8-all", records));
            }
            out.add(load.throttled());
            out.add(load.endToEnd());
            if (system.equals("kop")) {
                Load pulsar = new Load(run, "pulsar", broker, bs);
                out.add(pulsar.pulsarProduce("produce 1KiB acks=all 1p", "pulsar-p1", 1, 1024, records, -1));
                out.add(pulsar.pulsarProduce("produce 100B acks=all 1p", "pulsar-p1-small", 1, 100, records * 4, -1));
                out.add(pulsar.pulsarProduce("produce 1KiB acks=all 8p", "pulsar-p8", 8, 1024, records, -1));
                out.add(pulsar.pulsarConsume("consume 1KiB from earliest 1p", "pulsar-p1", 1024, records));
                out.add(pulsar.pulsarConsume("consume 1KiB from earliest 8p", "pulsar-p8", 1024, records));
                out.add(pulsar.pulsarProduce(THROTTLED, "pulsar-throttled", 1, 1024, 50_000, 5000));
            }
        } finally {
            stop(broker);
            // Deleting the files drops their pages from the page cache, so every broker starts with the
            // same free memory rather than reclaiming the previous one's gigabytes as it writes.
            deleteTree(kafka ? work.resolve("kafka").resolve("data") : work.resolve("kop"),
                    path -> path.startsWith(work.resolve("kop").resolve("logs")));
        }
        return out;
    }

    // ------------------------------------------------------------ brokers

    /** Apache Kafka; {@code sasl}: also a SASL_SSL listener (PLAIN) on 19094 with KoP's --secure certificate. */
    private Process startKafka(boolean sasl) throws Exception {
        Path dir = work.resolve("kafka");
        Files.createDirectories(dir);
        Path props = dir.resolve("server.properties");
        List<String> saslLines = new ArrayList<>();
        if (sasl) {
            Path certs = work.resolve("certs");
            run(List.of(java(), "-cp", kopCp, "io.kop.standalone.SecureSetup", certs.toString(), "127.0.0.1"), 120);
            Path secure = certs.resolve("secure");
            String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" "
                    + "password=\"admin-secret\"";
            saslLines.addAll(List.of("sasl.enabled.mechanisms=PLAIN",
                    "listener.name.sasl_ssl.plain.sasl.jaas.config=" + jaas + " user_admin=\"admin-secret\";",
                    "ssl.keystore.type=PEM", "ssl.keystore.location=" + secure.resolve("broker-keystore.pem")));
            Files.writeString(dir.resolve("client-sasl-ssl.properties"), String.join("\n",
                    "security.protocol=SASL_SSL", "sasl.mechanism=PLAIN", "sasl.jaas.config=" + jaas + ";",
                    "ssl.truststore.type=PEM", "ssl.truststore.location=" + secure.resolve("ca.pem"), ""));
        }
        String extraListener = sasl ? ",SASL_SSL://127.0.0.1:19094" : "";
        Files.writeString(props, String.join("\n",
                "process.roles=broker,controller", "node.id=1",
                "listeners=PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093" + extraListener,
                "advertised.listeners=PLAINTEXT://127.0.0.1:19092" + extraListener,
                "controller.listener.names=CONTROLLER", "controller.quorum.bootstrap.servers=127.0.0.1:19093",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL",
                String.join("\n", saslLines),
                "log.dirs=" + dir.resolve("data"), "num.partitions=1", "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1", "transaction.state.log.min.isr=1",
                "group.initial.rebalance.delay.ms=0", "") + "\n");
        run(List.of(java(), "-cp", toolsCp, "kafka.tools.StorageTool", "format", "-t",
                UUID.randomUUID().toString().replace("-", "").substring(0, 22), "-c", props.toString(), "--standalone"),
                120);
        Process p = spawn("kafka", List.of(java(), "-Xms" + heap, "-Xmx" + heap, "-XX:+AlwaysPreTouch",
                "-XX:-UseDynamicNumberOfCompilerThreads", "-cp", toolsCp,
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "kafka.Kafka", props.toString()));
        awaitPort(sasl ? 19094 : 19092, 120);
        return p;
    }

    /**
     * The KoP standalone with every topic in {@code entryFormat}, the bookie journal fsync on or off;
     * {@code secure}: {@code --secure} (SASL_PLAINTEXT on 29092, SASL_SSL on 29093).
     */
    private Process startKop(String entryFormat, boolean fsync, boolean secure) throws Exception {
        Path dir = work.resolve("kop");
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xms" + heap, "-Xmx" + heap, "-XX:+AlwaysPreTouch",
                "-XX:-UseDynamicNumberOfCompilerThreads", "-XX:MaxDirectMemorySize=2g", "@" + kopJvmArgs,
                "-Dkop.log.dir=" + dir.resolve("logs"), "-cp", kopCp, "io.kop.standalone.Main", "--nar", nar.toString(),
                "--data-dir", dir.toString(), "--wipe", "--kafka-port", "29092", "--pulsar-port", "26650",
                "--http-port", "28080", "--bookie-port", "23181", "--conf", "group.initial.rebalance.delay.ms=0",
                "--conf", "entryFormat=" + entryFormat));
        if (fsync) {
            cmd.add("--fsync");
        }
        if (secure) {
            cmd.addAll(List.of("--secure", "--kafka-ssl-port", "29093"));
        }
        Process p = spawn("kop", cmd);
        awaitPort(secure ? 29093 : 29092, 120);
        return p;
    }

    // ------------------------------------------------------------ workloads

    private static final String THROTTLED = "throttled 5000 rec/s 1KiB acks=all";
    /** 800 MiB of 1 KiB records: more than the memory KoP's caches and the bookie's write cache fill. */
    private static final int FILL_RECORDS = 800 * 1024;
    private static final Pattern PRODUCED = producerSummary("");
    // the same summary over the records after --warmup-records (ProducerPerformance prints both)
    private static final Pattern STEADY = producerSummary(" steady state");
    private static final Pattern PERCENTILES = Pattern.compile("Percentiles: 50th = ([\\d.]+), 99th = ([\\d.]+)");
    // pulsar-perf's aggregated rates count from before its clients connect and, for the producer, up to
    // one stats interval of idling at the end; the rate here is its count over the time from the clients'
    // start to the producer's close (every send acknowledged) or to the consumer's DONE line.
    private static final Pattern PULSAR_TOTAL = Pattern.compile(
            "Aggregated throughput stats --- (\\d+) records (?:sent|received)");
    private static final Pattern PULSAR_LATENCY = Pattern.compile(
            "Aggregated latency stats --- Latency: mean:\\s+[\\d.]+ ms - med:\\s+([\\d.]+) - 95pct:\\s+[\\d.]+ - 99pct:\\s+([\\d.]+)");
    private static final Pattern LOG_TIME = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d,\\d{3})");

    /** The workloads of one system in one run, measuring the broker process's CPU and memory. */
    private final class Load {
        private final int run;
        private final String system;
        private final Process broker;
        private final String bs;
        private final List<String> config; // --command-config FILE for a secure listener, else nothing

        Load(int run, String system, Process broker, String bs) {
            this(run, system, broker, bs, null);
        }

        Load(int run, String system, Process broker, String bs, Path clientConfig) {
            this.run = run;
            this.system = system;
            this.broker = broker;
            this.bs = bs;
            this.config = clientConfig == null ? List.of() : List.of("--command-config", clientConfig.toString());
        }

        private List<String> tool(List<String> command) {
            List<String> out = new ArrayList<>(command);
            out.addAll(config);
            return out;
        }

        Result produce(String name, String topic, int partitions, int size, String acks, int n) throws Exception {
            createTopic(topic, partitions);
            Cpu cpu0 = ProcStats.cpu(broker);
            String out = Bench.this.run(tool(List.of(java(), "-Xmx1g", "-cp", toolsCp,
                    "org.apache.kafka.tools.ProducerPerformance", "--topic", topic, "--num-records", Integer.toString(n),
                    "--record-size", Integer.toString(size), "--throughput", "-1", "--producer-props",
                    "bootstrap.servers=" + bs, "acks=" + acks, "linger.ms=5", "batch.size=131072")), 900);
            Cpu cpu = ProcStats.cpu(broker).minus(cpu0);
            Matcher m = last(PRODUCED, out, name);
            double mib = (double) n * size / (1024 * 1024);
            return new Result(run, name, system, Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)),
                    Double.parseDouble(m.group(4)), Double.parseDouble(m.group(5)), cpu.totalMs() / mib,
                    cpu.withoutJitMs() / mib, ProcStats.peakRssMib(broker));
        }

        Result consume(String name, String topic, int n) throws Exception {
            Cpu cpu0 = ProcStats.cpu(broker);
            String out = Bench.this.run(tool(List.of(java(), "-Xmx1g", "-cp", toolsCp,
                    "org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server", bs, "--topic", topic,
                    "--messages", Integer.toString(n), "--timeout", "60000", "--group", "bench-" + UUID.randomUUID())),
                    900);
            Cpu cpu = ProcStats.cpu(broker).minus(cpu0);
            // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
            // rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec: the fetch.* figures leave out the join
            String line = out.lines().filter(l -> l.matches("^\\d{4}-.*")).reduce((x, y) -> y)
                    .orElseThrow(() -> new IllegalStateException(name + ": no result in\n" + out));
            String[] f = line.split(",\\s*");
            double mib = Double.parseDouble(f[2]);
            return new Result(run, name, system, Double.parseDouble(f[9]), Double.parseDouble(f[8]), Double.NaN,
                    Double.NaN, cpu.totalMs() / Math.max(mib, 1e-9), cpu.withoutJitMs() / Math.max(mib, 1e-9),
                    ProcStats.peakRssMib(broker));
        }

        Result throttled() throws Exception {
            createTopic("throttled", 1);
            Cpu cpu0 = ProcStats.cpu(broker);
            int n = 50_000;
            // The latencies leave out the first second: records sent while the client starts wait for it
            // (up to 0.4 s on both brokers), and 1 % of them alone would be the run's p99.
            String out = Bench.this.run(List.of(java(), "-Xmx1g", "-cp", toolsCp,
                    "org.apache.kafka.tools.ProducerPerformance", "--topic", "throttled", "--num-records",
                    Integer.toString(n), "--warmup-records", "5000", "--record-size", "1024", "--throughput", "5000",
                    "--producer-props", "bootstrap.servers=" + bs, "acks=all"), 600);
            Cpu cpu = ProcStats.cpu(broker).minus(cpu0);
            Matcher m = last(STEADY, out, THROTTLED);
            return new Result(run, THROTTLED, system, Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3)),
                    Double.parseDouble(m.group(4)), Double.parseDouble(m.group(5)), cpu.totalMs() / (n / 1024.0),
                    cpu.withoutJitMs() / (n / 1024.0),
                    ProcStats.peakRssMib(broker));
        }

        Result endToEnd() throws Exception {
            String name = "end-to-end 1 record at a time 1KiB";
            createTopic("e2e", 1);
            int n = 5_000;
            Cpu cpu0 = ProcStats.cpu(broker);
            long t0 = System.nanoTime();
            String out = Bench.this.run(tool(List.of(java(), "-Xmx1g", "-cp", toolsCp,
                    "org.apache.kafka.tools.EndToEndLatency", "--bootstrap-server", bs, "--topic", "e2e",
                    "--num-records", Integer.toString(n), "--producer-acks", "all", "--record-size", "1024")), 600);
            double secs = (System.nanoTime() - t0) / 1e9;
            Cpu cpu = ProcStats.cpu(broker).minus(cpu0);
            Matcher m = last(PERCENTILES, out, name);
            return new Result(run, name, system, n / secs, n / 1024.0 / secs, Double.parseDouble(m.group(1)),
                    Double.parseDouble(m.group(2)), cpu.totalMs() / (n / 1024.0), cpu.withoutJitMs() / (n / 1024.0),
                    ProcStats.peakRssMib(broker));
        }

        /**
         * pulsar-perf produce with the Kafka producer's batching (5 ms, 128 KiB); Pulsar producers always
         * wait for the bookie quorum, which is acks=all. {@code rate} -1: as fast as it goes.
         */
        Result pulsarProduce(String name, String topic, int partitions, int size, int n, int rate) throws Exception {
            Cpu cpu0 = ProcStats.cpu(broker);
            String out = pulsarPerf(List.of("produce", "-i", "1", "-u", "pulsar://127.0.0.1:26650",
                    "-au", "http://127.0.0.1:28080",
                    "-np", Integer.toString(partitions), "-r", Integer.toString(rate > 0 ? rate : 10_000_000),
                    "-s", Integer.toString(size), "-m", Integer.toString(n), "-b", "5", "-bb", "131072",
                    "-bm", "100000", "-o", "50000", "-p", "50000", "persistent://public/default/" + topic));
            Cpu cpu = ProcStats.cpu(broker).minus(cpu0);
            Matcher latency = last(PULSAR_LATENCY, out, name);
            long count = Long.parseLong(last(PULSAR_TOTAL, out, name).group(1));
            double msgs = pulsarRate(out, name, count, "Created 1 producers", "Closed Producer");
            double mib = count * (double) size / (1024 * 1024);
            return new Result(run, name, system, msgs, msgs * size / (1024 * 1024), Double.parseDouble(latency.group(1)),
                    Double.parseDouble(latency.group(2)), cpu.totalMs() / mib,
                    cpu.withoutJitMs() / mib, ProcStats.peakRssMib(broker));
        }

        Result pulsarConsume(String name, String topic, int size, int n) throws Exception {
            Cpu cpu0 = ProcStats.cpu(broker);
            String out = pulsarPerf(List.of("consume", "-i", "1", "-u", "pulsar://127.0.0.1:26650",
                    "-m", Integer.toString(n),
                    "-sp", "Earliest", "-ss", "bench-" + UUID.randomUUID(), "-q", "5000",
                    "persistent://public/default/" + topic));
            Cpu cpu = ProcStats.cpu(broker).minus(cpu0);
            long count = Long.parseLong(last(PULSAR_TOTAL, out, name).group(1));
            double msgs = pulsarRate(out, name, count, "Start receiving from", "DONE");
            double mib = count * (double) size / (1024 * 1024);
            return new Result(run, name, system, msgs, msgs * size / (1024 * 1024), Double.NaN, Double.NaN,
                    cpu.totalMs() / mib, cpu.withoutJitMs() / mib,
                    ProcStats.peakRssMib(broker));
        }

        /** Messages per second between the first line containing {@code from} and the last containing {@code to}. */
        private double pulsarRate(String out, String name, long count, String from, String to) {
            LocalDateTime start = null;
            LocalDateTime end = null;
            DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss,SSS");
            for (String line : out.split("\n")) {
                Matcher t = LOG_TIME.matcher(line);
                if (!t.find()) {
                    continue;
                }
                if (start == null && line.contains(from)) {
                    start = LocalDateTime.parse(t.group(1), f);
                }
                if (start != null && line.contains(to)) {
                    end = LocalDateTime.parse(t.group(1), f);
                }
            }
            if (start == null || end == null || !end.isAfter(start)) {
                throw new IllegalStateException(name + ": no '" + from + "' .. '" + to + "' lines in output:\n" + out);
            }
            return count / (Duration.between(start, end).toMillis() / 1000.0);
        }

        private String pulsarPerf(List<String> args) throws Exception {
            Path conf = work.resolve("client.conf");
            if (!Files.exists(conf)) {
                Files.writeString(conf, "");
            }
            List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx1g", "-cp", pulsarPerfCp,
                    "org.apache.pulsar.testclient.PulsarPerfTestTool", conf.toString()));
            cmd.addAll(args);
            return Bench.this.run(cmd, 900);
        }

        private void createTopic(String topic, int partitions) throws Exception {
            Bench.this.run(tool(List.of(java(), "-Xmx256m", "-cp", toolsCp, "org.apache.kafka.tools.TopicCommand",
                    "--bootstrap-server", bs, "--create", "--if-not-exists", "--topic", topic, "--partitions",
                    Integer.toString(partitions))), 120);
        }
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

    /** ProducerPerformance's final line: count, records/s, MB/s, p50 and p99 (groups 1-5). */
    private static Pattern producerSummary(String qualifier) {
        return Pattern.compile("(\\d+)" + qualifier + " records sent, ([\\d.]+) records/sec \\(([\\d.]+) MB/sec\\), "
                + "[\\d.]+ ms avg latency, [\\d.]+ ms max latency, (\\d+) ms 50th, \\d+ ms 95th, (\\d+) ms 99th");
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
            try {
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        started.clear();
    }

    /** Deletes what the brokers stored (gigabytes a run); after a failure their logs stay, and it says where. */
    private synchronized void cleanUp(boolean keepLogs) {
        if (cleaned) {
            return;
        }
        cleaned = true;
        Path kopLogs = work.resolve("kop").resolve("logs");
        deleteTree(work, path -> keepLogs && (path.toString().endsWith(".out") || path.startsWith(kopLogs)));
        if (keepLogs && Files.exists(work)) {
            System.err.println("broker and tool logs kept in " + work);
        }
    }

    /** Deletes {@code root} and what is under it, except the paths {@code keep} accepts (and their parents). */
    private static void deleteTree(Path root, Predicate<Path> keep) {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                if (keep.test(path)) {
                    continue;
                }
                try {
                    Files.delete(path);
                } catch (DirectoryNotEmptyException kept) {
                    // holds a kept path
                }
            }
        } catch (IOException e) {
            System.err.println("could not delete " + root + ": " + e);
        }
    }
}
