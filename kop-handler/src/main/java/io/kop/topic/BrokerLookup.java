package io.kop.topic;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kop.config.KafkaListener;
import io.kop.config.KopConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.pulsar.broker.PulsarServerException;
import org.apache.pulsar.broker.PulsarService;
import org.apache.pulsar.broker.lookup.LookupResult;
import org.apache.pulsar.broker.loadbalance.LoadManager;
import org.apache.pulsar.broker.namespace.LookupOptions;
import org.apache.pulsar.client.impl.LookupService;
import org.apache.pulsar.client.impl.PulsarClientImpl;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.common.util.FutureUtil;
import org.apache.pulsar.metadata.api.MetadataStore;
import org.apache.pulsar.metadata.api.Notification;
import org.apache.pulsar.metadata.api.NotificationType;

/**
 * Which broker leads a Kafka partition: the broker that owns the Pulsar partition, found with Pulsar's
 * own topic lookup (following its redirect, so an unowned bundle gets an owner), answered with that broker's advertised Kafka
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
    private volatile LookupService lookupService;
    private volatile boolean registryStale = true;

    /** A Kafka broker as the Metadata response describes it. */
    public record KafkaNode(int id, String host, int port) {
        static KafkaNode of(KafkaListener l) {
            return new KafkaNode(nodeId(l.host(), l.port()), l.host(), l.port());
        }
    }

    public BrokerLookup(PulsarService pulsar, KopConfig config) {
        this.pulsar = pulsar;
        this.config = config;
        pulsar.getLocalMetadataStore().registerListener(this::onMetadataChange);
    }

    /** This broker, as clients on {@code listenerName} reach it. */
    public KafkaNode self(String listenerName) {
        return KafkaNode.of(config.advertisedListener(listenerName));
    }

    /** Stable id from the advertised address, the same on every broker that computes it. */
    static int nodeId(String host, int port) {
        return (host + ":" + port).hashCode() & 0x7fffffff;
    }

    /**
     * The broker that owns {@code partition}, as clients on {@code listenerName} reach it. A bundle that
     * nobody owns yet is assigned by Pulsar's load manager, which may pick another broker: Pulsar then
     * answers with a redirect, and the bundle stays unowned until the chosen broker is asked with an
     * authoritative lookup. Pulsar's own clients make that second hop; Kafka clients cannot, so this
     * broker makes it for them, with the broker's internal Pulsar client, before naming the leader.
     */
    public CompletableFuture<KafkaNode> leader(TopicName partition, String listenerName) {
        return ownerUrl(partition, true).thenCompose(brokerUrl -> {
            if (brokerUrl.equals(pulsar.getBrokerServiceUrl())) {
                return CompletableFuture.completedFuture(self(listenerName));
            }
            return listenersOf(brokerUrl).thenApply(listeners -> listeners.stream()
                    .filter(l -> l.name().equals(listenerName)).findFirst().map(KafkaNode::of)
                    .orElseThrow(() -> new NotLeaderOrFollowerException("broker " + brokerUrl
                            + " has no Kafka listener named " + listenerName)));
        });
    }

    /** Pulsar service URL of the broker that owns the partition's bundle, assigning it if nobody does. */
    private CompletableFuture<String> ownerUrl(TopicName partition, boolean followRedirect) {
        LookupOptions options = LookupOptions.builder().authoritative(false).loadTopicsInBundle(false).build();
        return pulsar.getNamespaceService().getBrokerServiceUrlAsync(partition, options).thenCompose(result -> {
            if (result.isEmpty()) {
                throw new NotLeaderOrFollowerException("no broker can own " + partition + " now");
            }
            LookupResult r = result.get();
            String brokerUrl = r.getLookupData().getBrokerUrl();
            if (!r.isRedirect() && brokerUrl != null) {
                return CompletableFuture.completedFuture(brokerUrl);
            }
            if (!followRedirect) {
                throw new NotLeaderOrFollowerException("the owner of " + partition + " is still being assigned");
            }
            // The client's lookup follows the redirect chain to the chosen broker with the authoritative
            // flag, as any Pulsar client would, which makes that broker take the bundle.
            return internalLookup().thenCompose(lookup -> lookup.getBroker(partition)).thenCompose(found -> {
                InetSocketAddress owner = found.getLogicalAddress();
                return owner == null ? ownerUrl(partition, false)
                        : CompletableFuture.completedFuture("pulsar://" + owner.getHostString() + ":" + owner.getPort());
            });
        });
    }

    private CompletableFuture<LookupService> internalLookup() {
        LookupService known = lookupService;
        if (known != null) {
            return CompletableFuture.completedFuture(known);
        }
        // The broker builds its internal client on first use: keep that off the network threads.
        return CompletableFuture.supplyAsync(() -> {
            try {
                lookupService = ((PulsarClientImpl) pulsar.getClient()).getLookup();
                return lookupService;
            } catch (PulsarServerException e) {
                throw FutureUtil.wrapToCompletionException(e);
            }
        }, pulsar.getExecutor());
    }

    /** Every live broker that runs KoP, as clients on {@code listenerName} reach them. */
    public CompletableFuture<List<KafkaNode>> allNodes(String listenerName) {
        return registry().thenApply(all -> {
            List<KafkaNode> nodes = new ArrayList<>();
            nodes.add(self(listenerName));
            for (List<KafkaListener> listeners : all.values()) {
                listeners.stream().filter(l -> l.name().equals(listenerName)).findFirst().map(KafkaNode::of)
                        .filter(n -> !nodes.contains(n)).ifPresent(nodes::add);
            }
            return nodes;
        });
    }

    /**
     * The broker registry, read again only after a broker joined or left: Pulsar's metadata store tells
     * of children and deletions under {@code /loadbalance/brokers} (load reports, which change every few
     * seconds, do not count).
     */
    private CompletableFuture<Map<String, List<KafkaListener>>> registry() {
        if (!registryStale) {
            return CompletableFuture.completedFuture(Map.copyOf(listenersByBroker));
        }
        registryStale = false; // a change while reading marks it stale again
        return refresh().whenComplete((v, t) -> {
            if (t != null) {
                registryStale = true;
            }
        });
    }

    private void onMetadataChange(Notification n) {
        if (n.getPath().startsWith(LoadManager.LOADBALANCE_BROKERS_ROOT) && n.getType() != NotificationType.Modified) {
            registryStale = true;
        }
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
