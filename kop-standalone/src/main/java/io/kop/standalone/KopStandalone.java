package io.kop.standalone;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.pulsar.PulsarStandaloneStarter;

/**
 * Pulsar standalone (broker, bookie and RocksDB metadata store in this JVM) with the KoP NAR loaded the
 * way an operator loads it into any broker: from {@code protocolHandlerDirectory}.
 */
public final class KopStandalone implements AutoCloseable {

    /** Where the standalone keeps its data and which ports it uses. */
    public record Options(Path dataDir, Path nar, String host, int kafkaPort, int pulsarPort, int httpPort,
                          int bookiePort, boolean wipe, boolean journalSync, Map<String, String> extraConfig) {
        public Options {
            extraConfig = Map.copyOf(extraConfig);
        }

        public static Options defaults(Path dataDir, Path nar) {
            return new Options(dataDir, nar, "127.0.0.1", 9092, 6650, 8080, 3181, false, false, Map.of());
        }
    }

    private final Options options;
    private final PulsarStandaloneStarter starter;
    private final JournalPageDropper journalPages;

    private KopStandalone(Options options, PulsarStandaloneStarter starter, JournalPageDropper journalPages) {
        this.options = options;
        this.starter = starter;
        this.journalPages = journalPages;
    }

    public static KopStandalone start(Options o) throws Exception {
        Path data = o.dataDir().toAbsolutePath();
        if (o.wipe()) {
            deleteRecursively(data);
        }
        Path protocols = data.resolve("protocols");
        Files.createDirectories(protocols);
        try (Stream<Path> old = Files.list(protocols)) {
            for (Path p : old.toList()) {
                Files.delete(p);
            }
        }
        Files.copy(o.nar(), protocols.resolve("kop.nar"), StandardCopyOption.REPLACE_EXISTING);
        Path conf = data.resolve("standalone.conf");
        writeConfig(conf, brokerConfig(o, data));
        List<String> args = new ArrayList<>(List.of(
                "--config", conf.toString(),
                "--no-functions-worker", "--no-stream-storage",
                "--metadata-dir", data.resolve("metadata").toString(),
                "--bookkeeper-dir", data.resolve("bookkeeper").toString(),
                "--zookeeper-dir", data.resolve("zookeeper-unused").toString(),
                "--bookkeeper-port", Integer.toString(o.bookiePort()),
                "--advertised-address", o.host()));
        PulsarStandaloneStarter starter = new PulsarStandaloneStarter(args.toArray(new String[0]));
        starter.start();
        return new KopStandalone(o, starter, JournalPageDropper.start(data.resolve("bookkeeper").resolve("current")));
    }

    /** The broker.conf lines of the standalone; the same keys an operator puts in a cluster's broker.conf. */
    static Map<String, String> brokerConfig(Options o, Path data) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("clusterName", "standalone");
        c.put("advertisedAddress", o.host());
        c.put("bindAddress", o.host());
        c.put("brokerServicePort", Integer.toString(o.pulsarPort()));
        c.put("webServicePort", Integer.toString(o.httpPort()));
        // KoP
        c.put("messagingProtocols", "kafka");
        c.put("protocolHandlerDirectory", data.resolve("protocols").toString());
        c.put("narExtractionDirectory", data.resolve("nar").toString());
        c.put("kafkaListeners", "PLAINTEXT://" + o.host() + ":" + o.kafkaPort());
        c.put("brokerEntryMetadataInterceptors", "org.apache.pulsar.common.intercept.AppendIndexMetadataInterceptor");
        c.put("exposingBrokerEntryMetadataToClientEnabled", "true");
        // Pulsar's default. KoP creates Kafka topics partitioned anyway; "partitioned" here would make
        // each namespace's __change_events partitioned, and its reader starts a 1 ms timer that never stops.
        c.put("allowAutoTopicCreationType", "non-partitioned");
        c.put("defaultNumPartitions", "1");
        c.put("brokerDeleteInactiveTopicsEnabled", "false");
        c.put("defaultRetentionTimeInMinutes", "10080");
        c.put("defaultRetentionSizeInMB", "-1");
        // one bookie
        c.put("managedLedgerDefaultEnsembleSize", "1");
        c.put("managedLedgerDefaultWriteQuorum", "1");
        c.put("managedLedgerDefaultAckQuorum", "1");
        c.put("ledgerStorageClass", "org.apache.bookkeeper.bookie.storage.ldb.DbLedgerStorage");
        c.put("journalSyncData", Boolean.toString(o.journalSync()));
        // Write the journal as soon as nothing else is queued instead of waiting up to 2 ms for a group:
        // a lone produce is acknowledged in about 1 ms instead of 4 (end-to-end p50 measured 4 -> 1 ms).
        c.put("journalFlushWhenQueueEmpty", "true");
        // As Pulsar's conf/bookkeeper.conf has it: adds are handled on the bookie's network threads.
        // BookKeeper's own default (one add worker) puts one more thread hop on every write.
        c.put("numAddWorkerThreads", "0");
        if (DirectIo.supported(data)) {
            // Entry logs bypass the page cache: the journal already writes every entry there once, and
            // the bookie keeps its own read-ahead cache. On this project's VMs, writing into the page
            // cache cost up to 3 ms of system CPU per MiB (BENCHMARKS.md), paid twice without this.
            c.put("dbStorage_directIOEntryLogger", "true");
            c.put("dbStorage_directIOEntryLoggerTotalWriteBufferSizeMB", "64");
            c.put("dbStorage_directIOEntryLoggerTotalReadBufferSizeMB", "64");
        }
        c.put("dbStorage_writeCacheMaxSizeMb", "64");
        c.put("dbStorage_readAheadCacheMaxSizeMb", "64");
        // The bookie reads entry logs through a buffer of this size (BookKeeper's default is 512 bytes):
        // with Kafka batches of 16 KiB-1 MiB per entry, a small one costs a system call per 512 bytes.
        c.put("readBufferSizeBytes", "1048576");
        c.put("managedLedgerCacheSizeMB", "128");
        // The cache's age-based eviction wakes every 10 ms by default; 100 ms keeps the 1 s age limit
        // within a tenth of a second and the idle broker quieter.
        c.put("managedLedgerCacheEvictionIntervalMs", "100");
        c.put("allowLoopback", "true");
        c.put("listeningInterface", "lo");
        c.put("functionsWorkerEnabled", "false");
        c.putAll(o.extraConfig());
        return c;
    }

    private static void writeConfig(Path file, Map<String, String> config) throws IOException {
        try (Writer w = Files.newBufferedWriter(file)) {
            w.write("# Generated by KoP standalone at every start; edit with --conf key=value instead.\n");
            for (Map.Entry<String, String> e : config.entrySet()) {
                w.write(e.getKey() + "=" + e.getValue() + "\n");
            }
        }
    }

    /** Deletes {@code dir} and all it holds (the data directory, with {@code --wipe}). */
    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.delete(p);
            }
        }
    }

    public Options options() {
        return options;
    }

    public String kafkaBootstrap() {
        return options.host() + ":" + options.kafkaPort();
    }

    public String pulsarUrl() {
        return "pulsar://" + options.host() + ":" + options.pulsarPort();
    }

    public String httpUrl() {
        return "http://" + options.host() + ":" + options.httpPort();
    }

    @Override
    public void close() {
        if (journalPages != null) {
            journalPages.close();
        }
        starter.close();
    }
}
