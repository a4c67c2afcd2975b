package io.kop.coordinator.bridge;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.requests.DescribeConfigsResponse;
import org.apache.kafka.storage.internals.log.LogConfig;

/**
 * Kafka 4.4's own definitions of the topic configs (names, types, defaults, validators and docs, from
 * {@code LogConfig}), so KoP knows, checks and describes exactly the configs a Kafka broker has.
 */
public final class KafkaTopicConfigDefs {
    private static final Map<String, ConfigDef.ConfigKey> KEYS = LogConfig.configKeys();
    private static final List<String> NAMES = List.copyOf(LogConfig.nonInternalConfigNames());

    private KafkaTopicConfigDefs() {
    }

    /** Every topic config a Kafka 4.4 broker describes, in its order. */
    public static List<String> names() {
        return NAMES;
    }

    public static boolean known(String name) {
        return NAMES.contains(name);
    }

    /** Kafka's default as DescribeConfigs shows it; empty when it has none. */
    public static Optional<String> defaultValue(String name) {
        ConfigDef.ConfigKey k = key(name);
        return k.hasDefault() ? Optional.ofNullable(ConfigDef.convertToString(k.defaultValue, k.type))
                : Optional.empty();
    }

    public static String documentation(String name) {
        return key(name).documentation;
    }

    /** The DescribeConfigs (v3+) type id of a config. */
    public static byte typeId(String name) {
        return switch (key(name).type) {
            case BOOLEAN -> DescribeConfigsResponse.ConfigType.BOOLEAN.id();
            case STRING -> DescribeConfigsResponse.ConfigType.STRING.id();
            case INT -> DescribeConfigsResponse.ConfigType.INT.id();
            case SHORT -> DescribeConfigsResponse.ConfigType.SHORT.id();
            case LONG -> DescribeConfigsResponse.ConfigType.LONG.id();
            case DOUBLE -> DescribeConfigsResponse.ConfigType.DOUBLE.id();
            case LIST -> DescribeConfigsResponse.ConfigType.LIST.id();
            case CLASS -> DescribeConfigsResponse.ConfigType.CLASS.id();
            case PASSWORD -> DescribeConfigsResponse.ConfigType.PASSWORD.id();
        };
    }

    public static boolean isList(String name) {
        return key(name).type == ConfigDef.Type.LIST;
    }

    /**
     * The value as Kafka would store it (parsed and checked against the config's type and validator,
     * then written back), or INVALID_CONFIG naming the config and the rule it breaks.
     */
    public static String normalize(String name, String value) {
        ConfigDef.ConfigKey k = key(name);
        try {
            Object parsed = ConfigDef.parseType(name, value, k.type);
            if (k.validator != null) {
                k.validator.ensureValid(name, parsed);
            }
            return ConfigDef.convertToString(parsed, k.type);
        } catch (ConfigException e) {
            throw new InvalidConfigurationException(e.getMessage());
        }
    }

    private static ConfigDef.ConfigKey key(String name) {
        ConfigDef.ConfigKey k = KEYS.get(name);
        if (k == null) {
            throw new InvalidConfigurationException("Unknown topic config name: " + name);
        }
        return k;
    }
}
