package io.kop.security;

import org.apache.pulsar.broker.authentication.AuthenticationDataSource;

/**
 * Who a connection acts as: the Pulsar role (null: nobody, every check refuses), the data it proved
 * that with (Pulsar's authorization providers may look at it), the namespace its short topic names
 * resolve in, and when its credential expires (0: never).
 */
public record Principal(String role, AuthenticationDataSource authData, String tenant, String namespace,
                        long expiresAtMs) {
    public String defaultNamespace() {
        return tenant + "/" + namespace;
    }
}
