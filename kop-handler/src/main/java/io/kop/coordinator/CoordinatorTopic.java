package io.kop.coordinator;

import io.kop.topic.TopicResolver;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.apache.pulsar.broker.PulsarService;
import org.apache.pulsar.broker.namespace.NamespaceBundleOwnershipListener;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.common.naming.NamespaceBundle;
import org.apache.pulsar.common.naming.NamespaceName;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.common.policies.data.RetentionPolicies;
import org.apache.pulsar.common.util.FutureUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A coordinator's partitioned Pulsar topic in the metadata namespace ({@value #OFFSETS} for groups,
 * {@value #TRANSACTIONS} for transactions), and who coordinates which partition: the broker that owns
 * partition p in Pulsar loads the state of p. Ownership follows Pulsar's bundle ownership, so
 * coordinators move with load balancing and broker failures.
 */
public final class CoordinatorTopic {
    private static final Logger log = LoggerFactory.getLogger(CoordinatorTopic.class);
    public static final String OFFSETS = "__consumer_offsets";
    public static final String TRANSACTIONS = "__transaction_state";

    private final PulsarService pulsar;
    private final NamespaceName namespace;
    private final TopicName topic;
    private final int partitions;
    private final CompletableFuture<Void> ready = new CompletableFuture<>();

    public CoordinatorTopic(PulsarService pulsar, String tenant, String namespace, String name, int partitions) {
        this.pulsar = pulsar;
        this.namespace = NamespaceName.get(tenant, namespace);
        this.topic = TopicName.get("persistent", this.namespace, name);
        this.partitions = partitions;
    }

    /** The metadata namespace ({@code tenant/namespace}) the topic lives in. */
    public String namespace() {
        return namespace.toString();
    }

    public int partitions() {
        return partitions;
    }

    public TopicName partition(int p) {
        return topic.getPartition(p);
    }

    /** Completes once the namespace and the topic exist. */
    public CompletableFuture<Void> ready() {
        return ready;
    }

    /**
     * Creates namespace and topic if missing (retrying until the broker's admin API answers), then calls
     * {@code elected}/{@code resigned} as this broker gains and loses the topic's partitions.
     */
    public void start(TopicResolver topics, ScheduledExecutorService scheduler, IntConsumer elected, IntConsumer resigned) {
        create(topics, scheduler);
        pulsar.getNamespaceService().addNamespaceBundleOwnershipListener(new NamespaceBundleOwnershipListener() {
            @Override
            public void onLoad(NamespaceBundle bundle) {
                ready.thenRun(() -> partitionsIn(bundle, elected));
            }

            @Override
            public void unLoad(NamespaceBundle bundle) {
                partitionsIn(bundle, resigned);
            }

            @Override
            public boolean test(NamespaceBundle bundle) {
                return bundle.getNamespaceObject().equals(namespace);
            }
        });
    }

    private void partitionsIn(NamespaceBundle bundle, IntConsumer action) {
        for (int p = 0; p < partitions; p++) {
            if (bundle.includes(partition(p))) {
                action.accept(p);
            }
        }
    }

    private void create(TopicResolver topics, ScheduledExecutorService scheduler) {
        topics.admin().thenCompose(this::createWith).whenComplete((v, t) -> {
            if (t == null) {
                ready.complete(null);
                return;
            }
            if (FutureUtil.unwrapCompletionException(t) instanceof IllegalStateException e) {
                ready.completeExceptionally(e); // a configuration error: retrying cannot fix it
                return;
            }
            log.info("{} not ready yet, retrying: {}", topic, FutureUtil.unwrapCompletionException(t).toString());
            scheduler.schedule(() -> create(topics, scheduler), 2, TimeUnit.SECONDS);
        });
    }

    private CompletableFuture<Void> createWith(PulsarAdmin admin) {
        // Asked through the admin API, a tenant that does not exist yet (a standalone creates `public`
        // after the protocol handlers start) makes the broker log an ERROR; the metadata store does not.
        return pulsar.getPulsarResources().getTenantResources().tenantExistsAsync(namespace.getTenant())
                .thenCompose(exists -> {
                    if (!exists) {
                        throw new java.util.concurrent.CompletionException(new TenantNotReadyException(
                                "tenant " + namespace.getTenant() + " does not exist yet"));
                    }
                    return createIn(admin);
                });
    }

    /** The tenant is not there yet: retried. */
    private static final class TenantNotReadyException extends RuntimeException {
        TenantNotReadyException(String message) {
            super(message, null, false, false);
        }
    }

    private CompletableFuture<Void> createIn(PulsarAdmin admin) {
        return admin.namespaces().getNamespacesAsync(namespace.getTenant()).thenCompose(existing -> {
            if (existing.contains(namespace.toString())) {
                return CompletableFuture.completedFuture(null);
            }
            // No retention beyond what cursors hold: each offsets partition's compaction cursor keeps
            // everything not yet compacted (it is opened before the partition is read or written).
            return ignoreConflict(admin.namespaces().createNamespaceAsync(namespace.toString()))
                    .thenCompose(v -> admin.namespaces().setRetentionAsync(namespace.toString(),
                            new RetentionPolicies(0, 0)));
        }).thenCompose(v -> admin.topics().getPartitionedTopicMetadataAsync(topic.toString()).exceptionally(t -> {
            if (FutureUtil.unwrapCompletionException(t) instanceof PulsarAdminException.NotFoundException) {
                return new org.apache.pulsar.common.partition.PartitionedTopicMetadata(0);
            }
            throw FutureUtil.wrapToCompletionException(t);
        })).thenCompose(md -> {
            if (md.partitions == 0) {
                return ignoreConflict(admin.topics().createPartitionedTopicAsync(topic.toString(), partitions,
                        Map.of()));
            }
            if (md.partitions != partitions) {
                log.error("{} has {} partitions but KoP is configured for {}: coordinator keys would be looked up "
                        + "in the wrong partition; set the partitions setting ({}) to {}", topic, md.partitions, partitions,
                        topic.getLocalName().equals(OFFSETS) ? "offsetsTopicNumPartitions" : "kafkaTxnLogPartitions",
                        md.partitions);
                return CompletableFuture.failedFuture(new IllegalStateException("coordinator topic partition mismatch"));
            }
            return CompletableFuture.completedFuture(null);
        });
    }

    private static CompletableFuture<Void> ignoreConflict(CompletableFuture<Void> f) {
        return f.exceptionally(t -> {
            if (FutureUtil.unwrapCompletionException(t) instanceof PulsarAdminException.ConflictException) {
                return null;
            }
            throw FutureUtil.wrapToCompletionException(t);
        });
    }
}
