package io.kop.config;

import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;

/** One config as DescribeConfigs answers it for a broker or group resource. */
public record DescribedConfig(String name, String value, ConfigSource source, ConfigType type, boolean readOnly,
                              String documentation) {
}
