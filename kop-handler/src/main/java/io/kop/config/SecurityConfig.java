package io.kop.config;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import org.apache.pulsar.broker.ServiceConfiguration;

/**
 * The security keys of KoP's listeners: SASL mechanisms, re-authentication, the TLS material of SSL
 * and SASL_SSL listeners (Pulsar's own {@code tls*} keys unless {@code kopSsl*} names a keystore), and
 * the authorization cache. Authentication and authorization themselves are Pulsar's
 * ({@code authenticationEnabled}, {@code authenticationProviders}, {@code authorizationEnabled}).
 */
public record SecurityConfig(Set<String> saslMechanisms, long maxReauthMs, boolean authenticationEnabled,
                             boolean authorizationEnabled, Tls tls, long authorizationCacheMs,
                             String oauthBearerAuthMethod) {
    public static final List<String> MECHANISMS = List.of("PLAIN", "OAUTHBEARER", "SCRAM-SHA-256", "SCRAM-SHA-512");

    /**
     * TLS material: a keystore ({@code keyStorePath} set) or PEM files; trust the same way. Client
     * certificates: {@code none}/{@code requested} accept a connection without one, {@code required}
     * refuses it.
     */
    public record Tls(String keyStoreType, String keyStorePath, String keyStorePassword,
                      String trustStoreType, String trustStorePath, String trustStorePassword,
                      String certificateFile, String keyFile, String trustCertsFile, String clientAuth,
                      Set<String> protocols, Set<String> ciphers, long refreshSeconds) {
        public boolean keyStore() {
            return keyStorePath != null && !keyStorePath.isBlank();
        }

        public boolean clientCertRequired() {
            return clientAuth.equals("required");
        }
    }

    static SecurityConfig from(ServiceConfiguration conf, Properties p, List<KafkaListener> listeners) {
        Set<String> mechanisms = new LinkedHashSet<>();
        for (String m : p.getProperty("saslAllowedMechanisms", "PLAIN").split(",")) {
            String name = m.trim().toUpperCase(Locale.ROOT);
            if (name.isEmpty()) {
                continue;
            }
            if (!MECHANISMS.contains(name)) {
                throw new IllegalArgumentException("saslAllowedMechanisms: '" + m.trim() + "' is not one of "
                        + MECHANISMS);
            }
            mechanisms.add(name);
        }
        boolean sasl = listeners.stream().anyMatch(KafkaListener::sasl);
        if (sasl && mechanisms.isEmpty()) {
            throw new IllegalArgumentException("saslAllowedMechanisms is empty but a listener uses SASL");
        }
        if (sasl && !conf.isAuthenticationEnabled()) {
            throw new IllegalArgumentException("a SASL listener checks credentials with Pulsar's authentication "
                    + "providers: set authenticationEnabled=true and authenticationProviders in broker.conf");
        }
        String clientAuth = p.getProperty("kopSslClientAuth", conf.isTlsRequireTrustedClientCertOnConnect()
                ? "required" : "none").trim().toLowerCase(Locale.ROOT);
        if (!List.of("none", "requested", "required").contains(clientAuth)) {
            throw new IllegalArgumentException("kopSslClientAuth must be none, requested or required, got '"
                    + clientAuth + "'");
        }
        String keyStorePath = p.getProperty("kopSslKeystoreLocation",
                conf.isTlsEnabledWithKeyStore() ? conf.getTlsKeyStore() : "");
        Tls tls = new Tls(
                p.getProperty("kopSslKeystoreType", conf.getTlsKeyStoreType()).trim(),
                blankToNull(keyStorePath),
                p.getProperty("kopSslKeystorePassword", conf.getTlsKeyStorePassword()),
                p.getProperty("kopSslTruststoreType", conf.getTlsTrustStoreType()).trim(),
                blankToNull(p.getProperty("kopSslTruststoreLocation",
                        conf.isTlsEnabledWithKeyStore() ? conf.getTlsTrustStore() : "")),
                p.getProperty("kopSslTruststorePassword", conf.getTlsTrustStorePassword()),
                blankToNull(conf.getTlsCertificateFilePath()), blankToNull(conf.getTlsKeyFilePath()),
                blankToNull(conf.getTlsTrustCertsFilePath()), clientAuth,
                csv(p.getProperty("kopSslEnabledProtocols"), conf.getTlsProtocols()),
                csv(p.getProperty("kopSslCipherSuites"), conf.getTlsCiphers()),
                conf.getTlsCertRefreshCheckDurationSec());
        if (listeners.stream().anyMatch(KafkaListener::tls) && !tls.keyStore()
                && (tls.certificateFile() == null || tls.keyFile() == null)) {
            throw new IllegalArgumentException("an SSL or SASL_SSL listener needs a certificate: set "
                    + "tlsCertificateFilePath and tlsKeyFilePath (PEM), or kopSslKeystoreLocation");
        }
        long maxReauthMs = Long.parseLong(p.getProperty("kafkaConnectionsMaxReauthMs", "0").trim());
        long cacheMs = Long.parseLong(p.getProperty("kopAuthorizationCacheRefreshMs", "30000").trim());
        return new SecurityConfig(Set.copyOf(mechanisms), maxReauthMs, conf.isAuthenticationEnabled(),
                conf.isAuthorizationEnabled(), tls, cacheMs,
                p.getProperty("kopOauthBearerAuthMethod", "token").trim());
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static Set<String> csv(String value, Set<String> dflt) {
        if (value == null || value.isBlank()) {
            return dflt == null ? Set.of() : Set.copyOf(dflt);
        }
        List<String> out = new ArrayList<>();
        for (String s : value.split(",")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return Set.copyOf(out);
    }
}
