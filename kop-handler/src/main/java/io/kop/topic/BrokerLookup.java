package io.kop.topic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kop.config.KafkaListener;
import io.kop.config.KopConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.pulsar.broker.PulsarService;
import org.apache.pulsar.broker.loadbalance.LoadManager;
import org.apache.pulsar.broker.namespace.LookupOptions;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.common.util.FutureUtil;
import org.apache.pulsar.metadata.api.MetadataStore;

/**
 * Which broker leads a Kafka partition: the broker that owns the Pulsar partition, found with Pulsar's
 * own topic lookup (which also assigns an unowned bundle), answered with that broker's advertised Kafka
 * listener of the same listener name the client connected to. Brokers advertise their Kafka listeners
 * through the protocol data Pulsar publishes under {@code /loadbalance/brokers}.
 */
public final class BrokerLookup {
    public static final String PROTOCOL = "kafka";

    private final PulsarService pulsar;
    private final KopConfig config;
    private final ObjectMapper json = new ObjectMapper();
    /** Pulsar service URL of a broker -> its advertised Kafka listeners. */
    private final Map<String, List<KafkaListener>> listenersByBroker = new ConcurrentHashMap<>();

    /** A Kafka broker as the Metadata response describes it. */
    public record KafkaNode(int id, String host, int port) {
        static KafkaNode of(KafkaListener l) {
            return new KafkaNode(nodeId(l.host(), l.port()), l.host(), l.port());
        }
    }

    public BrokerLookup(PulsarService pulsar, KopConfig config) {
        this.pulsar = pulsar;
        this.config = config;
    }

    /** This broker, as clients on {@code listenerName} reach it. */
    public KafkaNode self(String listenerName) {
        return KafkaNode.of(config.advertisedListener(listenerName));
    }

    /** Stable id from the advertised address, the same on every broker that computes it. */
    static int nodeId(String host, int port) {
        return (host + ":" + port).hashCode() & 0x7fffffff;
    }

    public CompletableFuture<KafkaNode> leader(TopicName partition, String listenerName) {
        LookupOptions options = LookupOptions.builder().authoritative(false).loadTopicsInBundle(false).build();
        return pulsar.getNamespaceService().getBrokerServiceUrlAsync(partition, options).thenCompose(result -> {
            if (result.isEmpty()) {
                throw new NotLeaderOrFollowerException("no broker owns " + partition + " yet");
            }
            String brokerUrl = result.get().getLookupData().getBrokerUrl();
            if (brokerUrl == null || brokerUrl.equals(pulsar.getBrokerServiceUrl())) {
                return CompletableFuture.completedFuture(self(listenerName));
            }
            return listenersOf(brokerUrl).thenApply(listeners -> listeners.stream()
                    .filter(l -> l.name().equals(listenerName)).findFirst().map(KafkaNode::of)
                    .orElseThrow(() -> new NotLeaderOrFollowerException("broker " + brokerUrl
                            + " has no Kafka listener named " + listenerName)));
        });
    }

    /** Every live broker that runs KoP, as clients on {@code listenerName} reach them. */
    public CompletableFuture<List<KafkaNode>> allNodes(String listenerName) {
        return refresh().thenApply(all -> {
            List<KafkaNode> nodes = new ArrayList<>();
            nodes.add(self(listenerName));
            for (List<KafkaListener> listeners : all.values()) {
                listeners.stream().filter(l -> l.name().equals(listenerName)).findFirst().map(KafkaNode::of)
                        .filter(n -> !nodes.contains(n)).ifPresent(nodes::add);
            }
            return nodes;
        });
    }

    private CompletableFuture<List<KafkaListener>> listenersOf(String brokerUrl) {
        List<KafkaListener> known = listenersByBroker.get(brokerUrl);
        if (known != null) {
            return CompletableFuture.completedFuture(known);
        }
        return refresh().thenApply(all -> Optional.ofNullable(all.get(brokerUrl)).orElseThrow(() ->
                new NotLeaderOrFollowerException("broker " + brokerUrl + " does not run the Kafka protocol handler")));
    }

    /** Re-reads the broker registry; brokers that left are forgotten. */
    private CompletableFuture<Map<String, List<KafkaListener>>> refresh() {
        MetadataStore store = pulsar.getLocalMetadataStore();
        String root = LoadManager.LOADBALANCE_BROKERS_ROOT;
        Map<String, List<KafkaListener>> fresh = new ConcurrentHashMap<>();
        return store.getChildren(root).thenCompose(brokers -> {
            List<CompletableFuture<Void>> reads = new ArrayList<>();
            for (String broker : brokers) {
                reads.add(store.get(root + "/" + broker)
                        .thenAccept(value -> value.ifPresent(v -> parse(v.getValue(), fresh))));
            }
            return FutureUtil.waitForAll(reads);
        }).thenApply(v -> {
            listenersByBroker.keySet().retainAll(fresh.keySet());
            listenersByBroker.putAll(fresh);
            return fresh;
        });
    }

    private void parse(byte[] brokerData, Map<String, List<KafkaListener>> into) {
        try {
            JsonNode node = json.readTree(brokerData);
            String url = node.path("pulsarServiceUrl").asText(null);
            String kafka = node.path("protocols").path(PROTOCOL).asText(null);
            if (url != null && kafka != null && !kafka.isBlank()) {
                into.put(url, KafkaListener.parseAdvertised(kafka));
            }
        } catch (IOException | IllegalArgumentException e) {
            // a broker entry we cannot read is one we cannot route to; lookups for it fail
        }
    }

    /** What this broker publishes for others to route Kafka clients here. */
    public static String advertise(KopConfig config) {
        StringBuilder sb = new StringBuilder();
        for (KafkaListener l : config.advertisedListeners()) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(l.name()).append("://").append(l.host()).append(':').append(l.port());
        }
        return sb.toString();
    }
}
