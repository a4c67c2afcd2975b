package io.kop.security;

import io.kop.config.KafkaListener;
import io.kop.config.SecurityConfig;
import java.net.SocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import javax.net.ssl.SSLSession;
import org.apache.pulsar.broker.authorization.AuthorizationService;

/**
 * How connections of one listener authenticate: TLS (with its engines) or not, SASL or not, and who a
 * connection is before or without SASL: the role of its client certificate when the broker has
 * Pulsar's {@code tls} provider, else Pulsar's {@code anonymousUserRole}, else nobody (refused by
 * authorization; with authentication off nothing is checked at all).
 */
public final class ListenerSecurity {
    private final KafkaListener listener;
    private final SecurityConfig config;
    private final TlsEngines tls;
    private final PulsarCredentials credentials;
    private final AuthorizationService authorization;
    private final ScramCredentials scram;
    private final GroupNamespaces groupNamespaces;
    private final Executor saslExecutor;
    private final String defaultTenant;
    private final String defaultNamespace;

    /** {@code authorization} null: authorization is off. */
    public ListenerSecurity(KafkaListener listener, SecurityConfig config, TlsEngines tls,
                            PulsarCredentials credentials, ScramCredentials scram, AuthorizationService authorization,
                            GroupNamespaces groupNamespaces, Executor saslExecutor, String defaultTenant,
                            String defaultNamespace) {
        this.scram = scram;
        this.groupNamespaces = groupNamespaces;
        this.listener = listener;
        this.authorization = authorization;
        this.config = config;
        this.tls = tls;
        this.credentials = credentials;
        this.saslExecutor = saslExecutor;
        this.defaultTenant = defaultTenant;
        this.defaultNamespace = defaultNamespace;
    }

    /** A PLAINTEXT listener with authentication off: every connection is nobody, and nothing is checked. */
    public static ListenerSecurity none(String tenant, String namespace) {
        return new ListenerSecurity(new KafkaListener("PLAINTEXT", "PLAINTEXT", "127.0.0.1", 9092),
                new SecurityConfig(java.util.Set.of(), 0, false, false, null, 0, "token"), null,
                new PulsarCredentials(null), null, null, null, Runnable::run, tenant, namespace);
    }

    /** The TLS engines, or null for a plaintext listener. */
    public TlsEngines tls() {
        return listener.tls() ? tls : null;
    }

    public SaslAuthenticator newAuthenticator(SocketAddress remote, Supplier<SSLSession> ssl) {
        return new SaslAuthenticator(listener.sasl(), anonymous(), config.saslMechanisms(), credentials, scram,
                saslExecutor, defaultTenant, defaultNamespace, config.oauthBearerAuthMethod(), config.maxReauthMs(),
                remote, ssl);
    }

    /** What the connection's principal may do, checked per request by the authorization stage. */
    public Access newAccess(Supplier<Principal> principal) {
        return new Access(authorization, groupNamespaces, principal, config.authorizationCacheMs());
    }

    /** Who a connection without SASL is, once its TLS handshake is done: its certificate's role, if any. */
    public CompletableFuture<Principal> certificatePrincipal(SocketAddress remote, SSLSession ssl) {
        return credentials.verifyCertificate(remote, ssl).thenApply(v -> v == null ? anonymous()
                : new Principal(v.role(), v.data(), defaultTenant, defaultNamespace, 0));
    }

    private Principal anonymous() {
        return new Principal(credentials.anonymousRole(), null, defaultTenant, defaultNamespace, 0);
    }
}
