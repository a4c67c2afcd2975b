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
            try {
                Path dir = Path.of(System.getProperty("kop.test.cluster.dir", "target/test-cluster"));
                Path classes = Path.of(System.getProperty("kop.standalone.dir", "../kop-standalone"));
                String classpath = classes.resolve("target/classes") + ":"
                        + Files.readString(classes.resolve("target/classpath.txt")).trim();
                List<Integer> bookies = List.of(KopTestBroker.freePort(), KopTestBroker.freePort(),
                        KopTestBroker.freePort());
                List<KopCluster.BrokerPorts> brokers = new ArrayList<>();
                for (int i = 0; i < BROKERS; i++) {
                    brokers.add(new KopCluster.BrokerPorts(KopTestBroker.freePort(), KopTestBroker.freePort(),
                            KopTestBroker.freePort(), KopTestBroker.freePort()));
                }
                KopCluster.Options o = new KopCluster.Options(dir, KopTestBroker.findNar(), classpath,
                        classes.resolve("jvm.args"), "127.0.0.1", "localhost", KopTestBroker.freePort(), bookies,
                        brokers, true, Map.of("kafkaGroupSubscriptionIntervalMs", "1000"));
                KopCluster c = KopCluster.start(o);
                Runtime.getRuntime().addShutdownHook(new Thread(c::close, "kop-test-cluster-stop"));
                instance = new KopTestCluster(c);
            } catch (Exception e) {
                throw new IllegalStateException("could not start the test cluster", e);
            }
        }
        return instance;
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
