package io.kop.cluster;

import io.kop.standalone.CommandLine;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/** {@code ./kop cluster}: starts a local multi-broker Pulsar cluster with KoP, prints one ready line. */
public final class ClusterMain {
    private static final String USAGE = """
            usage: ./kop cluster [options]
              --brokers N          brokers, each loading the KoP NAR (default: 2)
              --bookies M          bookies; ledgers are written to 2 of them (default: 3, at least 2)
              --data-dir DIR       where every node keeps its data and logs (default: ./data-cluster)
              --wipe               delete the data directory first
              --conf KEY=VALUE     any other broker.conf key for every broker (repeatable)
              --nar FILE           the KoP handler NAR (set by ./kop)
            Ports: ZooKeeper 2181, bookie i 3181+i, broker i Kafka 9092+i, Pulsar 6650+i, HTTP 8080+i.
            Ctrl-C stops brokers, bookies and ZooKeeper.""";

    private static final CommandLine CLI = new CommandLine(USAGE);

    private ClusterMain() {
    }

    public static void main(String[] args) throws Exception {
        long startedAt = System.currentTimeMillis();
        Path dataDir = Path.of("data-cluster");
        Path nar = null;
        Path jvmArgs = null;
        int brokers = 2;
        int bookies = 3;
        boolean wipe = false;
        Map<String, String> extra = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--brokers" -> brokers = count(CLI.value(args, ++i, a), 1, 9, a);
                case "--bookies" -> bookies = count(CLI.value(args, ++i, a), 2, 9, a);
                case "--data-dir" -> dataDir = Path.of(CLI.value(args, ++i, a));
                case "--nar" -> nar = Path.of(CLI.value(args, ++i, a));
                case "--jvm-args" -> jvmArgs = Path.of(CLI.value(args, ++i, a));
                case "--wipe" -> wipe = true;
                case "--conf" -> CLI.conf(CLI.value(args, ++i, a), extra);
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> CLI.fail("unknown option " + a);
            }
        }
        if (nar == null) {
            CLI.fail("--nar is required (./kop cluster sets it)");
        }
        KopCluster.Options defaults = KopCluster.Options.defaults(dataDir, nar, System.getProperty("java.class.path"),
                jvmArgs, brokers, bookies, wipe);
        KopCluster.Options options = new KopCluster.Options(defaults.dataDir(), nar, defaults.classpath(), jvmArgs,
                defaults.host(), defaults.externalHost(), defaults.zkPort(), defaults.bookiePorts(), defaults.brokers(),
                wipe, extra);
        System.out.println("Starting ZooKeeper, " + bookies + " bookies and " + brokers + " brokers in "
                + dataDir.toAbsolutePath() + " (each node's log: <node>/logs/kop.log)");
        KopCluster cluster;
        try {
            cluster = KopCluster.start(options);
        } catch (Throwable t) {
            System.err.println("KoP cluster failed to start: " + t.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("KoP cluster stopping");
            cluster.close();
        }));
        System.out.printf("KoP cluster ready in %.1f s: %s | bootstrap %s%n",
                (System.currentTimeMillis() - startedAt) / 1000.0, cluster.describe(), cluster.kafkaBootstrapAll());
        new CountDownLatch(1).await();
    }

    private static int count(String s, int min, int max, String option) {
        try {
            int n = Integer.parseInt(s);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        CLI.fail(option + " must be a number from " + min + " to " + max + ", got " + s);
        return -1;
    }

}
