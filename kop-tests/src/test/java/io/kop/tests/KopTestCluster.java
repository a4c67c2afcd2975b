package io.kop.tests;

import io.kop.cluster.KopCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.pulsar.client.admin.PulsarAdmin;

/**
 * One real Pulsar cluster per test JVM (ZooKeeper, 3 bookies, 2 brokers, every node its own process,
 * each broker loading the NAR of this build), started on first use on free ports by the same launcher
 * as {@code ./kop cluster}. Brokers have two Kafka listeners: INTERNAL (127.0.0.1) and EXTERNAL
 * (advertised as localhost). Tests that stop or kill a broker start it again before they end.
 */
public final class KopTestCluster {
    public static final int BROKERS = 2;
    private static KopTestCluster instance;

    private final KopCluster cluster;

    private KopTestCluster(KopCluster cluster) {
        this.cluster = cluster;
    }

    public static synchronized KopTestCluster get() {
        if (instance == null) {
            IllegalStateException failed = null;
            // A node that cannot bind its port exits; a second attempt gets other ports.
            for (int attempt = 0; attempt < 2 && instance == null; attempt++) {
                try {
                    instance = start();
                } catch (Exception e) {
                    failed = new IllegalStateException("could not start the test cluster", e);
                    System.err.println("test cluster did not start (attempt " + (attempt + 1) + "): " + e);
                }
            }
            if (instance == null) {
                throw failed;
            }
        }
        return instance;
    }

    private static KopTestCluster start() throws Exception {
        Path dir = Path.of(System.getProperty("kop.test.cluster.dir", "target/test-cluster"));
        Path classes = Path.of(System.getProperty("kop.standalone.dir", "../kop-standalone"));
        String classpath = classes.resolve("target/classes") + ":"
                + Files.readString(classes.resolve("target/classpath.txt")).trim();
        List<Integer> bookies = List.of(port(), port(), port());
        List<KopCluster.BrokerPorts> brokers = new ArrayList<>();
        for (int i = 0; i < BROKERS; i++) {
            brokers.add(new KopCluster.BrokerPorts(port(), port(), port(), port()));
        }
        KopCluster.Options o = new KopCluster.Options(dir, KopTestBroker.findNar(), classpath,
                classes.resolve("jvm.args"), "127.0.0.1", "localhost", port(), bookies,
                brokers, true, brokerConf());
        KopCluster c = KopCluster.start(o);
        Runtime.getRuntime().addShutdownHook(new Thread(c::close, "kop-test-cluster-stop"));
        return new KopTestCluster(c);
    }

    /** Broker keys of the test cluster, plus {@code -Dkop.test.cluster.conf=k=v,k=v} (for A/B benchmarks). */
    private static Map<String, String> brokerConf() {
        Map<String, String> conf = new java.util.HashMap<>(Map.of("kafkaGroupSubscriptionIntervalMs", "1000"));
        for (String kv : System.getProperty("kop.test.cluster.conf", "").split(",")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                conf.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
            }
        }
        return conf;
    }

    private static int nextPort = 20_000 + new java.util.Random().nextInt(8_000);

    /**
     * A port that is free now, below Linux's ephemeral range (32768 and up): the cluster's nodes bind
     * their ports seconds after they are chosen, and by then a client connection of this JVM could have
     * been given an ephemeral port chosen the usual way; a broker that finds its port taken exits.
     */
    private static int port() throws java.io.IOException {
        while (nextPort < 32_000) {
            int candidate = nextPort++;
            try (java.net.ServerSocket s = new java.net.ServerSocket()) {
                s.bind(new java.net.InetSocketAddress("127.0.0.1", candidate));
                return candidate;
            } catch (java.io.IOException busy) {
                // taken: try the next one
            }
        }
        return KopTestBroker.freePort();
    }

    public KopCluster cluster() {
        return cluster;
    }

    /** Broker i's INTERNAL Kafka listener. */
    public String bootstrap(int broker) {
        return cluster.kafkaBootstrap(broker);
    }

    public PulsarAdmin pulsarAdmin(int broker) throws Exception {
        return PulsarAdmin.builder().serviceHttpUrl(cluster.httpUrl(broker)).build();
    }

    /** Which broker's INTERNAL listener is at host:port; -1 for none. */
    public int brokerAt(String host, int port) {
        for (int i = 0; i < BROKERS; i++) {
            if (cluster.kafkaBootstrap(i).equals(host + ":" + port)) {
                return i;
            }
        }
        return -1;
    }

    /** Which broker has this Pulsar service URL (as Pulsar's lookup answers); -1 for none. */
    public int brokerOfPulsarUrl(String url) {
        for (int i = 0; i < BROKERS; i++) {
            if (cluster.pulsarUrl(i).equals(url)) {
                return i;
            }
        }
        return -1;
    }

    public static Properties props(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return p;
    }

    public Admin admin(int broker) {
        return Admin.create(props(bootstrap(broker)));
    }

    public KafkaProducer<byte[], byte[]> producer(int broker, Map<String, Object> overrides) {
        Properties p = props(bootstrap(broker));
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.putAll(overrides);
        return new KafkaProducer<>(p);
    }

    public KafkaConsumer<byte[], byte[]> consumer(int broker, Map<String, Object> overrides) {
        Properties p = props(bootstrap(broker));
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.putAll(overrides);
        return new KafkaConsumer<>(p);
    }
}
