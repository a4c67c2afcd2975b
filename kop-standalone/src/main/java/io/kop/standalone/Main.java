package io.kop.standalone;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** {@code ./kop standalone}: starts the standalone, prints one line when it is ready, runs until stopped. */
public final class Main {
    private static final String USAGE = """
            usage: ./kop standalone [options]
              --data-dir DIR       where data is kept across restarts (default: ./data)
              --wipe               delete the data directory first
              --host HOST          address to bind and advertise (default: 127.0.0.1)
              --kafka-port N       Kafka listener (default: 9092; SASL_PLAINTEXT with --secure)
              --secure             token authentication and authorization on, SASL_PLAINTEXT and
                                   SASL_SSL listeners, a generated CA, an admin token and client
                                   settings in DATA/secure (see the README)
              --kafka-ssl-port N   the SASL_SSL listener with --secure (default: 9093)
              --pulsar-port N      Pulsar binary protocol (default: 6650)
              --http-port N        Pulsar HTTP admin API (default: 8080)
              --bookie-port N      BookKeeper bookie (default: 3181)
              --fsync              sync the bookie journal on every write (durable, slower)
              --conf KEY=VALUE     any other broker.conf key (repeatable)
              --nar FILE           the KoP handler NAR (set by ./kop)""";

    private static final CommandLine CLI = new CommandLine(USAGE);

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        long startedAt = System.currentTimeMillis();
        Path dataDir = Path.of("data");
        Path nar = null;
        String host = "127.0.0.1";
        int kafka = 9092;
        int pulsar = 6650;
        int http = 8080;
        int bookie = 3181;
        boolean wipe = false;
        boolean fsync = false;
        boolean secure = false;
        int kafkaSsl = 9093;
        Map<String, String> extra = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--data-dir" -> dataDir = Path.of(CLI.value(args, ++i, a));
                case "--nar" -> nar = Path.of(CLI.value(args, ++i, a));
                case "--host" -> host = CLI.value(args, ++i, a);
                case "--kafka-port" -> kafka = port(CLI.value(args, ++i, a));
                case "--pulsar-port" -> pulsar = port(CLI.value(args, ++i, a));
                case "--http-port" -> http = port(CLI.value(args, ++i, a));
                case "--bookie-port" -> bookie = port(CLI.value(args, ++i, a));
                case "--wipe" -> wipe = true;
                case "--fsync" -> fsync = true;
                case "--secure" -> secure = true;
                case "--kafka-ssl-port" -> kafkaSsl = port(CLI.value(args, ++i, a));
                case "--conf" -> CLI.conf(CLI.value(args, ++i, a), extra);
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> CLI.fail("unknown option " + a);
            }
        }
        if (nar == null) {
            CLI.fail("--nar is required (./kop standalone sets it)");
        }
        SecureSetup secureSetup = null;
        if (secure) {
            if (wipe) {
                DataFiles.deleteRecursively(dataDir.toAbsolutePath());
                wipe = false;
            }
            secureSetup = new SecureSetup(dataDir.toAbsolutePath(), host);
            Map<String, String> secureConf = new HashMap<>(secureSetup.prepare(kafka, kafkaSsl));
            secureConf.putAll(extra); // --conf wins
            extra = secureConf;
        }
        KopStandalone.Options options = new KopStandalone.Options(dataDir, nar, host, kafka, pulsar, http, bookie,
                wipe, fsync, extra);
        KopStandalone standalone;
        try {
            standalone = KopStandalone.start(options);
        } catch (Throwable t) {
            System.err.println("KoP standalone failed to start: " + t);
            System.err.println("Details are in " + dataDir.resolve("logs/kop.log"));
            Runtime.getRuntime().halt(1);
            return;
        }
        System.out.printf("KoP standalone ready in %.1f s: Kafka %s | Pulsar %s | HTTP %s | data %s%n",
                (System.currentTimeMillis() - startedAt) / 1000.0, standalone.kafkaBootstrap(),
                standalone.pulsarUrl(), standalone.httpUrl(), dataDir.toAbsolutePath());
        if (secureSetup != null) {
            Path dir = secureSetup.dir();
            System.out.println("Secure: SASL_PLAINTEXT " + host + ":" + kafka + " | SASL_SSL " + host + ":" + kafkaSsl
                    + " | admin token in " + secureSetup.adminTokenFile());
            System.out.println("  Kafka clients: " + dir.resolve("client-sasl-ssl.properties") + " or "
                    + dir.resolve("client-sasl-plaintext.properties"));
            System.out.println("  librdkafka:    " + dir.resolve("librdkafka-sasl-ssl.conf") + " or "
                    + dir.resolve("librdkafka-sasl-plaintext.conf"));
            System.out.println("  Pulsar admin:  --admin-url " + standalone.httpUrl()
                    + " --auth-plugin org.apache.pulsar.client.impl.auth.AuthenticationToken --auth-params file://"
                    + secureSetup.adminTokenFile());
        }
        // Pulsar's shutdown hook closes broker and bookie on Ctrl-C / SIGTERM.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("KoP standalone stopping")));
        new CountDownLatch(1).await();
    }

    private static int port(String s) {
        try {
            int p = Integer.parseInt(s);
            if (p > 0 && p < 65536) {
                return p;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        CLI.fail("not a port: " + s);
        return -1;
    }
}
