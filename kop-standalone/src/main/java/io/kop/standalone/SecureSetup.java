package io.kop.standalone;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.spec.SecretKeySpec;
import org.apache.pulsar.broker.authentication.utils.AuthTokenUtils;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;

/**
 * {@code ./kop standalone --secure}: the keys, certificates, tokens and broker.conf lines of a standalone
 * with Pulsar's token authentication and authorization on, a SASL_PLAINTEXT and a SASL_SSL listener,
 * and ready-to-use client settings. Made once in {@code <data>/secure} and reused on later starts.
 * Files: {@code ca.pem} (the CA clients trust), {@code broker.pem}/{@code broker-key.pem},
 * {@code token-secret.key} (HS256), {@code admin.token} (a superuser), {@code client-*.properties}
 * (kafka-clients) and {@code librdkafka-*.conf}.
 */
public final class SecureSetup {
    public static final String ADMIN_ROLE = "admin";

    private final Path dir;
    private final String host;

    public SecureSetup(Path dataDir, String host) {
        this.dir = dataDir.resolve("secure");
        this.host = host;
    }

    public Path dir() {
        return dir;
    }

    public Path adminTokenFile() {
        return dir.resolve("admin.token");
    }

    /**
     * Writes the CA, certificates and tokens of {@code <dir>/secure} without starting anything (the
     * benchmark gives Apache Kafka the same certificate as KoP), plus {@code broker-keystore.pem}, the
     * broker's key and certificate in one file as Kafka's PEM keystore reads it.
     * Usage: {@code SecureSetup DIR HOST}.
     */
    public static void main(String[] args) throws Exception {
        SecureSetup s = new SecureSetup(Path.of(args[0]), args[1]);
        s.prepare(9092, 9093);
        Files.writeString(s.dir.resolve("broker-keystore.pem"), Files.readString(s.dir.resolve("broker-key.pem"))
                + Files.readString(s.dir.resolve("broker.pem")));
        System.out.println(s.dir);
    }

    /** Creates what is missing; returns the broker.conf lines. */
    public Map<String, String> prepare(int saslPlainPort, int saslSslPort) throws Exception {
        Files.createDirectories(dir);
        if (!Files.exists(dir.resolve("broker.pem"))) {
            writeCertificates();
        }
        if (!Files.exists(dir.resolve("token-secret.key"))) {
            Key secret = AuthTokenUtils.createSecretKey(io.jsonwebtoken.SignatureAlgorithm.HS256);
            Files.write(dir.resolve("token-secret.key"), secret.getEncoded());
        }
        if (!Files.exists(adminTokenFile())) {
            Files.writeString(adminTokenFile(), token(ADMIN_ROLE, null));
        }
        String adminToken = Files.readString(adminTokenFile()).trim();
        writeClientFiles(adminToken, saslPlainPort, saslSslPort);

        Map<String, String> c = new LinkedHashMap<>();
        c.put("authenticationEnabled", "true");
        c.put("authenticationProviders", "org.apache.pulsar.broker.authentication.AuthenticationProviderToken,"
                + "org.apache.pulsar.broker.authentication.AuthenticationProviderTls");
        c.put("tokenSecretKey", "file://" + dir.resolve("token-secret.key").toAbsolutePath());
        c.put("authorizationEnabled", "true");
        c.put("superUserRoles", ADMIN_ROLE);
        c.put("brokerClientAuthenticationPlugin", "org.apache.pulsar.client.impl.auth.AuthenticationToken");
        c.put("brokerClientAuthenticationParameters", "token:" + adminToken);
        c.put("tlsCertificateFilePath", dir.resolve("broker.pem").toAbsolutePath().toString());
        c.put("tlsKeyFilePath", dir.resolve("broker-key.pem").toAbsolutePath().toString());
        c.put("tlsTrustCertsFilePath", dir.resolve("ca.pem").toAbsolutePath().toString());
        c.put("kafkaListeners", "SASL_PLAINTEXT://" + host + ":" + saslPlainPort + ",SASL_SSL://" + host + ":"
                + saslSslPort);
        c.put("saslAllowedMechanisms", "PLAIN,OAUTHBEARER,SCRAM-SHA-256,SCRAM-SHA-512");
        return c;
    }

    /** A token for {@code role} signed with this standalone's key; {@code expiresIn} null: never expires. */
    public String token(String role, Duration expiresIn) throws IOException {
        byte[] secret = Files.readAllBytes(dir.resolve("token-secret.key"));
        Key key = new SecretKeySpec(secret, "HmacSHA256");
        return AuthTokenUtils.createToken(key, role,
                Optional.ofNullable(expiresIn).map(d -> Date.from(Instant.now().plus(d))));
    }

    private void writeClientFiles(String adminToken, int saslPlainPort, int saslSslPort) throws IOException {
        String ca = dir.resolve("ca.pem").toAbsolutePath().toString();
        String jaas = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"public/default\""
                + " password=\"token:" + adminToken + "\";";
        String kafkaClients = "# kafka-clients / Kafka CLI tools: --command-config or --producer.config/--consumer.config";
        List<String> plainKafka = List.of(kafkaClients, "bootstrap.servers=" + host + ":" + saslPlainPort,
                "security.protocol=SASL_PLAINTEXT", "sasl.mechanism=PLAIN", "sasl.jaas.config=" + jaas);
        List<String> sslKafka = List.of(kafkaClients, "bootstrap.servers=" + host + ":" + saslSslPort,
                "security.protocol=SASL_SSL", "sasl.mechanism=PLAIN", "sasl.jaas.config=" + jaas,
                "ssl.truststore.type=PEM", "ssl.truststore.location=" + ca);
        String librdkafka = "# librdkafka (kcat -F, confluent-kafka): username = tenant[/namespace], password = token:<JWT>";
        List<String> credentials = List.of("sasl.mechanisms=PLAIN", "sasl.username=public/default",
                "sasl.password=token:" + adminToken);
        List<String> plainRd = new ArrayList<>(List.of(librdkafka, "bootstrap.servers=" + host + ":" + saslPlainPort,
                "security.protocol=SASL_PLAINTEXT"));
        plainRd.addAll(credentials);
        List<String> sslRd = new ArrayList<>(List.of(librdkafka, "bootstrap.servers=" + host + ":" + saslSslPort,
                "security.protocol=SASL_SSL", "ssl.ca.location=" + ca));
        sslRd.addAll(credentials);
        Files.writeString(dir.resolve("client-sasl-plaintext.properties"), String.join("\n", plainKafka) + "\n");
        Files.writeString(dir.resolve("client-sasl-ssl.properties"), String.join("\n", sslKafka) + "\n");
        Files.writeString(dir.resolve("librdkafka-sasl-plaintext.conf"), String.join("\n", plainRd) + "\n");
        Files.writeString(dir.resolve("librdkafka-sasl-ssl.conf"), String.join("\n", sslRd) + "\n");
    }

    /**
     * A client certificate for {@code role} (its CN, which Pulsar's {@code tls} provider takes as the
     * role) signed by this standalone's CA: {@code client-<role>.pem} holds the key and the certificate,
     * the form kafka-clients reads with {@code ssl.keystore.type=PEM}.
     */
    public Path clientCertificate(String role) throws Exception {
        Path out = dir.resolve("client-" + role + ".pem");
        if (!Files.exists(out)) {
            Issued c = issue("CN=" + role, null);
            Files.writeString(out, c.keyPem() + c.certificatePem());
        }
        return out;
    }

    /**
     * A new broker certificate and key from the same CA, written over {@code broker.pem} and
     * {@code broker-key.pem} (a renewal: the broker reloads them); its serial number.
     */
    public BigInteger renewBrokerCertificate() throws Exception {
        Issued c = issue("CN=" + host, brokerNames());
        // key first: the reload reads both files once either changed, and a new certificate
        // with the old key would not load
        Files.writeString(dir.resolve("broker-key.pem"), c.keyPem());
        Files.writeString(dir.resolve("broker.pem"), c.certificatePem());
        return c.certificate().getSerialNumber();
    }

    private record Issued(X509Certificate certificate, String certificatePem, String keyPem) {
    }

    /** A certificate for {@code subject} (with {@code names} as alternative names) signed by the stored CA. */
    private Issued issue(String subject, GeneralNames names) throws Exception {
        X509Certificate caCert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("ca.pem"))));
        String keyPem = Files.readString(dir.resolve("ca-key.pem")).replaceAll("-----[A-Z ]+-----", "")
                .replaceAll("\\s", "");
        PrivateKey caKey = java.security.KeyFactory.getInstance("RSA")
                .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(Base64.getDecoder().decode(keyPem)));
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        KeyPair keys = rsa.generateKeyPair();
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                X500Name.getInstance(caCert.getSubjectX500Principal().getEncoded()), serial(),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(3650))),
                new X500Name(subject), keys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        if (names != null) {
            builder.addExtension(Extension.subjectAlternativeName, false, names);
        }
        X509Certificate cert = sign(builder, caKey);
        return new Issued(cert, pem("CERTIFICATE", cert.getEncoded()), pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    }

    private GeneralNames brokerNames() {
        return new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, "localhost"),
            new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
            new GeneralName(isAddress(host) ? GeneralName.iPAddress : GeneralName.dNSName, host)});
    }

    /** A CA (ten years), then a broker certificate it signs for the host, localhost and 127.0.0.1. */
    private void writeCertificates() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        KeyPair caKeys = rsa.generateKeyPair();
        X500Name caName = new X500Name("CN=KoP standalone CA");
        Instant now = Instant.now();
        X509v3CertificateBuilder caBuilder = new JcaX509v3CertificateBuilder(caName, serial(),
                Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(3650))), caName,
                caKeys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        X509Certificate caCert = sign(caBuilder, caKeys.getPrivate());
        Files.writeString(dir.resolve("ca.pem"), pem("CERTIFICATE", caCert.getEncoded()));
        Files.writeString(dir.resolve("ca-key.pem"), pem("PRIVATE KEY", caKeys.getPrivate().getEncoded()));
        renewBrokerCertificate();
    }

    private static boolean isAddress(String host) {
        return host.chars().allMatch(ch -> Character.isDigit(ch) || ch == '.') || host.contains(":");
    }

    private static BigInteger serial() {
        return new BigInteger(64, new SecureRandom());
    }

    /**
     * Signs with the JDK's SHA256withRSA. (BouncyCastle's signer finder is not used: the broker's
     * classpath mixes bcpkix and bcprov versions, and its class initialisation fails.)
     */
    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key) throws Exception {
        Signature signature = Signature.getInstance("SHA256withRSA");
        signature.initSign(key);
        ByteArrayOutputStream tbs = new ByteArrayOutputStream();
        ContentSigner signer = new ContentSigner() {
            @Override
            public AlgorithmIdentifier getAlgorithmIdentifier() {
                return new AlgorithmIdentifier(PKCSObjectIdentifiers.sha256WithRSAEncryption, DERNull.INSTANCE);
            }

            @Override
            public OutputStream getOutputStream() {
                return tbs;
            }

            @Override
            public byte[] getSignature() {
                try {
                    signature.update(tbs.toByteArray());
                    return signature.sign();
                } catch (SignatureException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
        byte[] der = builder.build(signer).getEncoded();
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
