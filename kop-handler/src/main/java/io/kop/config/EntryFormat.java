package io.kop.config;

import java.util.Locale;

/** How Kafka record batches are stored in Pulsar entries. */
public enum EntryFormat {
    /** Each Kafka record becomes one message of a Pulsar batch: Pulsar consumers read it natively. */
    PULSAR;

    static EntryFormat parse(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals("pulsar")) {
            return PULSAR;
        }
        throw new IllegalArgumentException("entryFormat: '" + value + "' is not supported (supported: pulsar)");
    }
}
