package io.kop.security;

import io.kop.config.KafkaListener;
import io.kop.config.KopConfig;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.apache.pulsar.broker.ServiceConfiguration;
import org.apache.pulsar.client.api.Authentication;
import org.apache.pulsar.client.api.AuthenticationDataProvider;
import org.apache.pulsar.client.api.AuthenticationFactory;

/**
 * Kafka client settings for the broker's own Kafka connections to KoP (the group-subscription mirror
 * asks every group coordinator for committed offsets). Picks the simplest of this broker's advertised
 * listeners and, on a SASL listener, authenticates with PLAIN as the broker's own Pulsar client does
 * ({@code brokerClientAuthenticationPlugin}/{@code Parameters}; the username names the tenant to act
 * in), trusting {@code tlsTrustCertsFilePath}
 * on SASL_SSL. Empty when no listener can be used that way.
 */
public final class BrokerKafkaClient {
    private BrokerKafkaClient() {
    }

    /**
     * The listener {@link #settings} connects through (the same name on every broker), so that requests
     * to a given broker go to its address on that listener; empty when none can be used.
     */
    public static Optional<KafkaListener> listener(KopConfig config, ServiceConfiguration conf, String tenant) {
        List<String> order = List.of("PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL", "SSL");
        return config.advertisedListeners().stream()
                .filter(l -> tenant == null || l.sasl())
                .filter(l -> !l.sasl() || config.security().saslMechanisms().contains("PLAIN"))
                .filter(l -> !l.tls() || conf.getTlsTrustCertsFilePath() != null
                        && !conf.getTlsTrustCertsFilePath().isBlank())
                .filter(l -> !l.securityProtocol().equals("SSL") || !config.security().tls().clientCertRequired())
                .min(Comparator.comparingInt(l -> order.indexOf(l.securityProtocol())));
    }

    /** {@code tenant}: the tenant to act in (as a SASL PLAIN username), or null for none in particular. */
    public static Optional<Properties> settings(KopConfig config, ServiceConfiguration conf, String tenant) {
        Optional<KafkaListener> listener = listener(config, conf, tenant);
        if (listener.isEmpty()) {
            return Optional.empty();
        }
        KafkaListener l = listener.get();
        Properties p = new Properties();
        p.put("bootstrap.servers", l.host() + ":" + l.port());
        p.put("security.protocol", l.securityProtocol());
        if (l.tls()) {
            p.put("ssl.truststore.type", "PEM");
            p.put("ssl.truststore.location", conf.getTlsTrustCertsFilePath());
            p.put("ssl.endpoint.identification.algorithm", "");
        }
        if (l.sasl()) {
            String password;
            try (Authentication auth = AuthenticationFactory.create(conf.getBrokerClientAuthenticationPlugin(),
                    conf.getBrokerClientAuthenticationParameters())) {
                auth.start();
                AuthenticationDataProvider data = auth.getAuthData();
                if (!data.hasDataFromCommand()) {
                    return Optional.empty();
                }
                password = auth.getAuthMethodName() + ":" + data.getCommandData();
            } catch (Exception e) {
                return Optional.empty();
            }
            p.put("sasl.mechanism", "PLAIN");
            p.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                    + (tenant != null ? tenant : config.metadataTenant()) + "\" password=\"" + password.replace("\"", "\\\"") + "\";");
        }
        return Optional.of(p);
    }
}
