package io.kop.security;

import io.kop.config.KafkaListener;
import io.kop.config.KopConfig;
import io.kop.config.SecurityConfig;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.pulsar.broker.authorization.AuthorizationService;
import org.apache.pulsar.broker.service.BrokerService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker-wide security pieces every Kafka listener shares: Pulsar's authentication providers
 * (credential checks), SCRAM credentials, Pulsar's authorization service (null: off), the group
 * namespaces, the TLS engines (when a listener uses TLS) and the pool SASL mechanisms run on.
 * {@link #forListener} gives each listener what its connections need.
 */
public final class BrokerSecurity implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrokerSecurity.class);

    final SecurityConfig config;
    final PulsarCredentials credentials;
    final ScramCredentials scram;
    final AuthorizationService authorization;
    final GroupNamespaces groupNamespaces;
    final TlsEngines tls;
    final Executor saslExecutor;
    final String defaultTenant;
    final String defaultNamespace;
    private final ThreadPoolExecutor ownedPool;

    private BrokerSecurity(SecurityConfig config, PulsarCredentials credentials, ScramCredentials scram,
                           AuthorizationService authorization, GroupNamespaces groupNamespaces, TlsEngines tls,
                           ThreadPoolExecutor ownedPool, Executor saslExecutor, String defaultTenant,
                           String defaultNamespace) {
        this.config = config;
        this.credentials = credentials;
        this.scram = scram;
        this.authorization = authorization;
        this.groupNamespaces = groupNamespaces;
        this.tls = tls;
        this.ownedPool = ownedPool;
        this.saslExecutor = saslExecutor;
        this.defaultTenant = defaultTenant;
        this.defaultNamespace = defaultNamespace;
    }

    /** The broker's security, set up from its configuration (TLS engines only if a listener uses TLS). */
    public static BrokerSecurity start(KopConfig config, BrokerService brokerService, ScramCredentials scram) {
        var pulsar = brokerService.getPulsar();
        SecurityConfig sc = config.security();
        TlsEngines tls = null;
        if (config.listeners().stream().anyMatch(KafkaListener::tls)) {
            try {
                tls = new TlsEngines(pulsar.getConfiguration(), sc.tls(), pulsar.getExecutor());
            } catch (Exception e) {
                throw new IllegalStateException("cannot set up TLS for the Kafka listeners: " + e, e);
            }
        }
        // SASL mechanisms wait for Pulsar's authentication providers: never on an event loop. Core
        // threads time out, so an idle broker keeps none; up to 4 logins are checked at once.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(4, 4, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                new DefaultThreadFactory("kop-sasl", true));
        pool.allowCoreThreadTimeOut(true);
        return new BrokerSecurity(sc,
                new PulsarCredentials(sc.authenticationEnabled() ? brokerService.getAuthenticationService() : null),
                scram, sc.authorizationEnabled() ? brokerService.getAuthorizationService() : null,
                new GroupNamespaces(pulsar.getLocalMetadataStore(), config.multiTenantMetadata()), tls, pool, pool, config.kafkaTenant(),
                config.kafkaNamespace());
    }

    /** No authentication and no authorization, for unit tests of the network layer. */
    public static BrokerSecurity none(String tenant, String namespace) {
        return new BrokerSecurity(new SecurityConfig(java.util.Set.of(), 0, false, false, null, 0, "token"),
                new PulsarCredentials(null), null, null, null, null, null, Runnable::run, tenant, namespace);
    }

    public ListenerSecurity forListener(KafkaListener listener) {
        return new ListenerSecurity(listener, this);
    }

    @Override
    public void close() {
        if (tls != null) {
            try {
                tls.close();
            } catch (Exception e) {
                log.warn("closing TLS: {}", e.toString());
            }
        }
        if (ownedPool != null) {
            ownedPool.shutdownNow();
        }
    }
}
