package io.kop.topic;

import io.kop.config.EntryFormat;
import io.kop.config.KopConfig;
import io.kop.coordinator.bridge.KafkaTopicConfigDefs;
import io.kop.storage.LogCleaner;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.common.policies.data.RetentionPolicies;

/**
 * Kafka's topic configs on Pulsar topics. Every config a Kafka 4.4 broker has is known (names, types,
 * defaults and checks from Kafka's own definitions), and each is one of:
 * <ul>
 *   <li>honoured through a Pulsar topic policy: {@code retention.ms}, {@code retention.bytes} (whole
 *       minutes and MiB, Pulsar's units), {@code max.message.bytes};</li>
 *   <li>honoured by KoP from a property of the partitioned topic: {@code message.timestamp.type};
 *       {@code cleanup.policy} with {@code compact} (records need keys, and KoP's log cleaner compacts
 *       the topic, see {@link io.kop.storage.LogCleaner}; {@code compact} alone also makes the topic's
 *       Pulsar retention infinite) and the cleaner's {@code delete.retention.ms},
 *       {@code min.compaction.lag.ms}, {@code max.compaction.lag.ms}, {@code min.cleanable.dirty.ratio}
 *       (and, for compacted topics only, {@code segment.ms} and {@code segment.bytes}: how long a
 *       partition's newest records wait before they are cleaned again);</li>
 *   <li>fixed: KoP behaves one way and accepts only that value ({@code compression.type=producer}, no
 *       timestamp bounds, no remote storage through Kafka);</li>
 *   <li>kept: settings of a Kafka broker's own storage layout, replication or compaction tuning that
 *       have no meaning for Pulsar's ledgers ({@code segment.bytes}, {@code flush.ms},
 *       {@code min.insync.replicas}, ...): accepted, stored as a property of the partitioned topic and
 *       described back, but they change nothing.</li>
 * </ul>
 * Anything else is refused with INVALID_CONFIG and the reason, never dropped.
 */
public final class TopicConfigs {
    public static final String RETENTION_MS = "retention.ms";
    public static final String RETENTION_BYTES = "retention.bytes";
    public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
    public static final String CLEANUP_POLICY = "cleanup.policy";
    public static final String TIMESTAMP_TYPE = "message.timestamp.type";
    public static final String COMPRESSION_TYPE = "compression.type";
    /** Where a config KoP keeps (or honours itself) is stored: a property of the partitioned topic. */
    public static final String PROPERTY_PREFIX = "kafka.config.";

    private static final Set<String> POLICIES = Set.of(RETENTION_MS, RETENTION_BYTES, MAX_MESSAGE_BYTES);
    public static final String DELETE_RETENTION_MS = "delete.retention.ms";
    public static final String SEGMENT_MS = "segment.ms";
    public static final String SEGMENT_BYTES = "segment.bytes";
    public static final String MIN_COMPACTION_LAG_MS = "min.compaction.lag.ms";
    public static final String MAX_COMPACTION_LAG_MS = "max.compaction.lag.ms";
    public static final String MIN_CLEANABLE_DIRTY_RATIO = "min.cleanable.dirty.ratio";
    private static final Set<String> HONOURED_PROPERTIES = Set.of(TIMESTAMP_TYPE, CLEANUP_POLICY, DELETE_RETENTION_MS,
            MIN_COMPACTION_LAG_MS, MAX_COMPACTION_LAG_MS, MIN_CLEANABLE_DIRTY_RATIO);
    private static final long MINUTE_MS = 60_000L;
    private static final long MIB = 1024L * 1024L;
    private static final String UNBOUNDED = Long.toString(Long.MAX_VALUE);

    /** Where a described value comes from. */
    public enum Source { TOPIC, BROKER, DEFAULT }

    /** A config value as DescribeConfigs reports it. */
    public record Value(String value, Source source) {
    }

    private final KopConfig config;
    private final Map<String, String> fixed;

    public TopicConfigs(KopConfig config) {
        this.config = config;
        Map<String, String> f = new LinkedHashMap<>();
        f.put(COMPRESSION_TYPE, "producer");
        // KoP does not bound producer timestamps: Kafka's 1 h limit into the future is not applied
        f.put("message.timestamp.after.max.ms", UNBOUNDED);
        f.put("message.timestamp.before.max.ms", UNBOUNDED);
        f.put("remote.storage.enable", "false"); // Pulsar's offloaders are set up in Pulsar
        f.put("errors.deadletterqueue.group.enable", "false"); // share groups are not served
        this.fixed = Map.copyOf(f);
    }

    /** Whether a config is a Pulsar topic policy (retention, maximum message size). */
    public boolean isPolicy(String name) {
        return POLICIES.contains(name);
    }

    /** Whether a config is only stored and described, with no effect on Pulsar (see the class comment). */
    public boolean keptOnly(String name) {
        return KafkaTopicConfigDefs.known(name) && !POLICIES.contains(name) && !HONOURED_PROPERTIES.contains(name)
                && !fixed.containsKey(name);
    }

    /**
     * Checks configs as they would be set on a topic and returns them normalised (as Kafka stores
     * them); throws InvalidConfigurationException naming the first that cannot be honoured.
     * {@code creating}: KoP's own {@code kop.entry.format} may only be given at creation.
     */
    public Map<String, String> validate(Map<String, String> configs, boolean creating) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : configs.entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            if (key.equals(KafkaTopic.ENTRY_FORMAT_PROPERTY)) {
                if (!creating) {
                    throw new InvalidConfigurationException(key + " is chosen when a topic is created");
                }
                try {
                    out.put(key, EntryFormat.parse(value).configName());
                } catch (IllegalArgumentException bad) {
                    throw new InvalidConfigurationException(key + ": " + bad.getMessage());
                }
                continue;
            }
            if (value == null) {
                throw new InvalidConfigurationException("topic config " + key + " needs a value");
            }
            String v = KafkaTopicConfigDefs.normalize(key, value.trim());
            switch (key) {
                case RETENTION_MS -> multipleOf(key, v, MINUTE_MS, "minutes");
                case RETENTION_BYTES -> multipleOf(key, v, MIB, "MiB");
                case MAX_MESSAGE_BYTES -> {
                    long n = Long.parseLong(v);
                    if (n <= 0 || n > config.maxMessageSize()) {
                        throw new InvalidConfigurationException(key + " must be between 1 and the broker's "
                                + "maxMessageSize " + config.maxMessageSize() + ", got " + value);
                    }
                }
                case CLEANUP_POLICY -> {
                    if (v.isEmpty()) {
                        throw new InvalidConfigurationException(key + " needs delete, compact or both");
                    }
                }
                default -> {
                    String only = fixed.get(key);
                    if (only != null && !only.equalsIgnoreCase(v)) {
                        throw new InvalidConfigurationException(key + " can only be " + only + " in KoP, got "
                                + value);
                    }
                }
            }
            out.put(key, v);
        }
        return out;
    }

    /** Checks that a config may be returned to its default (DELETE): a Kafka topic config. */
    public void checkResettable(String name) {
        if (name.equals(KafkaTopic.ENTRY_FORMAT_PROPERTY)) {
            throw new InvalidConfigurationException(name + " is chosen when a topic is created");
        }
        if (!KafkaTopicConfigDefs.known(name)) {
            throw new InvalidConfigurationException("Unknown topic config name: " + name);
        }
    }

    /** Properties of a new partitioned topic for its validated creation configs. */
    public Map<String, String> creationProperties(Map<String, String> configs) {
        Map<String, String> props = new LinkedHashMap<>();
        configs.forEach((k, v) -> {
            if (k.equals(KafkaTopic.ENTRY_FORMAT_PROPERTY)) {
                props.put(k, v);
            } else if (stored(k)) {
                props.put(PROPERTY_PREFIX + k, v);
            }
        });
        return props;
    }

    private boolean stored(String name) {
        return HONOURED_PROPERTIES.contains(name) || keptOnly(name);
    }

    /**
     * Applies validated changes: a value sets the config on the topic, empty returns it to its default.
     * Policies go to Pulsar's topic policies, the rest to the partitioned topic's properties.
     */
    public CompletableFuture<Void> apply(PulsarAdmin admin, KafkaTopic topic, Map<String, Optional<String>> changes) {
        String name = topic.pulsarName().toString();
        List<CompletableFuture<Void>> steps = new ArrayList<>();
        Optional<String> policy = changes.getOrDefault(CLEANUP_POLICY, null);
        if (policy != null && policy.isPresent() && compactOnly(policy.get())) {
            // Kafka keeps a compact-only topic's records whatever its retention settings say
            steps.add(admin.topicPolicies().setRetentionAsync(name, new RetentionPolicies(-1, -1)));
        } else if (changes.containsKey(RETENTION_MS) || changes.containsKey(RETENTION_BYTES)) {
            steps.add(applyRetention(admin, name, changes));
        } else if (policy != null && compactOnly(topic.properties().getOrDefault(PROPERTY_PREFIX + CLEANUP_POLICY,
                "delete"))) {
            steps.add(admin.topicPolicies().removeRetentionAsync(name)); // no longer compact-only
        }
        if (changes.containsKey(MAX_MESSAGE_BYTES)) {
            steps.add(changes.get(MAX_MESSAGE_BYTES)
                    .map(v -> admin.topicPolicies().setMaxMessageSizeAsync(name, Integer.parseInt(v)))
                    .orElseGet(() -> admin.topicPolicies().removeMaxMessageSizeAsync(name)));
        }
        Map<String, String> set = new LinkedHashMap<>();
        List<String> removed = new ArrayList<>();
        changes.forEach((k, v) -> {
            if (stored(k)) {
                if (v.isPresent()) {
                    set.put(PROPERTY_PREFIX + k, v.get());
                } else {
                    removed.add(PROPERTY_PREFIX + k);
                }
            }
        });
        if (!set.isEmpty() || !removed.isEmpty()) {
            if (!topic.partitioned()) {
                return CompletableFuture.failedFuture(new InvalidConfigurationException("topic " + topic.kafkaName()
                        + " is a non-partitioned Pulsar topic, which keeps no Kafka configs; only retention.ms, "
                        + "retention.bytes and max.message.bytes can be set on it"));
            }
            CompletableFuture<Void> props = set.isEmpty() ? CompletableFuture.completedFuture(null)
                    : admin.topics().updatePropertiesAsync(name, set);
            for (String key : removed) {
                props = props.thenCompose(v -> admin.topics().removePropertiesAsync(name, key));
            }
            steps.add(props);
        }
        return CompletableFuture.allOf(steps.toArray(new CompletableFuture[0]));
    }

    /** Whether a topic with these properties is compacted: its cleanup.policy has compact. */
    public static boolean compacted(Map<String, String> properties) {
        String policy = properties.get(PROPERTY_PREFIX + CLEANUP_POLICY);
        return policy != null && List.of(policy.split(",")).contains("compact");
    }

    /** The log cleaner's settings for a topic with these properties; empty when it is not compacted. */
    public static Optional<LogCleaner.Policy> cleanerPolicy(Map<String, String> properties) {
        if (!compacted(properties)) {
            return Optional.empty();
        }
        return Optional.of(new LogCleaner.Policy(
                Long.parseLong(setting(properties, DELETE_RETENTION_MS)),
                Long.parseLong(setting(properties, MIN_COMPACTION_LAG_MS)),
                Long.parseLong(setting(properties, MAX_COMPACTION_LAG_MS)),
                Double.parseDouble(setting(properties, MIN_CLEANABLE_DIRTY_RATIO)),
                Long.parseLong(setting(properties, SEGMENT_MS)),
                Long.parseLong(setting(properties, SEGMENT_BYTES))));
    }

    private static String setting(Map<String, String> properties, String name) {
        String own = properties.get(PROPERTY_PREFIX + name);
        return own != null ? own : KafkaTopicConfigDefs.defaultValue(name).orElseThrow();
    }

    /** Whether a cleanup.policy value asks for compaction only (no deletion by time or size). */
    public static boolean compactOnly(String cleanupPolicy) {
        return cleanupPolicy.equals("compact");
    }

    /** retention.ms and retention.bytes are one Pulsar policy: the other half keeps its topic value. */
    private CompletableFuture<Void> applyRetention(PulsarAdmin admin, String name,
                                                   Map<String, Optional<String>> changes) {
        return admin.topicPolicies().getRetentionAsync(name, false).thenCompose(own -> {
            Optional<String> ms = changes.containsKey(RETENTION_MS) ? changes.get(RETENTION_MS)
                    : own == null ? Optional.empty() : Optional.of(fromUnits(own.getRetentionTimeInMinutes(), MINUTE_MS));
            Optional<String> bytes = changes.containsKey(RETENTION_BYTES) ? changes.get(RETENTION_BYTES)
                    : own == null ? Optional.empty() : Optional.of(fromUnits(own.getRetentionSizeInMB(), MIB));
            if (ms.isEmpty() && bytes.isEmpty()) {
                return own == null ? CompletableFuture.completedFuture(null)
                        : admin.topicPolicies().removeRetentionAsync(name);
            }
            // A half set alone takes the namespace's (or broker's) value for the other half.
            return admin.topicPolicies().getRetentionAsync(name, true).thenCompose(effective -> {
                int minutes = ms.map(v -> toUnits(v, MINUTE_MS))
                        .orElse(effective == null ? -1 : effective.getRetentionTimeInMinutes());
                long sizeMb = bytes.map(v -> (long) toUnits(v, MIB))
                        .orElse(effective == null ? -1L : effective.getRetentionSizeInMB());
                return admin.topicPolicies().setRetentionAsync(name, new RetentionPolicies(minutes, sizeMb));
            });
        });
    }

    /** Every Kafka topic config of the topic: set on it, from the broker or namespace, or Kafka's default. */
    public CompletableFuture<Map<String, Value>> describe(PulsarAdmin admin, KafkaTopic topic,
                                                          Map<String, String> properties) {
        String name = topic.pulsarName().toString();
        var policies = admin.topicPolicies();
        var ownRetention = policies.getRetentionAsync(name, false);
        var retention = policies.getRetentionAsync(name, true);
        var maxSize = policies.getMaxMessageSizeAsync(name);
        return CompletableFuture.allOf(ownRetention, retention, maxSize).thenApply(v -> {
            RetentionPolicies r = retention.join();
            Source retentionSource = ownRetention.join() != null ? Source.TOPIC : Source.BROKER;
            Integer m = maxSize.join();
            Map<String, Value> out = new LinkedHashMap<>();
            for (String key : KafkaTopicConfigDefs.names()) {
                String own = properties == null ? null : properties.get(PROPERTY_PREFIX + key);
                Value value = switch (key) {
                    case RETENTION_MS -> new Value(r == null ? "-1" : fromUnits(r.getRetentionTimeInMinutes(),
                            MINUTE_MS), retentionSource);
                    case RETENTION_BYTES -> new Value(r == null ? "-1" : fromUnits(r.getRetentionSizeInMB(), MIB),
                            retentionSource);
                    case MAX_MESSAGE_BYTES -> m != null ? new Value(Integer.toString(m), Source.TOPIC)
                            : new Value(Integer.toString(config.maxMessageSize()), Source.BROKER);
                    case TIMESTAMP_TYPE -> own != null ? new Value(own, Source.TOPIC)
                            : new Value(config.logAppendTime() ? "LogAppendTime" : "CreateTime", Source.BROKER);
                    case CLEANUP_POLICY -> own != null ? new Value(own, Source.TOPIC) : new Value("delete", Source.DEFAULT);
                    default -> fixed.containsKey(key) ? new Value(fixed.get(key), Source.DEFAULT)
                            : own != null ? new Value(own, Source.TOPIC)
                            : new Value(KafkaTopicConfigDefs.defaultValue(key).orElse(null), Source.DEFAULT);
                };
                out.put(key, value);
            }
            out.put(KafkaTopic.ENTRY_FORMAT_PROPERTY, new Value(topic.entryFormat().configName(),
                    properties != null && properties.containsKey(KafkaTopic.ENTRY_FORMAT_PROPERTY)
                            ? Source.TOPIC : Source.BROKER));
            return out;
        });
    }

    private static void multipleOf(String key, String value, long unit, String unitName) {
        long v = Long.parseLong(value);
        if (v != -1 && (v < 0 || v % unit != 0)) {
            throw new InvalidConfigurationException(key + " must be -1 or whole " + unitName
                    + " (a multiple of " + unit + ") in Pulsar, got " + value);
        }
        if (v / unit > Integer.MAX_VALUE) {
            throw new InvalidConfigurationException(key + " is too large: " + value);
        }
    }

    private static int toUnits(String value, long unit) {
        long v = Long.parseLong(value.trim());
        return v < 0 ? -1 : (int) (v / unit);
    }

    private static String fromUnits(long units, long unit) {
        return units < 0 ? "-1" : Long.toString(units * unit);
    }
}
