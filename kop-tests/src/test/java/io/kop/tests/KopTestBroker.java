package io.kop.tests;

import io.kop.standalone.KopStandalone;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.api.PulsarClient;

/**
 * One real Pulsar standalone with the real KoP NAR per test JVM, shared by all test classes (each test
 * uses its own topics). Started on first use on free ports; {@link #restart()} keeps the data.
 */
public final class KopTestBroker {
    private static KopTestBroker instance;

    private final KopStandalone.Options options;
    private KopStandalone standalone;

    private KopTestBroker(KopStandalone.Options options) throws Exception {
        this.options = options;
        this.standalone = KopStandalone.start(options);
    }

    public static synchronized KopTestBroker get() {
        if (instance == null) {
            NettyLeaks.install();
            try {
                // Under target/, wiped at every start: a shutdown hook could not be relied on to delete it
                // (at the end of a full run the test JVM does not get through its hooks).
                Path dir = Path.of(System.getProperty("kop.test.data.dir", "target/test-broker"));
                KopStandalone.Options o = new KopStandalone.Options(dir, findNar(), "127.0.0.1", freePort(),
                        freePort(), freePort(), freePort(), true, false,
                        brokerSettings());
                instance = new KopTestBroker(o);
            } catch (Exception e) {
                throw new IllegalStateException("could not start the test broker", e);
            }
        }
        return instance;
    }

    private static Map<String, String> brokerSettings() {
        Map<String, String> s = new java.util.HashMap<>();
        s.put("managedLedgerCacheSizeMB", "32");
        s.put("dbStorage_writeCacheMaxSizeMb", "16");
        s.put("dbStorage_readAheadCacheMaxSizeMb", "16");
        s.put("defaultNumPartitions", "1");
        // entry logs of 64 MiB: the direct-I/O entry logger preallocates each one whole
        s.put("logSizeLimit", Integer.toString(64 << 20));
        // compact the offsets topic often, so every group test runs across compactions
        s.put("offsetsTopicCompactionRecords", "20");
        // compacted topics are compacted within a second or two
        s.put("kafkaLogCleanerBackoffMs", "1000");
        // hanging transactions are aborted within a second of their timeout
        s.put("kafkaTransactionAbortTimedOutIntervalMs", "500");
        // transactional ids unused for 15 s are forgotten (Kafka's default: 7 days); tests keep theirs busier
        s.put("kafkaTransactionalIdExpirationMs", "15000");
        // Pulsar computes topic rates this often (every 60 s, first after 60 s, by default)
        s.put("statsUpdateFrequencyInSecs", "5");
        s.put("statsUpdateInitialDelayInSecs", "5");
        return s;
    }

    /** The NAR the build just packaged: tests load exactly what operators deploy. */
    static Path findNar() throws IOException {
        Path dir = Path.of(System.getProperty("kop.nar.dir", "../kop-handler/target"));
        try (DirectoryStream<Path> nars = Files.newDirectoryStream(dir, "kop-handler-*.nar")) {
            for (Path p : nars) {
                return p;
            }
        }
        throw new IllegalStateException("no kop-handler NAR in " + dir.toAbsolutePath() + ": run 'mvn verify'");
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Stops broker and bookie and starts them again on the same data and ports. */
    public synchronized void restart() throws Exception {
        standalone.close();
        KopStandalone.Options o = options;
        standalone = KopStandalone.start(new KopStandalone.Options(o.dataDir(), o.nar(), o.host(), o.kafkaPort(),
                o.pulsarPort(), o.httpPort(), o.bookiePort(), false, o.journalSync(), o.extraConfig()));
    }

    /** Waits up to 30 s until Pulsar no longer lists ledger {@code ledgerId} for {@code partition}. */
    public boolean awaitLedgerDeleted(String partition, long ledgerId) throws Exception {
        try (PulsarAdmin pulsar = pulsarAdmin()) {
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline) {
                if (pulsar.topics().getInternalStats(partition).ledgers.stream().noneMatch(l -> l.ledgerId == ledgerId)) {
                    return true;
                }
                Thread.sleep(200);
            }
            return false;
        }
    }

    public String bootstrap() {
        return standalone.kafkaBootstrap();
    }

    public int kafkaPort() {
        return options.kafkaPort();
    }

    public PulsarClient pulsarClient() throws Exception {
        return PulsarClient.builder().serviceUrl(standalone.pulsarUrl()).build();
    }

    public PulsarAdmin pulsarAdmin() throws Exception {
        return PulsarAdmin.builder().serviceHttpUrl(standalone.httpUrl()).build();
    }

    /** The broker's web service (admin REST API and {@code /metrics}). */
    /**
     * Whether BookKeeper still has the ledger (its metadata exists). Tiered storage deletes offloaded
     * ledgers from the bookies while the topic still lists them, so Pulsar's admin API cannot tell.
     */
    public boolean bookiesHaveLedger(long ledgerId) throws Exception {
        try {
            standalone.broker().getBookKeeperClient().getLedgerManager().readLedgerMetadata(ledgerId)
                    .get(30, java.util.concurrent.TimeUnit.SECONDS);
            return true;
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof org.apache.bookkeeper.client.BKException.BKNoSuchLedgerExistsOnMetadataServerException
                    || e.getCause() instanceof org.apache.bookkeeper.client.BKException.BKNoSuchLedgerExistsException) {
                return false;
            }
            throw e;
        }
    }

    public String pulsarUrl() {
        return standalone.pulsarUrl();
    }

    public String httpUrl() {
        return standalone.httpUrl();
    }

    public Properties clientProps() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        return p;
    }

    public KafkaProducer<byte[], byte[]> producer(Map<String, Object> overrides) {
        Properties p = clientProps();
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.putAll(overrides);
        return new KafkaProducer<>(p);
    }

    public KafkaConsumer<byte[], byte[]> consumer() {
        return consumer(Map.of());
    }

    public KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> overrides) {
        Properties p = clientProps();
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.putAll(overrides);
        return new KafkaConsumer<>(p);
    }

    public Admin admin() {
        return Admin.create(clientProps());
    }

    public static String uniqueTopic(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
