package io.kop.security;

import io.kop.config.SecurityConfig;
import io.netty.buffer.ByteBufAllocator;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import org.apache.pulsar.broker.ServiceConfiguration;
import org.apache.pulsar.common.util.PulsarSslConfiguration;
import org.apache.pulsar.common.util.PulsarSslFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server TLS engines for SSL and SASL_SSL listeners, made by the broker's own SSL factory plugin
 * ({@code sslFactoryPlugin}, Pulsar's {@code DefaultPulsarSslFactory} by default) from PEM files or a
 * keystore. The certificate files are checked every {@code tlsCertRefreshCheckDurationSec} and
 * reloaded when they changed; connections made after that use the new certificate.
 */
public final class TlsEngines implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TlsEngines.class);

    private final PulsarSslFactory factory;
    private final ScheduledFuture<?> refresh;

    public TlsEngines(ServiceConfiguration conf, SecurityConfig.Tls tls, ScheduledExecutorService scheduler)
            throws Exception {
        PulsarSslConfiguration ssl = PulsarSslConfiguration.builder()
                .tlsEnabledWithKeystore(tls.keyStore())
                .tlsKeyStoreType(tls.keyStoreType()).tlsKeyStorePath(tls.keyStorePath())
                .tlsKeyStorePassword(tls.keyStorePassword())
                .tlsTrustStoreType(tls.trustStoreType()).tlsTrustStorePath(tls.trustStorePath())
                .tlsTrustStorePassword(tls.trustStorePassword())
                .tlsCertificateFilePath(tls.certificateFile()).tlsKeyFilePath(tls.keyFile())
                .tlsTrustCertsFilePath(tls.trustCertsFile())
                .tlsProtocols(tls.protocols()).tlsCiphers(tls.ciphers())
                .allowInsecureConnection(conf.isTlsAllowInsecureConnection())
                .requireTrustedClientCertOnConnect(tls.clientCertRequired())
                .tlsCustomParams(conf.getSslFactoryPluginParams())
                .serverMode(true).isHttps(false)
                .build();
        factory = (PulsarSslFactory) Class.forName(conf.getSslFactoryPlugin()).getConstructor().newInstance();
        factory.initialize(ssl);
        factory.createInternalSslContext();
        refresh = tls.refreshSeconds() > 0
                ? scheduler.scheduleWithFixedDelay(this::reloadIfChanged, tls.refreshSeconds(), tls.refreshSeconds(),
                        TimeUnit.SECONDS)
                : null;
    }

    public SSLEngine newServerEngine(ByteBufAllocator alloc) {
        return factory.createServerSslEngine(alloc);
    }

    private void reloadIfChanged() {
        try {
            if (factory.needsUpdate()) { // records the files' times: update() would ask again and see none
                factory.createInternalSslContext();
                log.info("Kafka listeners' TLS certificate reloaded");
            }
        } catch (Exception e) {
            log.warn("Kafka listeners' TLS certificate not reloaded, the previous one stays: {}", e.toString());
        }
    }

    @Override
    public void close() throws Exception {
        if (refresh != null) {
            refresh.cancel(false);
        }
        factory.close();
    }
}
