package io.kop.coordinator;

import io.kop.metrics.GroupLag;
import io.kop.metrics.GroupMembers;
import io.kop.stats.ClientGroups;
import io.kop.storage.PartitionLog;
import io.kop.storage.PartitionLogManager;
import io.kop.topic.KafkaTopicNames;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.common.util.FutureUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shows Kafka consumer groups to Pulsar tools: every few seconds each broker asks the group
 * coordinators (through the Kafka protocol, so it works whichever broker coordinates a group) for the
 * committed offsets of the partitions it serves, and moves one durable subscription per group to match
 * ({@link PartitionLog#mirrorGroups}). Commits never wait for it.
 */
public final class GroupSubscriptionMirror implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupSubscriptionMirror.class);

    private final PartitionLogManager logs;
    private final KafkaTopicNames names;
    private final Properties clientSettings;
    private final String tenantOnly;
    private final GroupLag lag;
    private final ClientGroups clientGroups;
    private final GroupMembers members;
    private final int nodeId;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile Admin admin;
    private ScheduledFuture<?> task;

    /**
     * @param clientSettings how this broker reaches KoP as a Kafka client (see BrokerKafkaClient)
     * @param tenantOnly     the tenant whose partitions this mirror keeps (each tenant with its own
     *                       coordinator has its own mirror), or null for all
     * @param nodeId         this broker's Kafka node id: it reports the groups it coordinates
     */
    public GroupSubscriptionMirror(PartitionLogManager logs, KafkaTopicNames names, Properties clientSettings,
                                   String tenantOnly, int nodeId, GroupLag lag, GroupMembers members,
                                   ClientGroups clientGroups) {
        this.nodeId = nodeId;
        this.members = members;
        this.clientGroups = clientGroups;
        this.tenantOnly = tenantOnly;
        this.lag = lag;
        this.logs = logs;
        this.names = names;
        this.clientSettings = clientSettings;
    }

    public void start(ScheduledExecutorService scheduler, long intervalMs) {
        task = scheduler.scheduleWithFixedDelay(this::mirrorOnce, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
    }

    private void mirrorOnce() {
        Map<TopicName, PartitionLog> local = logs.loaded();
        if (tenantOnly != null) {
            local.keySet().removeIf(t -> !t.getTenant().equals(tenantOnly));
        }
        if (local.isEmpty()) {
            lag.update(String.valueOf(tenantOnly), List.of());
            return;
        }
        if (!running.compareAndSet(false, true)) {
            return;
        }
        List<GroupLag.Row> rows = new java.util.ArrayList<>();
        committedOffsets().thenCompose(offsets -> {
            List<CompletableFuture<Void>> updates = new java.util.ArrayList<>();
            local.forEach((partition, partitionLog) -> {
                TopicPartition tp = new TopicPartition(names.toKafka(partition),
                        partition.isPartitioned() ? partition.getPartitionIndex() : 0);
                Map<String, Long> groups = new HashMap<>();
                offsets.forEach((group, committed) -> {
                    OffsetAndMetadata o = committed.get(tp);
                    if (o != null) {
                        groups.put(group, o.offset());
                    }
                });
                updates.add(partitionLog.mirrorGroups(groups));
                if (!groups.isEmpty()) {
                    updates.add(partitionLog.offsets().thenAccept(o -> {
                        synchronized (rows) {
                            groups.forEach((group, committed) -> rows.add(new GroupLag.Row(group,
                                    partition.getNamespace(), tp.topic(), tp.partition(), committed,
                                    o.highWatermark())));
                        }
                    }));
                }
            });
            return FutureUtil.waitForAll(updates).thenRun(() -> lag.update(String.valueOf(tenantOnly), rows));
        }).whenComplete((v, t) -> {
            running.set(false);
            if (t != null) {
                log.debug("group subscriptions not updated this round: {}", t.toString());
            }
        });
    }

    private CompletableFuture<Map<String, Map<TopicPartition, OffsetAndMetadata>>> committedOffsets() {
        Admin a = admin();
        return a.listGroups(ListGroupsOptions.forConsumerGroups()).all().toCompletionStage().toCompletableFuture()
                .thenCompose(groups -> {
                    if (groups.isEmpty()) {
                        clientGroups.update(String.valueOf(tenantOnly), List.of());
                        members.update(String.valueOf(tenantOnly), List.of());
                        return CompletableFuture.completedFuture(Map.of());
                    }
                    Map<String, ListConsumerGroupOffsetsSpec> specs = new HashMap<>();
                    groups.forEach(g -> specs.put(g.groupId(), new ListConsumerGroupOffsetsSpec()));
                    describeMembers(a, specs.keySet());
                    return a.listConsumerGroupOffsets(specs).all().toCompletionStage().toCompletableFuture();
                });
    }

    /**
     * Tells {@link ClientGroups} which clients fetch for which group, so fetches count for its
     * subscription, and {@link GroupMembers} the state and size of the groups this broker coordinates.
     */
    private void describeMembers(Admin a, java.util.Set<String> groupIds) {
        List<CompletableFuture<ConsumerGroupDescription>> described = new java.util.ArrayList<>();
        a.describeConsumerGroups(groupIds).describedGroups().values().forEach(future -> described.add(
                future.toCompletionStage().toCompletableFuture().exceptionally(t -> null)));
        FutureUtil.waitForAll(described).thenRun(() -> {
            List<ConsumerGroupDescription> groups = described.stream().map(CompletableFuture::join)
                    .filter(java.util.Objects::nonNull).toList();
            clientGroups.update(String.valueOf(tenantOnly), groups.stream().flatMap(d -> d.members().stream()
                    .map(m -> new ClientGroups.Member(d.groupId(), m.host(), m.clientId(),
                            m.assignment().topicPartitions().stream().map(TopicPartition::toString).toList())))
                    .toList());
            members.update(String.valueOf(tenantOnly), groups.stream()
                    .filter(d -> d.coordinator() != null && d.coordinator().id() == nodeId)
                    .map(d -> new GroupMembers.Group(d.groupId(), d.groupState().toString(), d.members().size()))
                    .toList());
        });
    }

    private Admin admin() {
        if (admin == null) {
            Thread t = Thread.currentThread();
            ClassLoader previous = t.getContextClassLoader();
            t.setContextClassLoader(GroupSubscriptionMirror.class.getClassLoader());
            try {
                Properties p = new Properties();
                p.putAll(clientSettings);
                p.put(AdminClientConfig.CLIENT_ID_CONFIG, "kop-group-subscription-mirror");
                admin = Admin.create(p);
            } finally {
                t.setContextClassLoader(previous);
            }
        }
        return admin;
    }

    @Override
    public void close() {
        if (task != null) {
            task.cancel(false);
        }
        if (admin != null) {
            admin.close(java.time.Duration.ofSeconds(5));
        }
    }
}
