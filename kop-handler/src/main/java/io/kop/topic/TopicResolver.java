package io.kop.topic;

import io.kop.config.EntryFormat;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.pulsar.broker.PulsarService;
import org.apache.pulsar.broker.service.BrokerService;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.common.naming.NamespaceName;
import org.apache.pulsar.common.naming.SystemTopicNames;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * Finds, lists, creates and deletes the Pulsar topics behind Kafka topics. Metadata comes from the
 * broker's own caches; changes go through the broker's admin client so they are valid in a cluster.
 */
public final class TopicResolver {
    private final PulsarService pulsar;
    private final BrokerService brokerService;
    private final KafkaTopicNames names;
    private volatile PulsarAdmin admin;

    private final EntryFormat defaultFormat;
    private final TopicResolver root;
    private final Map<String, TopicResolver> views;

    public TopicResolver(PulsarService pulsar, KafkaTopicNames names, EntryFormat defaultFormat) {
        this.pulsar = pulsar;
        this.brokerService = pulsar.getBrokerService();
        this.names = names;
        this.defaultFormat = defaultFormat;
        this.root = this;
        this.views = new java.util.concurrent.ConcurrentHashMap<>();
    }

    private TopicResolver(TopicResolver root, KafkaTopicNames names) {
        this.pulsar = root.pulsar;
        this.brokerService = root.brokerService;
        this.names = names;
        this.defaultFormat = root.defaultFormat;
        this.root = root;
        this.views = root.views;
    }

    /**
     * The same resolver with short names in {@code tenant/namespace} (a client's SASL username picks
     * it); one instance per namespace.
     */
    public TopicResolver in(String tenant, String namespace) {
        String ns = tenant + "/" + namespace;
        if (ns.equals(names.defaultNamespace())) {
            return this;
        }
        if (ns.equals(root.names.defaultNamespace())) {
            return root;
        }
        return views.computeIfAbsent(ns, n -> new TopicResolver(root, new KafkaTopicNames(tenant, namespace)));
    }

    public KafkaTopicNames names() {
        return names;
    }

    /** The Pulsar name for a Kafka name; InvalidTopicException when it is not a usable name. */
    public TopicName pulsarName(String kafkaName) {
        try {
            return names.toPulsar(kafkaName);
        } catch (IllegalArgumentException e) {
            throw new InvalidTopicException(e.getMessage());
        }
    }

    /** The topic if it exists; created first when {@code autoCreate} and the broker's policy allows it. */
    public CompletableFuture<Optional<KafkaTopic>> find(String kafkaName, boolean autoCreate) {
        TopicName name;
        try {
            name = pulsarName(kafkaName);
        } catch (InvalidTopicException e) {
            return CompletableFuture.failedFuture(e);
        }
        return find(kafkaName, name).thenCompose(found -> {
            if (found.isPresent() || !autoCreate || SystemTopicNames.isSystemTopic(name)) {
                return CompletableFuture.completedFuture(found);
            }
            return brokerService.isAllowAutoTopicCreationAsync(name).thenCompose(allowed -> {
                if (!allowed) {
                    return CompletableFuture.completedFuture(Optional.<KafkaTopic>empty());
                }
                return defaultPartitions(name)
                        .thenCompose(n -> create(name, n, Map.of()).exceptionally(t -> {
                            if (FutureUtil.unwrapCompletionException(t) instanceof PulsarAdminException.ConflictException) {
                                return null; // created concurrently
                            }
                            throw FutureUtil.wrapToCompletionException(t);
                        }))
                        .thenCompose(v -> find(kafkaName, name));
            });
        });
    }

    /** The properties of the partitioned topic a Pulsar partition belongs to (none for a non-partitioned topic). */
    public CompletableFuture<Map<String, String>> properties(TopicName partition) {
        if (!partition.isPartitioned()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        return brokerService.fetchPartitionedTopicMetadataAsync(TopicName.get(partition.getPartitionedTopicName()))
                .thenApply(md -> md.partitions > 0 && md.properties != null ? md.properties : Map.of());
    }

    /** The Pulsar topic of one existing Kafka partition; UNKNOWN_TOPIC_OR_PARTITION otherwise. */
    public CompletableFuture<TopicName> partition(String kafkaName, int index) {
        return existingTopic(kafkaName, index).thenApply(t -> t.partition(index));
    }

    /** The topic, if partition {@code index} of it exists; UNKNOWN_TOPIC_OR_PARTITION otherwise. */
    public CompletableFuture<KafkaTopic> existingTopic(String kafkaName, int index) {
        return find(kafkaName, false).thenApply(found -> {
            if (found.isEmpty() || index < 0 || index >= found.get().partitions()) {
                throw new UnknownTopicOrPartitionException("unknown partition " + kafkaName + "-" + index);
            }
            return found.get();
        });
    }

    private CompletableFuture<Optional<KafkaTopic>> find(String kafkaName, TopicName name) {
        return brokerService.fetchPartitionedTopicMetadataAsync(name).thenCompose(md -> {
            if (md.partitions > 0) {
                String format = md.properties == null ? null : md.properties.get(KafkaTopic.ENTRY_FORMAT_PROPERTY);
                return CompletableFuture.completedFuture(Optional.of(new KafkaTopic(kafkaName, name, md.partitions, true,
                        format == null ? defaultFormat : EntryFormat.parse(format),
                        md.properties == null ? Map.of() : md.properties)));
            }
            return pulsar.getNamespaceService().checkTopicExistsAsync(name).thenApply(info -> {
                boolean exists = info.isExists();
                info.recycle();
                return exists ? Optional.of(new KafkaTopic(kafkaName, name, 1, false, defaultFormat, Map.of()))
                        : Optional.<KafkaTopic>empty();
            });
        });
    }

    private CompletableFuture<Integer> defaultPartitions(TopicName name) {
        return pulsar.getPulsarResources().getNamespaceResources().getPoliciesAsync(name.getNamespaceObject())
                .thenApply(policies -> brokerService.getDefaultNumPartitions(name, policies));
    }

    /**
     * Every namespace Kafka clients may use: all namespaces of all tenants but Pulsar's own
     * ({@code pulsar/*}) and those named {@code metadataNamespace} (KoP's, in any tenant); only
     * {@code tenantOnly}'s when it is not null.
     */
    public CompletableFuture<List<String>> namespaces(String metadataNamespace, String tenantOnly) {
        var tenants = pulsar.getPulsarResources().getTenantResources();
        return tenants.listTenantsAsync().thenCompose(all -> {
            List<CompletableFuture<List<String>>> each = new ArrayList<>();
            for (String tenant : all) {
                if (!tenant.equals(NamespaceName.SYSTEM_NAMESPACE.getTenant())
                        && (tenantOnly == null || tenant.equals(tenantOnly))) {
                    each.add(tenants.getListOfNamespacesAsync(tenant).thenApply(list -> list.stream()
                            .map(ns -> ns.contains("/") ? ns : tenant + "/" + ns).toList()));
                }
            }
            return FutureUtil.waitForAll(each).thenApply(v -> each.stream().flatMap(f -> f.join().stream())
                    .filter(ns -> !NamespaceName.get(ns).getLocalName().equals(metadataNamespace)).toList());
        });
    }

    /** Kafka names of all topics of a namespace (partitioned and non-partitioned, no system topics). */
    public CompletableFuture<List<String>> list(String namespace) {
        NamespaceName ns = NamespaceName.get(namespace);
        return pulsar.getNamespaceService().getListOfPersistentTopics(ns).thenCombine(
                pulsar.getPulsarResources().getNamespaceResources().getPartitionedTopicResources()
                        .listPartitionedTopicsAsync(ns, org.apache.pulsar.common.naming.TopicDomain.persistent),
                (persistent, partitioned) -> {
                    Set<String> out = new LinkedHashSet<>();
                    for (String t : partitioned) {
                        TopicName tn = TopicName.get(t);
                        if (!SystemTopicNames.isSystemTopic(tn)) {
                            out.add(names.toKafka(tn));
                        }
                    }
                    for (String t : persistent) {
                        TopicName tn = TopicName.get(t);
                        if (!tn.isPartitioned() && !SystemTopicNames.isSystemTopic(tn)) {
                            out.add(names.toKafka(tn));
                        }
                    }
                    return new ArrayList<>(out);
                });
    }

    public CompletableFuture<Void> create(TopicName name, int partitions, Map<String, String> properties) {
        return admin().thenCompose(a -> a.topics().createPartitionedTopicAsync(name.toString(), partitions,
                properties.isEmpty() ? null : properties));
    }

    public CompletableFuture<Void> delete(KafkaTopic topic) {
        return admin().thenCompose(a -> topic.partitioned()
                ? a.topics().deletePartitionedTopicAsync(topic.pulsarName().toString(), true)
                : a.topics().deleteAsync(topic.pulsarName().toString(), true));
    }

    public CompletableFuture<Void> growPartitions(KafkaTopic topic, int newCount) {
        return admin().thenCompose(a -> a.topics().updatePartitionedTopicAsync(topic.pulsarName().toString(), newCount));
    }

    public CompletableFuture<PulsarAdmin> admin() {
        if (root != this) {
            return root.admin();
        }
        PulsarAdmin a = admin;
        if (a != null) {
            return CompletableFuture.completedFuture(a);
        }
        // getAdminClient builds the client on first use: keep that off the network threads.
        return CompletableFuture.supplyAsync(() -> {
            try {
                admin = pulsar.getAdminClient();
                return admin;
            } catch (Exception e) {
                throw FutureUtil.wrapToCompletionException(e);
            }
        }, pulsar.getExecutor());
    }
}
