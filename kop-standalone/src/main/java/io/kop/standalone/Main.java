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
              --kafka-port N       Kafka listener (default: 9092)
              --pulsar-port N      Pulsar binary protocol (default: 6650)
              --http-port N        Pulsar HTTP admin API (default: 8080)
              --bookie-port N      BookKeeper bookie (default: 3181)
              --fsync              sync the bookie journal on every write (durable, slower)
              --conf KEY=VALUE     any other broker.conf key (repeatable)
              --nar FILE           the KoP handler NAR (set by ./kop)""";

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
        Map<String, String> extra = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--data-dir" -> dataDir = Path.of(value(args, ++i, a));
                case "--nar" -> nar = Path.of(value(args, ++i, a));
                case "--host" -> host = value(args, ++i, a);
                case "--kafka-port" -> kafka = port(value(args, ++i, a));
                case "--pulsar-port" -> pulsar = port(value(args, ++i, a));
                case "--http-port" -> http = port(value(args, ++i, a));
                case "--bookie-port" -> bookie = port(value(args, ++i, a));
                case "--wipe" -> wipe = true;
                case "--fsync" -> fsync = true;
                case "--conf" -> {
                    String kv = value(args, ++i, a);
                    int eq = kv.indexOf('=');
                    if (eq <= 0) {
                        fail("--conf expects KEY=VALUE, got " + kv);
                    }
                    extra.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> fail("unknown option " + a);
            }
        }
        if (nar == null) {
            fail("--nar is required (./kop standalone sets it)");
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
        // Pulsar's shutdown hook closes broker and bookie on Ctrl-C / SIGTERM.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("KoP standalone stopping")));
        new CountDownLatch(1).await();
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            fail(option + " needs a value");
        }
        return args[i];
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
        fail("not a port: " + s);
        return -1;
    }

    private static void fail(String message) {
        System.err.println(message);
        System.err.println(USAGE);
        System.exit(2);
    }
}
