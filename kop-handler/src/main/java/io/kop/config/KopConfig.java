package io.kop.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import org.apache.pulsar.broker.ServiceConfiguration;
import org.apache.pulsar.common.util.DirectMemoryUtils;

/**
 * KoP settings, read from the broker's own configuration file (Pulsar keeps unknown keys in
 * {@link ServiceConfiguration#getProperties()}). Every key is listed in the README.
 */
public final class KopConfig {
    public static final String INDEX_INTERCEPTOR =
            "org.apache.pulsar.common.intercept.AppendIndexMetadataInterceptor";

    private final List<KafkaListener> listeners;
    private final List<KafkaListener> advertisedListeners;
    private final String kafkaTenant;
    private final String kafkaNamespace;
    private final EntryFormat entryFormat;
    private final int maxMessageSize;
    private final int maxFrameSize;
    private final long connectionMaxIdleMs;
    private final int maxPendingRequestsPerConnection;
    private final int maxReadEntriesPerFetch;
    private final String clusterId;
    private final long producerStateRecoveryRecords;
    private final boolean logAppendTime;
    private final String metadataTenant;
    private final String metadataNamespace;
    private final boolean multiTenantMetadata;
    private final int offsetsTopicPartitions;
    private final int txnLogPartitions;
    private final int transactionMaxTimeoutMs;
    private final long transactionAbortIntervalMs;
    private final long transactionalIdExpirationMs;
    private final short transactionVersion;
    private final long groupSubscriptionMirrorIntervalMs;
    private final long logCleanerBackoffMs;
    private final long logCleanerDedupeBufferBytes;
    private final long readAheadMaxBytes;
    private final long recentBatchesMaxBytes;
    private final int recentBatchesWarmBytes;
    private final long offsetsTopicCompactionRecords;
    private final Map<String, Object> groupCoordinatorConfig;
    private final SecurityConfig security;

    private KopConfig(ServiceConfiguration conf) {
        Properties p = conf.getProperties();
        Map<String, String> protocolMap = parseProtocolMap(p.getProperty("kafkaProtocolMap", ""));
        this.listeners = KafkaListener.parseList(
                p.getProperty("kafkaListeners", "PLAINTEXT://127.0.0.1:9092"), protocolMap, "kafkaListeners");
        String advertised = p.getProperty("kafkaAdvertisedListeners", "").trim();
        this.advertisedListeners = advertised.isEmpty()
                ? defaultAdvertised(listeners, conf.getAdvertisedAddress())
                : KafkaListener.parseList(advertised, protocolMap, "kafkaAdvertisedListeners");
        for (KafkaListener l : listeners) {
            if (advertisedListeners.stream().noneMatch(a -> a.name().equals(l.name()))) {
                throw new IllegalArgumentException("kafkaAdvertisedListeners has no entry for listener '"
                        + l.name() + "' of kafkaListeners");
            }
        }
        this.kafkaTenant = p.getProperty("kafkaTenant", "public").trim();
        this.kafkaNamespace = p.getProperty("kafkaNamespace", "default").trim();
        this.entryFormat = EntryFormat.parse(p.getProperty("entryFormat", "pulsar"));
        this.maxMessageSize = intKey(p, "maxMessageSize", conf.getMaxMessageSize());
        this.maxFrameSize = intKey(p, "kafkaMaxFrameSize", 100 * 1024 * 1024);
        this.connectionMaxIdleMs = longKey(p, "connectionMaxIdleMs", 600_000L);
        this.maxPendingRequestsPerConnection = intKey(p, "kafkaMaxPendingRequestsPerConnection", 100);
        this.maxReadEntriesPerFetch = intKey(p, "kafkaMaxReadEntriesPerFetch", 500);
        this.clusterId = p.getProperty("kafkaClusterId", conf.getClusterName()).trim();
        this.producerStateRecoveryRecords = longKey(p, "kafkaProducerStateRecoveryRecords", 100_000L);
        String timestampType = p.getProperty("kafkaMessageTimestampType", "CreateTime").trim();
        if (!timestampType.equals("CreateTime") && !timestampType.equals("LogAppendTime")) {
            throw new IllegalArgumentException("kafkaMessageTimestampType must be CreateTime or LogAppendTime, got '"
                    + timestampType + "'");
        }
        this.logAppendTime = timestampType.equals("LogAppendTime");
        this.metadataTenant = p.getProperty("kafkaMetadataTenant", "public").trim();
        this.metadataNamespace = p.getProperty("kafkaMetadataNamespace", "__kafka").trim();
        this.multiTenantMetadata = Boolean.parseBoolean(p.getProperty("kafkaEnableMultiTenantMetadata", "true").trim());
        this.offsetsTopicPartitions = intKey(p, "offsetsTopicNumPartitions", 8);
        this.txnLogPartitions = intKey(p, "kafkaTxnLogNumPartitions", 8);
        this.transactionMaxTimeoutMs = intKey(p, "kafkaTransactionMaxTimeoutMs", 900_000);
        this.transactionAbortIntervalMs = longKey(p, "kafkaTransactionAbortTimedOutIntervalMs", 10_000L);
        this.transactionalIdExpirationMs = longKey(p, "kafkaTransactionalIdExpirationMs", 604_800_000L);
        // 0 until transactions v2 survives back-to-back transactions under load (see README)
        this.transactionVersion = (short) intKey(p, "kafkaTransactionVersion", 2);
        if (transactionVersion < 0 || transactionVersion > 2) {
            throw new IllegalArgumentException("kafkaTransactionVersion must be 0, 1 or 2, got " + transactionVersion);
        }
        if (txnLogPartitions <= 0 || transactionMaxTimeoutMs <= 0 || transactionAbortIntervalMs <= 0
                || transactionalIdExpirationMs <= 0) {
            throw new IllegalArgumentException("kafkaTxnLogNumPartitions, kafkaTransactionMaxTimeoutMs and "
                    + "kafkaTransactionAbortTimedOutIntervalMs must be positive");
        }
        this.groupSubscriptionMirrorIntervalMs = longKey(p, "kafkaGroupSubscriptionIntervalMs", 5000L);
        this.logCleanerBackoffMs = longKey(p, "kafkaLogCleanerBackoffMs", 15_000L);
        this.logCleanerDedupeBufferBytes = longKey(p, "kafkaLogCleanerDedupeBufferBytes", 128L * 1024 * 1024);
        this.readAheadMaxBytes = longKey(p, "kafkaFetchReadAheadMaxBytes", 256L * 1024 * 1024);
        // -1: a quarter of the JVM's direct memory, where the cache lives
        long recent = longKey(p, "kafkaRecentBatchesCacheMaxBytes", -1L);
        this.recentBatchesMaxBytes = recent < 0 ? DirectMemoryUtils.jvmMaxDirectMemory() / 4 : recent;
        this.recentBatchesWarmBytes = intKey(p, "kafkaRecentBatchesWarmBytes", 0);
        this.offsetsTopicCompactionRecords = longKey(p, "offsetsTopicCompactionRecords", 10_000L);
        Map<String, Object> group = new java.util.HashMap<>();
        group.put("offsets.retention.minutes", intKey(p, "offsetsRetentionMinutes", 10080));
        group.put("offsets.commit.timeout.ms", intKey(p, "offsetCommitTimeoutMs", 5000));
        group.put("group.coordinator.threads", intKey(p, "groupCoordinatorThreads", 2));
        // Any of Kafka's own group.* settings (group.initial.rebalance.delay.ms, group.consumer.*, ...)
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("group.")) {
                group.put(key, p.getProperty(key).trim());
            }
        }
        this.groupCoordinatorConfig = Map.copyOf(group);
        this.security = SecurityConfig.from(conf, p, listeners);
        if (logCleanerBackoffMs <= 0 || logCleanerDedupeBufferBytes <= 0) {
            throw new IllegalArgumentException("kafkaLogCleanerBackoffMs and kafkaLogCleanerDedupeBufferBytes must be "
                    + "positive");
        }
        if (maxFrameSize < 1024) {
            throw new IllegalArgumentException("kafkaMaxFrameSize must be at least 1024, got " + maxFrameSize);
        }
    }

    /** Reads the KoP keys and checks the broker settings KoP cannot work without. */
    public static KopConfig from(ServiceConfiguration conf) {
        if (conf.getBrokerEntryMetadataInterceptors() == null
                || !conf.getBrokerEntryMetadataInterceptors().contains(INDEX_INTERCEPTOR)) {
            throw new IllegalStateException("KoP needs Kafka offsets from Pulsar's broker entry index: add "
                    + "'brokerEntryMetadataInterceptors=" + INDEX_INTERCEPTOR + "' to broker.conf");
        }
        if (conf.isBrokerDeleteInactiveTopicsEnabled()) {
            // Kafka producers and consumers register no Pulsar producers or subscriptions, so Pulsar
            // would see Kafka topics as inactive and delete them with their data.
            throw new IllegalStateException("KoP needs 'brokerDeleteInactiveTopicsEnabled=false' in broker.conf: "
                    + "Pulsar would otherwise delete Kafka topics (and their data) as inactive");
        }
        return new KopConfig(conf);
    }

    private static List<KafkaListener> defaultAdvertised(List<KafkaListener> listeners, String advertisedAddress) {
        List<KafkaListener> out = new ArrayList<>();
        for (KafkaListener l : listeners) {
            String host = l.host();
            if (host.isEmpty() || host.equals("0.0.0.0") || host.equals("::")) {
                host = advertisedAddress != null ? advertisedAddress : "127.0.0.1";
            }
            out.add(new KafkaListener(l.name(), l.securityProtocol(), host, l.port()));
        }
        return List.copyOf(out);
    }

    private static Map<String, String> parseProtocolMap(String value) {
        Map<String, String> map = new java.util.HashMap<>();
        for (String pair : value.split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            String[] kv = pair.split(":");
            if (kv.length != 2) {
                throw new IllegalArgumentException("kafkaProtocolMap: expected NAME:PROTOCOL, got '" + pair + "'");
            }
            map.put(kv[0].trim().toUpperCase(Locale.ROOT), kv[1].trim().toUpperCase(Locale.ROOT));
        }
        return map;
    }

    private static int intKey(Properties p, String key, int dflt) {
        return parse(p, key, dflt, Integer::parseInt);
    }

    private static long longKey(Properties p, String key, long dflt) {
        return parse(p, key, dflt, Long::parseLong);
    }

    private static <T> T parse(Properties p, String key, T dflt, Function<String, T> parser) {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return parser.apply(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": not a number: '" + v + "'");
        }
    }

    public List<KafkaListener> listeners() {
        return listeners;
    }

    public List<KafkaListener> advertisedListeners() {
        return advertisedListeners;
    }

    public KafkaListener advertisedListener(String name) {
        return advertisedListeners.stream().filter(l -> l.name().equals(name)).findFirst().orElseThrow();
    }

    public String kafkaTenant() {
        return kafkaTenant;
    }

    public String kafkaNamespace() {
        return kafkaNamespace;
    }

    public EntryFormat entryFormat() {
        return entryFormat;
    }

    public int maxMessageSize() {
        return maxMessageSize;
    }

    public int maxFrameSize() {
        return maxFrameSize;
    }

    public long connectionMaxIdleMs() {
        return connectionMaxIdleMs;
    }

    public int maxPendingRequestsPerConnection() {
        return maxPendingRequestsPerConnection;
    }

    public int maxReadEntriesPerFetch() {
        return maxReadEntriesPerFetch;
    }

    /** True when records get the broker's append time instead of the producer's timestamp. */
    public boolean logAppendTime() {
        return logAppendTime;
    }

    /** Each tenant's groups in its own {@code <tenant>/<kafkaMetadataNamespace>} (the SASL username's tenant). */
    public boolean multiTenantMetadata() {
        return multiTenantMetadata;
    }

    public String metadataTenant() {
        return metadataTenant;
    }

    public String metadataNamespace() {
        return metadataNamespace;
    }

    /** Records written to an offsets partition between two compactions. */
    public long offsetsTopicCompactionRecords() {
        return offsetsTopicCompactionRecords;
    }

    /** Start reading a sequential consumer's next entries as soon as a fetch is answered. */
    public long readAheadMaxBytes() {
        return readAheadMaxBytes;
    }

    /** Bytes of recently produced batches the broker keeps in memory to answer fetches; 0 keeps none. */
    public long recentBatchesMaxBytes() {
        return recentBatchesMaxBytes;
    }

    /** How much of a partition's end a broker that takes it over reads into the recent-batches cache. */
    public int recentBatchesWarmBytes() {
        return recentBatchesWarmBytes;
    }

    /** How often the log cleaner looks for compacted partitions to compact (Kafka's log.cleaner.backoff.ms). */
    public long logCleanerBackoffMs() {
        return logCleanerBackoffMs;
    }

    /** What one compaction run's map of keys may take (Kafka's log.cleaner.dedupe.buffer.size). */
    public long logCleanerDedupeBufferBytes() {
        return logCleanerDedupeBufferBytes;
    }

    public long groupSubscriptionMirrorIntervalMs() {
        return groupSubscriptionMirrorIntervalMs;
    }

    public int offsetsTopicPartitions() {
        return offsetsTopicPartitions;
    }

    /** Partitions of each tenant's {@code __transaction_state}. */
    public int txnLogPartitions() {
        return txnLogPartitions;
    }

    /** The longest {@code transaction.timeout.ms} a producer may ask for. */
    public int transactionMaxTimeoutMs() {
        return transactionMaxTimeoutMs;
    }

    /** The finalized level of Kafka's {@code transaction.version} feature (2: transactions v2, KIP-890). */
    public short transactionVersion() {
        return transactionVersion;
    }

    /** How often the transaction coordinator looks for transactions past their timeout. */
    /** How long a transactional id may go unused (no transaction open) before its coordinator forgets it. */
    public long transactionalIdExpirationMs() {
        return transactionalIdExpirationMs;
    }

    public long transactionAbortIntervalMs() {
        return transactionAbortIntervalMs;
    }

    /** Settings for Kafka's group coordinator, under Kafka's own names. */
    public Map<String, Object> groupCoordinatorConfig() {
        return groupCoordinatorConfig;
    }

    public long producerStateRecoveryRecords() {
        return producerStateRecoveryRecords;
    }

    public SecurityConfig security() {
        return security;
    }

    public String clusterId() {
        return clusterId;
    }
}
