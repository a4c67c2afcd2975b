package io.kop.topic;

import io.kop.config.EntryFormat;
import io.kop.config.KopConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.common.policies.data.RetentionPolicies;

/**
 * Kafka topic configs that Pulsar can honour, applied as Pulsar topic policies. Anything else is
 * refused with INVALID_CONFIG instead of being silently ignored; a few fixed behaviours are accepted
 * when asked for by their only value (for example {@code cleanup.policy=delete}).
 */
public final class TopicConfigs {
    public static final String RETENTION_MS = "retention.ms";
    public static final String RETENTION_BYTES = "retention.bytes";
    public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
    public static final String CLEANUP_POLICY = "cleanup.policy";
    public static final String TIMESTAMP_TYPE = "message.timestamp.type";
    public static final String COMPRESSION_TYPE = "compression.type";

    private static final long MINUTE_MS = 60_000L;
    private static final long MIB = 1024L * 1024L;

    private final KopConfig config;

    public TopicConfigs(KopConfig config) {
        this.config = config;
    }

    /** Configs with a value that is fixed in KoP, as they are reported by DescribeConfigs. */
    public Map<String, String> fixedValues() {
        Map<String, String> fixed = new LinkedHashMap<>();
        fixed.put(CLEANUP_POLICY, "delete");
        fixed.put(TIMESTAMP_TYPE, config.logAppendTime() ? "LogAppendTime" : "CreateTime");
        fixed.put(COMPRESSION_TYPE, "producer");
        return fixed;
    }

    /** Checks every config; throws InvalidConfigurationException naming the first that cannot be honoured. */
    public void validate(Map<String, String> configs) {
        Map<String, String> fixed = fixedValues();
        for (Map.Entry<String, String> e : configs.entrySet()) {
            String key = e.getKey();
            String value = e.getValue();
            switch (key) {
                case RETENTION_MS -> multipleOf(key, value, MINUTE_MS, "minutes");
                case RETENTION_BYTES -> multipleOf(key, value, MIB, "MiB");
                case KafkaTopic.ENTRY_FORMAT_PROPERTY -> {
                    try {
                        EntryFormat.parse(value);
                    } catch (IllegalArgumentException bad) {
                        throw new InvalidConfigurationException(key + ": " + bad.getMessage());
                    }
                }
                case MAX_MESSAGE_BYTES -> {
                    long v = number(key, value);
                    if (v <= 0 || v > config.maxMessageSize()) {
                        throw new InvalidConfigurationException(key + " must be between 1 and the broker's "
                                + "maxMessageSize " + config.maxMessageSize() + ", got " + value);
                    }
                }
                default -> {
                    if (!fixed.containsKey(key)) {
                        throw new InvalidConfigurationException("topic config " + key + " is not supported by KoP");
                    }
                    if (!fixed.get(key).equalsIgnoreCase(value)) {
                        throw new InvalidConfigurationException(key + " can only be " + fixed.get(key)
                                + " in KoP, got " + value);
                    }
                }
            }
        }
    }

    /** Configs stored as properties of the partitioned topic when it is created. */
    public static Map<String, String> creationProperties(Map<String, String> configs) {
        String format = configs.get(KafkaTopic.ENTRY_FORMAT_PROPERTY);
        return format == null ? Map.of()
                : Map.of(KafkaTopic.ENTRY_FORMAT_PROPERTY, EntryFormat.parse(format).configName());
    }

    /** Applies validated configs to the topic as Pulsar topic policies. */
    public CompletableFuture<Void> apply(PulsarAdmin admin, String pulsarTopic, Map<String, String> configs) {
        List<CompletableFuture<Void>> steps = new ArrayList<>();
        if (configs.containsKey(RETENTION_MS) || configs.containsKey(RETENTION_BYTES)) {
            int minutes = toUnits(configs.getOrDefault(RETENTION_MS, "-1"), MINUTE_MS);
            int sizeMb = toUnits(configs.getOrDefault(RETENTION_BYTES, "-1"), MIB);
            steps.add(admin.topicPolicies().setRetentionAsync(pulsarTopic, new RetentionPolicies(minutes, sizeMb)));
        }
        if (configs.containsKey(MAX_MESSAGE_BYTES)) {
            steps.add(admin.topicPolicies().setMaxMessageSizeAsync(pulsarTopic,
                    Integer.parseInt(configs.get(MAX_MESSAGE_BYTES))));
        }
        return CompletableFuture.allOf(steps.toArray(new CompletableFuture[0]));
    }

    /** A config value and whether it was set on the topic (rather than inherited or fixed). */
    public record Value(String value, boolean setOnTopic) {
    }

    /** The topic's current configs: its policies where set, the effective defaults otherwise. */
    public CompletableFuture<Map<String, Value>> describe(PulsarAdmin admin, String pulsarTopic) {
        var policies = admin.topicPolicies();
        var ownRetention = policies.getRetentionAsync(pulsarTopic, false);
        var retention = policies.getRetentionAsync(pulsarTopic, true);
        var maxSize = policies.getMaxMessageSizeAsync(pulsarTopic);
        return CompletableFuture.allOf(ownRetention, retention, maxSize).thenApply(v -> {
            RetentionPolicies r = retention.join();
            boolean retentionSet = ownRetention.join() != null;
            Integer m = maxSize.join();
            Map<String, Value> out = new LinkedHashMap<>();
            out.put(RETENTION_MS, new Value(r == null || r.getRetentionTimeInMinutes() < 0 ? "-1"
                    : Long.toString(r.getRetentionTimeInMinutes() * MINUTE_MS), retentionSet));
            out.put(RETENTION_BYTES, new Value(r == null || r.getRetentionSizeInMB() < 0 ? "-1"
                    : Long.toString(r.getRetentionSizeInMB() * MIB), retentionSet));
            out.put(MAX_MESSAGE_BYTES, new Value(Integer.toString(m == null ? config.maxMessageSize() : m), m != null));
            fixedValues().forEach((k, value) -> out.put(k, new Value(value, false)));
            return out;
        });
    }

    private static void multipleOf(String key, String value, long unit, String unitName) {
        long v = number(key, value);
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

    private static long number(String key, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException | NullPointerException e) {
            throw new InvalidConfigurationException(key + " must be a number, got " + value);
        }
    }
}
