package io.kop.coordinator.bridge;

import io.kop.api.RequestContext;
import io.kop.coordinator.GroupService;
import io.kop.coordinator.CoordinatorTopic;
import io.kop.topic.KafkaTopicNames;
import io.kop.topic.TopicResolver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatRequestData;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.coordinator.group.GroupConfigManager;
import org.apache.kafka.coordinator.group.GroupConfig;
import org.apache.kafka.coordinator.group.GroupCoordinatorConfig;
import org.apache.kafka.coordinator.group.GroupCoordinatorService;
import org.apache.kafka.coordinator.group.metrics.GroupCoordinatorMetrics;
import org.apache.kafka.coordinator.group.metrics.GroupCoordinatorRuntimeMetrics;
import org.apache.kafka.coordinator.group.modern.share.ShareGroupConfig;
import org.apache.kafka.server.authorizer.AuthorizableRequestContext;
import org.apache.kafka.server.share.persister.NoOpStatePersister;
import org.apache.kafka.server.util.PartitionMetadataClient;
import org.apache.kafka.server.util.timer.SystemTimer;
import org.apache.kafka.server.util.timer.SystemTimerReaper;
import org.apache.kafka.server.util.timer.Timer;
import org.apache.pulsar.broker.PulsarService;
import org.apache.pulsar.common.naming.NamespaceName;
import org.apache.pulsar.common.util.FutureUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka 4.4's {@link GroupCoordinatorService} (classic and consumer protocols, offsets, static
 * membership) running inside the broker on Pulsar storage: {@link OffsetsTopicWriter} and
 * {@link OffsetsTopicLoader} over {@code __consumer_offsets}, topics fed as a {@link TopicsImage}.
 */
public final class KafkaGroupCoordinator implements GroupService, io.kop.coordinator.GroupConfigTarget {
    private static final Logger log = LoggerFactory.getLogger(KafkaGroupCoordinator.class);
    private static final long IMAGE_REFRESH_MS = 3_000;

    private final PulsarService pulsar;
    private final CoordinatorTopic offsetsTopic;
    private final TopicResolver topics;
    private final String tenantOnly;
    private final ScheduledExecutorService scheduler;
    private final GroupCoordinatorService service;
    private GroupCoordinatorConfig coordinatorConfig;
    private ShareGroupConfig shareGroupConfig;
    private final Timer timer;
    private final TopicsImage image;
    private final int[] epochs;
    private final ScheduledFuture<?> imageRefresh;
    private boolean closed;
    private final java.util.concurrent.ExecutorService compactorExecutor;

    /** Settings KoP sets itself; any {@code kafka.group.*}-style overrides come from {@code extraConfig}. */
    /** {@code tenantOnly}: the tenant whose topics the coordinator knows, or null for every tenant's. */
    public KafkaGroupCoordinator(PulsarService pulsar, CoordinatorTopic offsetsTopic, TopicResolver topics,
                                 String tenantOnly, ScheduledExecutorService scheduler, int nodeId, int maxMessageBytes,
                                 long compactionRecords, Map<String, Object> extraConfig,
                                 io.kop.metrics.CoordinatorLoads loads) {
        this.pulsar = pulsar;
        this.offsetsTopic = offsetsTopic;
        this.topics = topics;
        this.tenantOnly = tenantOnly;
        this.scheduler = scheduler;
        this.epochs = new int[offsetsTopic.partitions()];
        this.image = new TopicsImage(nodeId);
        Map<String, Object> props = new HashMap<>();
        props.put(GroupCoordinatorConfig.OFFSETS_TOPIC_PARTITIONS_CONFIG, offsetsTopic.partitions());
        props.put(GroupCoordinatorConfig.GROUP_COORDINATOR_REBALANCE_PROTOCOLS_CONFIG, "classic,consumer");
        props.putAll(extraConfig);
        this.compactorExecutor = Executors.newSingleThreadExecutor(new DefaultThreadFactory("kop-offsets-compactor", true));
        OffsetsTopicWriter writer = new OffsetsTopicWriter(maxMessageBytes, this::reload,
                new OffsetsCompactor(compactorExecutor, compactionRecords));
        this.timer = new SystemTimerReaper("kop-group-coordinator-reaper", new SystemTimer("kop-group-coordinator"));
        this.service = withHandlerClassLoader(() -> {
            GroupCoordinatorConfig config = GroupCoordinatorConfig.fromProps(props);
            ShareGroupConfig shareConfig = ShareGroupConfig.fromProps(props);
            this.coordinatorConfig = config;
            this.shareGroupConfig = shareConfig;
            OffsetsTopicLoader loader = new OffsetsTopicLoader(pulsar.getBrokerService(), offsetsTopic::partition,
                    writer, Executors.newSingleThreadExecutor(new DefaultThreadFactory("kop-offsets-loader", true)),
                    loads);
            GroupCoordinatorService s = new GroupCoordinatorService.Builder(nodeId, config)
                    .withWriter(writer)
                    .withLoader(loader)
                    .withTime(Time.SYSTEM)
                    .withTimer(timer)
                    .withCoordinatorRuntimeMetrics(new GroupCoordinatorRuntimeMetrics(new Metrics()))
                    .withGroupCoordinatorMetrics(new GroupCoordinatorMetrics())
                    .withGroupConfigManager(new GroupConfigManager(config, shareConfig))
                    .withPersister(new NoOpStatePersister())
                    .withAuthorizerPlugin(Optional.empty())
                    .withPartitionMetadataClient(new NoShareGroupLag())
                    .build();
            s.startup(offsetsTopic::partitions);
            return s;
        });
        this.imageRefresh = scheduler.scheduleWithFixedDelay(this::refreshImage, 0, IMAGE_REFRESH_MS,
                TimeUnit.MILLISECONDS);
    }

    // ------------------------------------------------------------ per-group configs

    /**
     * Kafka's own checks of a group's configs (names, types, ranges, and the bounds the broker's
     * {@code group.*} settings put on them); only the consumer protocol's {@code consumer.*} configs,
     * as no other group type is served.
     */
    @Override
    public Map<String, String> validate(Map<String, String> configs) {
        for (String name : configs.keySet()) {
            if (!name.startsWith("consumer.") || !GroupConfig.configNames().contains(name)
                    || GroupConfig.isInternal(name)) {
                throw new org.apache.kafka.common.errors.InvalidConfigurationException("unknown group config "
                        + name + ": KoP serves consumer groups, whose configs are " + consumerConfigNames());
            }
        }
        try {
            GroupConfig.validate(configs, coordinatorConfig, shareGroupConfig);
            Map<String, String> out = new java.util.LinkedHashMap<>();
            configs.forEach((k, v) -> {
                org.apache.kafka.common.config.ConfigDef.ConfigKey key = GroupConfig.CONFIG_DEF.configKeys().get(k);
                out.put(k, org.apache.kafka.common.config.ConfigDef.convertToString(
                        org.apache.kafka.common.config.ConfigDef.parseType(k, v, key.type), key.type));
            });
            return out;
        } catch (org.apache.kafka.common.config.ConfigException | IllegalArgumentException e) {
            throw new org.apache.kafka.common.errors.InvalidConfigurationException(e.getMessage());
        }
    }

    private static List<String> consumerConfigNames() {
        return GroupConfig.configNames().stream().filter(n -> n.startsWith("consumer.") && !GroupConfig.isInternal(n))
                .sorted().toList();
    }

    @Override
    public void apply(String groupId, Map<String, String> configs) {
        Properties props = new Properties();
        props.putAll(configs);
        service.updateGroupConfig(groupId, props);
    }

    /** Kafka code loads classes by name through the context class loader; ours lives in the NAR. */
    private static <T> T withHandlerClassLoader(Supplier<T> action) {
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        t.setContextClassLoader(KafkaGroupCoordinator.class.getClassLoader());
        try {
            return action.get();
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    // ------------------------------------------------------------ ownership

    /** This broker now owns {@code __consumer_offsets} partition {@code partition}: load it. */
    public synchronized void onElection(int partition) {
        if (closed) {
            return;
        }
        int nowEpoch = (int) (System.currentTimeMillis() / 1000 - 1_700_000_000L);
        epochs[partition] = Math.max(epochs[partition] + 1, nowEpoch);
        log.info("loading {} with epoch {}", offsetsTopic.partition(partition), epochs[partition]);
        service.onElection(partition, epochs[partition]);
    }

    /** This broker no longer owns the partition: unload it. */
    public synchronized void onResignation(int partition) {
        if (closed) {
            return; // the broker unloads its bundles after closing the handler
        }
        log.info("unloading {}", offsetsTopic.partition(partition));
        // Kafka's runtime only unloads for a newer leader epoch; without one it unloads unconditionally.
        service.onResignation(partition, OptionalInt.empty());
    }

    /** A failed or misplaced write: unload, and load again from the log if this broker still owns it. */
    private void reload(int partition) {
        scheduler.execute(() -> {
            onResignation(partition);
            pulsar.getNamespaceService().checkTopicOwnership(offsetsTopic.partition(partition))
                    .thenAccept(owned -> {
                        if (owned) {
                            onElection(partition);
                        }
                    });
        });
    }

    // ------------------------------------------------------------ metadata image

    private void refreshImage() {
        topics.namespaces(NamespaceName.get(offsetsTopic.namespace()).getLocalName(), tenantOnly).thenCompose(namespaces -> {
            List<CompletableFuture<List<String>>> lists = new ArrayList<>();
            namespaces.forEach(ns -> lists.add(topics.list(ns)));
            return FutureUtil.waitForAll(lists).thenApply(v -> lists.stream().flatMap(f -> f.join().stream()).toList());
        }).thenCompose(names -> {
            Map<String, CompletableFuture<Optional<io.kop.topic.KafkaTopic>>> found = new HashMap<>();
            for (String name : names) {
                found.put(name, topics.find(name, false));
            }
            return FutureUtil.waitForAll(found.values()).thenApply(v -> {
                Map<String, TopicsImage.TopicInfo> current = new HashMap<>();
                found.forEach((name, f) -> f.join().ifPresent(t -> current.put(name,
                        new TopicsImage.TopicInfo(KafkaTopicNames.topicId(t.pulsarName()), t.partitions()))));
                return current;
            });
        }).thenAccept(current -> {
            TopicsImage.Update update = image.update(current);
            if (update != null) {
                service.onMetadataUpdate(update.delta(), update.image());
            }
        }).exceptionally(t -> {
            // An incomplete listing must not look like deleted topics: skip this round.
            log.debug("topic image not refreshed: {}", t.toString());
            return null;
        });
    }

    // ------------------------------------------------------------ APIs

    private static AuthorizableRequestContext context(RequestContext ctx) {
        return new AuthorizableRequestContext() {
            @Override
            public String listenerName() {
                return ctx.listenerName();
            }

            @Override
            public SecurityProtocol securityProtocol() {
                return SecurityProtocol.PLAINTEXT;
            }

            @Override
            public KafkaPrincipal principal() {
                return KafkaPrincipal.ANONYMOUS;
            }

            @Override
            public InetAddress clientAddress() {
                return ctx.remoteAddress() instanceof InetSocketAddress a ? a.getAddress()
                        : InetAddress.getLoopbackAddress();
            }

            @Override
            public int requestType() {
                return ctx.header().apiKey().id;
            }

            @Override
            public int requestVersion() {
                return ctx.apiVersion();
            }

            @Override
            public String clientId() {
                return ctx.header().clientId();
            }

            @Override
            public int correlationId() {
                return ctx.header().correlationId();
            }
        };
    }

    /** The {@code __consumer_offsets} partition that holds a group. */
    public int partitionFor(String groupId) {
        return service.partitionFor(groupId);
    }

    @Override
    public CompletableFuture<JoinGroupResponseData> joinGroup(RequestContext ctx, JoinGroupRequestData request) {
        return service.joinGroup(context(ctx), request, BufferSupplier.NO_CACHING);
    }

    @Override
    public CompletableFuture<SyncGroupResponseData> syncGroup(RequestContext ctx, SyncGroupRequestData request) {
        return service.syncGroup(context(ctx), request, BufferSupplier.NO_CACHING);
    }

    @Override
    public CompletableFuture<HeartbeatResponseData> heartbeat(RequestContext ctx, HeartbeatRequestData request) {
        return service.heartbeat(context(ctx), request);
    }

    @Override
    public CompletableFuture<LeaveGroupResponseData> leaveGroup(RequestContext ctx, LeaveGroupRequestData request) {
        return service.leaveGroup(context(ctx), request);
    }

    @Override
    public CompletableFuture<ListGroupsResponseData> listGroups(RequestContext ctx, ListGroupsRequestData request) {
        return service.listGroups(context(ctx), request);
    }

    @Override
    public CompletableFuture<List<DescribeGroupsResponseData.DescribedGroup>> describeGroups(RequestContext ctx,
                                                                                             List<String> groupIds) {
        return service.describeGroups(context(ctx), groupIds);
    }

    @Override
    public CompletableFuture<DeleteGroupsResponseData.DeletableGroupResultCollection> deleteGroups(
            RequestContext ctx, List<String> groupIds) {
        return service.deleteGroups(context(ctx), groupIds, BufferSupplier.NO_CACHING);
    }

    @Override
    public CompletableFuture<org.apache.kafka.common.message.TxnOffsetCommitResponseData> commitTransactionalOffsets(
            RequestContext ctx, org.apache.kafka.common.message.TxnOffsetCommitRequestData request) {
        return service.commitTransactionalOffsets(context(ctx), request, BufferSupplier.NO_CACHING);
    }

    @Override
    public CompletableFuture<Void> completeTransaction(int partition, long producerId, short producerEpoch,
                                                       int coordinatorEpoch, boolean commit, int transactionVersion) {
        return service.completeTransaction(new TopicPartition(CoordinatorTopic.OFFSETS, partition), producerId,
                producerEpoch, coordinatorEpoch, commit ? org.apache.kafka.common.requests.TransactionResult.COMMIT
                        : org.apache.kafka.common.requests.TransactionResult.ABORT,
                (short) transactionVersion);
    }

    @Override
    public CompletableFuture<OffsetCommitResponseData> commitOffsets(RequestContext ctx,
                                                                     OffsetCommitRequestData request) {
        return service.commitOffsets(context(ctx), request, BufferSupplier.NO_CACHING);
    }

    @Override
    public CompletableFuture<OffsetFetchResponseData.OffsetFetchResponseGroup> fetchOffsets(
            RequestContext ctx, OffsetFetchRequestData.OffsetFetchRequestGroup group, boolean requireStable) {
        return service.fetchOffsets(context(ctx), group, requireStable);
    }

    @Override
    public CompletableFuture<OffsetDeleteResponseData> deleteOffsets(RequestContext ctx,
                                                                     OffsetDeleteRequestData request) {
        return service.deleteOffsets(context(ctx), request, BufferSupplier.NO_CACHING);
    }

    @Override
    public CompletableFuture<ConsumerGroupHeartbeatResponseData> consumerGroupHeartbeat(
            RequestContext ctx, ConsumerGroupHeartbeatRequestData request) {
        return service.consumerGroupHeartbeat(context(ctx), request);
    }

    @Override
    public CompletableFuture<List<ConsumerGroupDescribeResponseData.DescribedGroup>> consumerGroupDescribe(
            RequestContext ctx, List<String> groupIds) {
        return service.consumerGroupDescribe(context(ctx), groupIds);
    }

    @Override
    public synchronized void close() {
        closed = true;
        imageRefresh.cancel(false);
        compactorExecutor.shutdownNow();
        service.shutdown();
        try {
            timer.close();
        } catch (Exception e) {
            log.debug("timer close failed", e);
        }
    }

    /** Lag of share groups needs data-partition offsets; share groups are not served. */
    private static final class NoShareGroupLag implements PartitionMetadataClient {
        @Override
        public Map<TopicPartition, CompletableFuture<OffsetResponse>> listLatestOffsets(Set<TopicPartition> partitions) {
            Map<TopicPartition, CompletableFuture<OffsetResponse>> out = new HashMap<>();
            partitions.forEach(tp -> out.put(tp,
                    CompletableFuture.failedFuture(new UnsupportedVersionException("share groups are not served"))));
            return out;
        }

        @Override
        public void close() {
        }
    }
}
