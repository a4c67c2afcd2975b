package io.kop.config;

import java.util.Locale;

/** How Kafka record batches are stored in Pulsar entries; readers handle both, entry by entry. */
public enum EntryFormat {
    /** Each Kafka record becomes one message of a Pulsar batch: Pulsar consumers read it natively. */
    PULSAR,
    /** The producer's Kafka batch is stored as is: fastest, but Pulsar consumers cannot read it. */
    KAFKA;

    /** The name used in {@code entryFormat} and in the {@code kop.entry.format} topic config. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static EntryFormat parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        for (EntryFormat f : values()) {
            if (f.configName().equals(v)) {
                return f;
            }
        }
        throw new IllegalArgumentException("entry format '" + value + "' is not supported (supported: pulsar, kafka)");
    }
}
