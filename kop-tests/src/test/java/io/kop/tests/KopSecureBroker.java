package io.kop.tests;

import io.kop.cluster.NodeProcess;
import io.kop.standalone.SecureSetup;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.impl.auth.AuthenticationToken;

/**
 * One secure standalone per test JVM, started as an operator would: {@code ./kop standalone --secure}
 * (the same main class in its own JVM), so Pulsar's token authentication and authorization are on. It
 * has three Kafka listeners: SASL_PLAINTEXT, SASL_SSL and SSL (client certificates requested), SASL
 * with PLAIN and OAUTHBEARER.
 */
public final class KopSecureBroker {
    private static KopSecureBroker instance;

    public final int saslPlaintextPort;
    public final int saslSslPort;
    public final int sslPort;
    public final int httpPort;
    private final SecureSetup setup;
    private final NodeProcess process;

    private KopSecureBroker(Path dir, int saslPlaintextPort, int saslSslPort, int sslPort, int httpPort,
                            NodeProcess process) {
        this.saslPlaintextPort = saslPlaintextPort;
        this.saslSslPort = saslSslPort;
        this.sslPort = sslPort;
        this.httpPort = httpPort;
        this.setup = new SecureSetup(dir, "127.0.0.1");
        this.process = process;
    }

    public static synchronized KopSecureBroker get() throws Exception {
        if (instance == null) {
            instance = start();
        }
        return instance;
    }

    private static KopSecureBroker start() throws Exception {
        Path dir = Path.of("target/test-secure-broker").toAbsolutePath();
        Path classes = Path.of(System.getProperty("kop.standalone.dir", "../kop-standalone"));
        String classpath = classes.resolve("target/classes") + ":"
                + Files.readString(classes.resolve("target/classpath.txt")).trim();
        int saslPlain = KopTestBroker.freePort();
        int saslSsl = KopTestBroker.freePort();
        int ssl = KopTestBroker.freePort();
        int http = KopTestBroker.freePort();
        List<String> args = new ArrayList<>(List.of("--secure", "--wipe", "--data-dir", dir.toString(),
                "--nar", KopTestBroker.findNar().toString(),
                "--kafka-port", Integer.toString(saslPlain), "--kafka-ssl-port", Integer.toString(saslSsl),
                "--pulsar-port", Integer.toString(KopTestBroker.freePort()), "--http-port", Integer.toString(http),
                "--bookie-port", Integer.toString(KopTestBroker.freePort()),
                "--conf", "kafkaListeners=SASL_PLAINTEXT://127.0.0.1:" + saslPlain + ",SASL_SSL://127.0.0.1:"
                        + saslSsl + ",SSL://127.0.0.1:" + ssl,
                "--conf", "kopSslClientAuth=requested",
                "--conf", "kafkaGroupSubscriptionIntervalMs=1000",
                "--conf", "kopAuthorizationCacheRefreshMs=500",
                "--conf", "tlsCertRefreshCheckDurationSec=1"));
        NodeProcess p = new NodeProcess("secure-standalone", dir.resolveSibling("test-secure-broker-process"),
                classpath, List.of("@" + classes.resolve("jvm.args").toAbsolutePath(), "-Xmx1g",
                        "-XX:MaxDirectMemorySize=1g"), "io.kop.standalone.Main", args);
        Files.deleteIfExists(p.dir().resolve("console.log"));
        p.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> p.stop(20), "kop-secure-broker-stop"));
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        // ready once the standalone says so: its HTTP port opens before the cluster and tenants exist
        while (!(ready(p) && listening(saslPlain) && listening(saslSsl) && listening(ssl))) {
            if (!p.isAlive()) {
                throw new IllegalStateException("secure standalone exited; see " + p.dir().resolve("console.log"));
            }
            if (System.nanoTime() > deadline) {
                p.stop(5);
                throw new IllegalStateException("secure standalone not ready in 120 s; see " + p.dir());
            }
            Thread.sleep(200);
        }
        return new KopSecureBroker(dir, saslPlain, saslSsl, ssl, http, p);
    }

    /** Whether the standalone in {@code p} said it is ready. */
    static boolean ready(NodeProcess p) {
        try {
            return Files.readString(p.dir().resolve("console.log")).contains("KoP standalone ready");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    public SecureSetup setup() {
        return setup;
    }

    /** A token for {@code role}; {@code expiresIn} null: never expires. */
    public String token(String role, Duration expiresIn) throws Exception {
        return setup.token(role, expiresIn);
    }

    public String adminToken() throws Exception {
        return Files.readString(setup.adminTokenFile()).trim();
    }

    public PulsarAdmin pulsarAdmin() throws Exception {
        return PulsarAdmin.builder().serviceHttpUrl("http://127.0.0.1:" + httpPort)
                .authentication(new AuthenticationToken(adminToken())).build();
    }

    public Path caFile() {
        return setup.dir().resolve("ca.pem");
    }

    /** kafka-clients settings for SASL PLAIN as {@code username} with {@code token:<token>}. */
    public Properties plain(boolean tls, String username, String token) {
        Properties p = new Properties();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + (tls ? saslSslPort : saslPlaintextPort));
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, tls ? "SASL_SSL" : "SASL_PLAINTEXT");
        p.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
        p.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.plain.PlainLoginModule required "
                + "username=\"" + username + "\" password=\"token:" + token + "\";");
        if (tls) {
            trust(p);
        }
        return p;
    }

    /** kafka-clients settings for the SSL listener (TLS only, no client certificate yet). */
    public Properties ssl() {
        Properties p = new Properties();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + sslPort);
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SSL");
        trust(p);
        return p;
    }

    /** Trusts the standalone's CA (a PEM truststore, as kafka-clients reads it since KIP-651). */
    public void trust(Properties p) {
        p.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
        p.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, caFile().toString());
    }

    public static Map<String, Object> with(Properties base, Map<String, Object> extra) {
        Map<String, Object> out = new HashMap<>();
        base.forEach((k, v) -> out.put((String) k, v));
        out.putAll(extra);
        return out;
    }
}
