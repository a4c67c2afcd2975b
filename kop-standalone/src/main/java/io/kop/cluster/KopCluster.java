package io.kop.cluster;

import java.io.IOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real Pulsar cluster on this machine, each node its own JVM: one ZooKeeper (metadata and
 * configuration store), bookies and brokers, every broker loading the KoP NAR from its
 * {@code protocolHandlerDirectory} as an operator's broker does. Started with Pulsar's and BookKeeper's
 * own main classes and config keys; nothing of KoP runs in the launcher.
 */
public final class KopCluster implements AutoCloseable {
    public static final String CLUSTER_NAME = "kop-cluster";
    private static final String METADATA_DRIVERS = "-Dbookkeeper.metadata.bookie.drivers="
            + "org.apache.pulsar.metadata.bookkeeper.PulsarMetadataBookieDriver";
    private static final String CLIENT_DRIVERS = "-Dbookkeeper.metadata.client.drivers="
            + "org.apache.pulsar.metadata.bookkeeper.PulsarMetadataClientDriver";

    /** A broker's ports; {@code kafkaExternal} > 0 adds a second, EXTERNAL listener. */
    public record BrokerPorts(int kafka, int pulsar, int http, int kafkaExternal) {
    }

    /**
     * Where the cluster lives and what it runs. {@code externalHost} is the address the EXTERNAL listener
     * advertises (brokers with {@code kafkaExternal} ports only).
     */
    public record Options(Path dataDir, Path nar, String classpath, Path jvmArgsFile, String host,
                          String externalHost, int zkPort, List<Integer> bookiePorts, List<BrokerPorts> brokers,
                          boolean wipe, Map<String, String> brokerConfig) {
        public Options {
            bookiePorts = List.copyOf(bookiePorts);
            brokers = List.copyOf(brokers);
            brokerConfig = Map.copyOf(brokerConfig);
            if (bookiePorts.size() < 2) {
                throw new IllegalArgumentException("a cluster needs at least 2 bookies (ensemble and quorums of 2)");
            }
            if (brokers.isEmpty()) {
                throw new IllegalArgumentException("a cluster needs at least 1 broker");
            }
        }

        /** The usual ports: ZooKeeper 2181, bookies 3181+i, broker i Kafka 9092+i, Pulsar 6650+i, HTTP 8080+i. */
        public static Options defaults(Path dataDir, Path nar, String classpath, Path jvmArgsFile, int brokers,
                                       int bookies, boolean wipe) {
            List<Integer> bk = new ArrayList<>();
            for (int i = 0; i < bookies; i++) {
                bk.add(3181 + i);
            }
            List<BrokerPorts> b = new ArrayList<>();
            for (int i = 0; i < brokers; i++) {
                b.add(new BrokerPorts(9092 + i, 6650 + i, 8080 + i, -1));
            }
            return new Options(dataDir, nar, classpath, jvmArgsFile, "127.0.0.1", "localhost", 2181, bk, b, wipe,
                    Map.of());
        }
    }

    private final Options options;
    private final Path data;
    private final NodeProcess zookeeper;
    private final List<NodeProcess> bookies = new ArrayList<>();
    private final List<NodeProcess> brokers = new ArrayList<>();

    private KopCluster(Options options) throws IOException {
        this.options = options;
        this.data = options.dataDir().toAbsolutePath();
        this.zookeeper = node("zookeeper", List.of("-Xmx256m", "-Dzookeeper.4lw.commands.whitelist=*"),
                "org.apache.zookeeper.server.ZooKeeperServerMain", List.of(data.resolve("zookeeper/zoo.cfg").toString()));
        for (int i = 0; i < options.bookiePorts().size(); i++) {
            Path conf = data.resolve("bookie-" + i).resolve("bookkeeper.conf");
            bookies.add(node("bookie-" + i, List.of("-Xmx512m", "-XX:MaxDirectMemorySize=512m", METADATA_DRIVERS,
                    CLIENT_DRIVERS), "org.apache.bookkeeper.server.Main", List.of("--conf", conf.toString())));
        }
        for (int i = 0; i < options.brokers().size(); i++) {
            Path conf = data.resolve("broker-" + i).resolve("broker.conf");
            brokers.add(node("broker-" + i, List.of("-Xmx1g", "-XX:MaxDirectMemorySize=1g", CLIENT_DRIVERS),
                    "org.apache.pulsar.PulsarBrokerStarter", List.of("--broker-conf", conf.toString())));
        }
    }

    private NodeProcess node(String name, List<String> jvm, String main, List<String> args) {
        List<String> all = new ArrayList<>();
        if (options.jvmArgsFile() != null) {
            all.add("@" + options.jvmArgsFile().toAbsolutePath());
        }
        all.addAll(jvm);
        return new NodeProcess(name, data.resolve(name), options.classpath(), all, main, args);
    }

    /** Starts every node and returns once every broker answers on its HTTP and Kafka ports. */
    public static KopCluster start(Options options) throws Exception {
        if (options.wipe()) {
            deleteRecursively(options.dataDir().toAbsolutePath());
        }
        KopCluster cluster = new KopCluster(options);
        try {
            cluster.startAll();
        } catch (Exception | Error e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    private void startAll() throws Exception {
        Files.createDirectories(data.resolve("protocols"));
        Files.copy(options.nar(), data.resolve("protocols").resolve("kop.nar"), StandardCopyOption.REPLACE_EXISTING);
        writeConfigs();
        zookeeper.start();
        waitForPort(zookeeper, options.zkPort(), Duration.ofSeconds(60));
        initializeMetadata();
        for (NodeProcess b : bookies) {
            b.start();
        }
        for (int i = 0; i < bookies.size(); i++) {
            waitForPort(bookies.get(i), options.bookiePorts().get(i), Duration.ofSeconds(120));
        }
        for (NodeProcess b : brokers) {
            b.start();
        }
        for (int i = 0; i < brokers.size(); i++) {
            awaitBroker(i, Duration.ofSeconds(180));
        }
    }

    /** Cluster, tenant {@code public} and namespace {@code public/default}: once per data directory. */
    private void initializeMetadata() throws Exception {
        Path done = data.resolve("metadata-initialized");
        if (Files.exists(done)) {
            return;
        }
        String zk = "zk:" + options.host() + ":" + options.zkPort();
        NodeProcess setup = node("metadata-setup", List.of("-Xmx256m", CLIENT_DRIVERS),
                "org.apache.pulsar.PulsarClusterMetadataSetup", List.of(
                        "--cluster", CLUSTER_NAME, "--metadata-store", zk, "--configuration-metadata-store", zk,
                        "--web-service-url", httpUrl(0), "--broker-service-url", pulsarUrl(0)));
        setup.start();
        int code = setup.waitFor(180);
        if (code != 0) {
            throw new IllegalStateException("Pulsar's cluster metadata setup failed (exit " + code + "); see "
                    + setup.dir().resolve("console.log"));
        }
        Files.writeString(done, CLUSTER_NAME + "\n");
    }

    private void writeConfigs() throws IOException {
        Map<String, String> zk = new LinkedHashMap<>();
        zk.put("tickTime", "2000");
        zk.put("initLimit", "10");
        zk.put("syncLimit", "5");
        zk.put("dataDir", data.resolve("zookeeper/data").toString());
        zk.put("clientPort", Integer.toString(options.zkPort()));
        zk.put("clientPortAddress", options.host());
        zk.put("admin.enableServer", "false");
        zk.put("maxClientCnxns", "0");
        write(data.resolve("zookeeper/zoo.cfg"), zk);
        for (int i = 0; i < bookies.size(); i++) {
            write(data.resolve("bookie-" + i).resolve("bookkeeper.conf"), bookieConfig(i));
        }
        for (int i = 0; i < brokers.size(); i++) {
            write(data.resolve("broker-" + i).resolve("broker.conf"), brokerConfig(i));
        }
    }

    /** A bookie as Pulsar's conf/bookkeeper.conf sets one up, with a durable journal. */
    Map<String, String> bookieConfig(int i) {
        Path dir = data.resolve("bookie-" + i);
        Map<String, String> c = new LinkedHashMap<>();
        c.put("bookiePort", Integer.toString(options.bookiePorts().get(i)));
        c.put("advertisedAddress", options.host());
        c.put("allowLoopback", "true");
        c.put("metadataServiceUri", "zk+hierarchical://" + options.host() + ":" + options.zkPort() + "/ledgers");
        c.put("journalDirectories", dir.resolve("journal").toString());
        c.put("ledgerDirectories", dir.resolve("ledgers").toString());
        c.put("ledgerStorageClass", "org.apache.bookkeeper.bookie.storage.ldb.DbLedgerStorage");
        c.put("journalSyncData", "true");
        c.put("journalFlushWhenQueueEmpty", "true");
        c.put("numAddWorkerThreads", "0");
        c.put("dbStorage_writeCacheMaxSizeMb", "32");
        c.put("dbStorage_readAheadCacheMaxSizeMb", "32");
        c.put("dbStorage_rocksDB_blockCacheSize", Integer.toString(16 << 20));
        c.put("readBufferSizeBytes", "1048576");
        c.put("logSizeLimit", Integer.toString(256 << 20));
        c.put("httpServerEnabled", "false");
        c.put("diskUsageThreshold", "0.99");
        c.put("diskUsageWarnThreshold", "0.98");
        c.put("zkTimeout", "10000");
        return c;
    }

    /** A stock broker's settings for this cluster, plus the keys that load KoP. */
    Map<String, String> brokerConfig(int i) {
        BrokerPorts p = options.brokers().get(i);
        Path dir = data.resolve("broker-" + i);
        String zk = "zk:" + options.host() + ":" + options.zkPort();
        Map<String, String> c = new LinkedHashMap<>();
        c.put("clusterName", CLUSTER_NAME);
        c.put("metadataStoreUrl", zk);
        c.put("configurationMetadataStoreUrl", zk);
        // A dead broker's bundles and registration are ephemeral nodes: they go, and others take over,
        // when its session expires. Pulsar's default is 30 s; a test cluster moves on faster.
        c.put("metadataStoreSessionTimeoutMillis", "6000");
        c.put("advertisedAddress", options.host());
        c.put("bindAddress", options.host());
        c.put("brokerServicePort", Integer.toString(p.pulsar()));
        c.put("webServicePort", Integer.toString(p.http()));
        c.put("managedLedgerDefaultEnsembleSize", "2");
        c.put("managedLedgerDefaultWriteQuorum", "2");
        c.put("managedLedgerDefaultAckQuorum", "2");
        c.put("managedLedgerCacheSizeMB", "64");
        c.put("functionsWorkerEnabled", "false");
        c.put("brokerDeleteInactiveTopicsEnabled", "false");
        c.put("allowAutoTopicCreationType", "non-partitioned");
        c.put("defaultNumPartitions", "1");
        // KoP
        c.put("messagingProtocols", "kafka");
        c.put("protocolHandlerDirectory", data.resolve("protocols").toString());
        c.put("narExtractionDirectory", dir.resolve("nar").toString());
        c.put("brokerEntryMetadataInterceptors", "org.apache.pulsar.common.intercept.AppendIndexMetadataInterceptor");
        c.put("exposingBrokerEntryMetadataToClientEnabled", "true");
        if (p.kafkaExternal() > 0) {
            c.put("kafkaListeners", "INTERNAL://" + options.host() + ":" + p.kafka() + ",EXTERNAL://" + options.host()
                    + ":" + p.kafkaExternal());
            c.put("kafkaAdvertisedListeners", "INTERNAL://" + options.host() + ":" + p.kafka() + ",EXTERNAL://"
                    + options.externalHost() + ":" + p.kafkaExternal());
            c.put("kafkaProtocolMap", "INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT");
        } else {
            c.put("kafkaListeners", "PLAINTEXT://" + options.host() + ":" + p.kafka());
        }
        c.putAll(options.brokerConfig());
        return c;
    }

    private static void write(Path file, Map<String, String> config) throws IOException {
        Files.createDirectories(file.getParent());
        try (Writer w = Files.newBufferedWriter(file)) {
            w.write("# Generated by KoP's cluster launcher at every start.\n");
            for (Map.Entry<String, String> e : config.entrySet()) {
                w.write(e.getKey() + "=" + e.getValue() + "\n");
            }
        }
    }

    private void awaitBroker(int i, Duration timeout) throws Exception {
        NodeProcess b = brokers.get(i);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create(httpUrl(i) + "/admin/v2/brokers/ready"))
                .timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            checkAlive(b);
            try {
                HttpResponse<String> r = http.send(ready, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200 && portOpen(options.brokers().get(i).kafka())) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(b.name() + " not ready within " + timeout.toSeconds() + " s; see "
                        + b.dir().resolve("logs/kop.log"));
            }
            Thread.sleep(250);
        }
    }

    private void waitForPort(NodeProcess node, int port, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!portOpen(port)) {
            checkAlive(node);
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(node.name() + " not listening on " + port + " within "
                        + timeout.toSeconds() + " s; see " + node.dir().resolve("console.log"));
            }
            Thread.sleep(200);
        }
    }

    private static void checkAlive(NodeProcess node) {
        if (!node.isAlive()) {
            throw new IllegalStateException(node.name() + " exited with code " + node.exitCode() + "; see "
                    + node.dir().resolve("console.log") + " and " + node.dir().resolve("logs/kop.log"));
        }
    }

    private boolean portOpen(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(options.host(), port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    // ---- addresses and faults, for the launcher's ready line and the cluster tests

    public Options options() {
        return options;
    }

    public int brokerCount() {
        return brokers.size();
    }

    public String kafkaBootstrap(int broker) {
        return options.host() + ":" + options.brokers().get(broker).kafka();
    }

    /** The EXTERNAL listener's address as advertised ({@code externalHost}). */
    public String kafkaExternalBootstrap(int broker) {
        return options.externalHost() + ":" + options.brokers().get(broker).kafkaExternal();
    }

    /** Every running broker's Kafka address, comma-separated. */
    public String kafkaBootstrapAll() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < brokers.size(); i++) {
            if (brokers.get(i).isAlive()) {
                out.add(kafkaBootstrap(i));
            }
        }
        return String.join(",", out);
    }

    public String pulsarUrl(int broker) {
        return "pulsar://" + options.host() + ":" + options.brokers().get(broker).pulsar();
    }

    public String httpUrl(int broker) {
        return "http://" + options.host() + ":" + options.brokers().get(broker).http();
    }

    public String metadataStoreUrl() {
        return "zk:" + options.host() + ":" + options.zkPort();
    }

    public boolean brokerAlive(int broker) {
        return brokers.get(broker).isAlive();
    }

    /** kill -9 of one broker: no shutdown, its ZooKeeper session expires after the session timeout. */
    public void killBroker(int broker) {
        brokers.get(broker).kill();
    }

    /** A clean stop of one broker (SIGTERM: Pulsar unloads its bundles first). */
    public void stopBroker(int broker) {
        brokers.get(broker).stop(60);
    }

    /** Starts a stopped or killed broker again on its ports and data, and waits until it is ready. */
    public void startBroker(int broker) throws Exception {
        brokers.get(broker).start();
        awaitBroker(broker, Duration.ofSeconds(180));
    }

    /** One line with every broker's Kafka, Pulsar and HTTP address. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < brokers.size(); i++) {
            parts.add("broker-" + i + " Kafka " + kafkaBootstrap(i) + " Pulsar " + pulsarUrl(i) + " HTTP "
                    + httpUrl(i));
        }
        return parts.stream().collect(Collectors.joining(" | ")) + " | ZooKeeper " + options.host() + ":"
                + options.zkPort() + " | " + bookies.size() + " bookies";
    }

    /** Brokers first (they unload their bundles), then bookies, then ZooKeeper. */
    @Override
    public void close() {
        brokers.parallelStream().forEach(b -> b.stop(60));
        bookies.parallelStream().forEach(b -> b.stop(30));
        zookeeper.stop(15);
    }

    static void deleteRecursively(Path dir) throws IOException {
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
