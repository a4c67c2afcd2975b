package io.kop.coordinator.bridge;

import io.kop.config.DescribedConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;
import org.apache.kafka.coordinator.group.GroupConfig;

/**
 * Kafka 4.4's group configs (from {@code GroupConfig}) that apply to the groups KoP serves, the
 * consumer protocol's {@code consumer.*}, with the values its coordinator uses: the broker's
 * {@code group.consumer.*} setting (KoP's configuration) or Kafka's default.
 */
public final class KafkaGroupConfigDefs {
    private KafkaGroupConfigDefs() {
    }

    public static List<DescribedConfig> describe(Map<String, Object> coordinatorConfig) {
        List<DescribedConfig> out = new ArrayList<>();
        for (ConfigDef.ConfigKey key : GroupConfig.CONFIG_DEF.configKeys().values()) {
            if (!key.name.startsWith("consumer.") || GroupConfig.isInternal(key.name)) {
                continue;
            }
            Optional<String> synonym = GroupConfig.brokerSynonym(key.name);
            Object broker = synonym.map(coordinatorConfig::get).orElse(null);
            String value = broker != null ? broker.toString()
                    : key.hasDefault() ? ConfigDef.convertToString(key.defaultValue, key.type) : null;
            out.add(new DescribedConfig(key.name, value, broker != null ? ConfigSource.STATIC_BROKER_CONFIG
                    : ConfigSource.DEFAULT_CONFIG, type(key.type), false, key.documentation));
        }
        return out;
    }

    private static ConfigType type(ConfigDef.Type t) {
        return switch (t) {
            case BOOLEAN -> ConfigType.BOOLEAN;
            case INT -> ConfigType.INT;
            case SHORT -> ConfigType.SHORT;
            case LONG -> ConfigType.LONG;
            case DOUBLE -> ConfigType.DOUBLE;
            case LIST -> ConfigType.LIST;
            case CLASS -> ConfigType.CLASS;
            case PASSWORD -> ConfigType.PASSWORD;
            case STRING -> ConfigType.STRING;
        };
    }
}
