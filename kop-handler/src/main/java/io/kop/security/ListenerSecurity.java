package io.kop.security;

import io.kop.config.KafkaListener;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import javax.net.ssl.SSLSession;

/**
 * How connections of one listener authenticate: TLS (with its engines) or not, SASL or not, and who a
 * connection is before or without SASL: the role of its client certificate when the broker has
 * Pulsar's {@code tls} provider, else Pulsar's {@code anonymousUserRole}, else nobody (refused by
 * authorization; with authentication off nothing is checked at all).
 */
public final class ListenerSecurity {
    private final KafkaListener listener;
    private final BrokerSecurity broker;

    ListenerSecurity(KafkaListener listener, BrokerSecurity broker) {
        this.listener = listener;
        this.broker = broker;
    }

    /** A PLAINTEXT listener with authentication off: every connection is nobody, and nothing is checked. */
    public static ListenerSecurity none(String tenant, String namespace) {
        return BrokerSecurity.none(tenant, namespace)
                .forListener(new KafkaListener("PLAINTEXT", "PLAINTEXT", "127.0.0.1", 9092));
    }

    /** The TLS engines, or null for a plaintext listener. */
    public TlsEngines tls() {
        return listener.tls() ? broker.tls : null;
    }

    public SaslAuthenticator newAuthenticator(SocketAddress remote, Supplier<SSLSession> ssl) {
        return new SaslAuthenticator(listener.sasl(), anonymous(), broker.config.saslMechanisms(), broker.credentials,
                broker.scram, broker.saslExecutor, broker.defaultTenant, broker.defaultNamespace,
                broker.config.oauthBearerAuthMethod(), broker.config.maxReauthMs(), remote, ssl);
    }

    /** What the connection's principal may do, checked per request by the authorization stage. */
    public Access newAccess(Supplier<Principal> principal) {
        return new Access(broker.authorization, broker.groupNamespaces, principal,
                broker.config.authorizationCacheMs());
    }

    /** Who a connection without SASL is, once its TLS handshake is done: its certificate's role, if any. */
    public CompletableFuture<Principal> certificatePrincipal(SocketAddress remote, SSLSession ssl) {
        return broker.credentials.verifyCertificate(remote, ssl).thenApply(v -> v == null ? anonymous()
                : new Principal(v.role(), v.data(), broker.defaultTenant, broker.defaultNamespace, 0));
    }

    private Principal anonymous() {
        return new Principal(broker.credentials.anonymousRole(), null, broker.defaultTenant,
                broker.defaultNamespace, 0);
    }
}
