package io.kop.coordinator;

import io.kop.api.RequestContext;
import io.kop.security.Principal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.apache.kafka.common.errors.CoordinatorNotAvailableException;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group coordinators of this broker, one per metadata tenant, and which one a request goes to.
 * With {@code kafkaEnableMultiTenantMetadata} each tenant has its own {@code __consumer_offsets} in
 * {@code <tenant>/<kafkaMetadataNamespace>} and its own coordinator, picked by the tenant of the
 * request's principal (its SASL username): group ids are then per tenant, and no tenant lists,
 * describes or joins another's groups. Connections without a principal, and every connection when
 * the setting is off, use {@code kafkaMetadataTenant}. A tenant's coordinator starts on a broker the
 * first time one of its clients asks there, or when the broker is given a bundle of the tenant's
 * metadata namespace; only tenants that exist in Pulsar get one.
 */
public final class GroupCoordinators implements GroupService {
    private static final Logger log = LoggerFactory.getLogger(GroupCoordinators.class);

    /**
     * One tenant's offsets topic and coordinator ({@code partitionFor}: a group's offsets partition),
     * and its transaction coordinator ({@code transactions}; null in unit tests).
     */
    public record Tenant(String name, CoordinatorTopic offsetsTopic, GroupService groups,
                         ToIntFunction<String> partitionFor, GroupConfigTarget configs, AutoCloseable onClose,
                         Transactions transactions) {
    }

    /**
     * A tenant's {@code __transaction_state} and transaction coordinator; {@code names}: how the
     * coordinator names topics (the tenant's view); {@code adder}: adds partitions to transactions for
     * their owners (transactions v2); {@code onClose}: what to release with them.
     */
    public record Transactions(CoordinatorTopic topic, TransactionService service,
                               io.kop.topic.KafkaTopicNames names, TxnPartitionAdder adder, AutoCloseable onClose) {
    }

    private final boolean perTenant;
    private final String metadataTenant;
    private final Function<String, Tenant> factory;
    private final Function<String, CompletableFuture<Boolean>> tenantExists;
    private final Map<String, CompletableFuture<Tenant>> tenants = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * @param factory starts a tenant's offsets topic and coordinator
     * @param tenantExists whether Pulsar has the tenant
     */
    public GroupCoordinators(boolean perTenant, String metadataTenant, Function<String, Tenant> factory,
                             Function<String, CompletableFuture<Boolean>> tenantExists) {
        this.perTenant = perTenant;
        this.metadataTenant = metadataTenant;
        this.factory = factory;
        this.tenantExists = tenantExists;
    }

    /** The tenant's coordinator if it runs on this broker. */
    public java.util.Optional<Tenant> running(String tenant) {
        CompletableFuture<Tenant> t = tenants.get(tenant);
        return t != null && t.isDone() && !t.isCompletedExceptionally() ? java.util.Optional.of(t.join())
                : java.util.Optional.empty();
    }

    public boolean perTenant() {
        return perTenant;
    }

    /** The metadata tenant of a request: its principal's tenant when tenants have their own metadata. */
    public String tenantOf(RequestContext ctx) {
        Principal p = ctx.principal();
        return perTenant && p != null && p.tenant() != null ? p.tenant() : metadataTenant;
    }

    /** The coordinator serving the request's tenant, started if it was not yet. */
    public CompletableFuture<Tenant> of(RequestContext ctx) {
        return forTenant(tenantOf(ctx));
    }

    /** The tenant's coordinator on this broker, started if it was not yet; fails if the tenant does not exist. */
    public CompletableFuture<Tenant> forTenant(String tenant) {
        CompletableFuture<Tenant> running = tenants.get(tenant);
        if (running != null) {
            return running;
        }
        if (closed) {
            return CompletableFuture.failedFuture(new CoordinatorNotAvailableException("the broker is stopping"));
        }
        CompletableFuture<Boolean> exists = tenant.equals(metadataTenant) ? CompletableFuture.completedFuture(true)
                : tenantExists.apply(tenant);
        return exists.thenCompose(yes -> {
            if (!yes) {
                throw new CoordinatorNotAvailableException("tenant " + tenant + " does not exist, so it has no "
                        + "group coordinator");
            }
            CompletableFuture<Tenant> mine = new CompletableFuture<>();
            CompletableFuture<Tenant> first = tenants.putIfAbsent(tenant, mine);
            if (first != null) {
                return first;
            }
            // Outside any lock: starting registers ownership listeners, which may ask for this tenant again.
            try {
                log.info("starting the group coordinator of tenant {}", tenant);
                mine.complete(factory.apply(tenant));
            } catch (RuntimeException e) {
                tenants.remove(tenant, mine);
                mine.completeExceptionally(e);
            }
            if (closed) {
                close();
            }
            return mine;
        });
    }

    private <T> CompletableFuture<T> on(RequestContext ctx, Function<GroupService, CompletableFuture<T>> call) {
        return of(ctx).thenCompose(t -> call.apply(t.groups()));
    }

    @Override
    public CompletableFuture<JoinGroupResponseData> joinGroup(RequestContext ctx, JoinGroupRequestData request) {
        return on(ctx, g -> g.joinGroup(ctx, request));
    }

    @Override
    public CompletableFuture<SyncGroupResponseData> syncGroup(RequestContext ctx, SyncGroupRequestData request) {
        return on(ctx, g -> g.syncGroup(ctx, request));
    }

    @Override
    public CompletableFuture<HeartbeatResponseData> heartbeat(RequestContext ctx, HeartbeatRequestData request) {
        return on(ctx, g -> g.heartbeat(ctx, request));
    }

    @Override
    public CompletableFuture<LeaveGroupResponseData> leaveGroup(RequestContext ctx, LeaveGroupRequestData request) {
        return on(ctx, g -> g.leaveGroup(ctx, request));
    }

    @Override
    public CompletableFuture<ListGroupsResponseData> listGroups(RequestContext ctx, ListGroupsRequestData request) {
        return on(ctx, g -> g.listGroups(ctx, request));
    }

    @Override
    public CompletableFuture<List<DescribeGroupsResponseData.DescribedGroup>> describeGroups(RequestContext ctx,
                                                                                             List<String> groupIds) {
        return on(ctx, g -> g.describeGroups(ctx, groupIds));
    }

    @Override
    public CompletableFuture<DeleteGroupsResponseData.DeletableGroupResultCollection> deleteGroups(
            RequestContext ctx, List<String> groupIds) {
        return on(ctx, g -> g.deleteGroups(ctx, groupIds));
    }

    @Override
    public CompletableFuture<OffsetCommitResponseData> commitOffsets(RequestContext ctx,
                                                                     OffsetCommitRequestData request) {
        return on(ctx, g -> g.commitOffsets(ctx, request));
    }

    @Override
    public CompletableFuture<org.apache.kafka.common.message.TxnOffsetCommitResponseData> commitTransactionalOffsets(
            RequestContext ctx, org.apache.kafka.common.message.TxnOffsetCommitRequestData request) {
        return on(ctx, g -> g.commitTransactionalOffsets(ctx, request));
    }

    /** Markers reach a tenant's coordinator directly (see {@link Tenant#groups}), never through here. */
    @Override
    public CompletableFuture<Void> completeTransaction(int partition, long producerId, short producerEpoch,
                                                       int coordinatorEpoch, boolean commit, int transactionVersion) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("markers go to a tenant's coordinator"));
    }

    @Override
    public CompletableFuture<OffsetFetchResponseData.OffsetFetchResponseGroup> fetchOffsets(
            RequestContext ctx, OffsetFetchRequestData.OffsetFetchRequestGroup group, boolean requireStable) {
        return on(ctx, g -> g.fetchOffsets(ctx, group, requireStable));
    }

    @Override
    public CompletableFuture<OffsetDeleteResponseData> deleteOffsets(RequestContext ctx,
                                                                     OffsetDeleteRequestData request) {
        return on(ctx, g -> g.deleteOffsets(ctx, request));
    }

    @Override
    public CompletableFuture<ConsumerGroupHeartbeatResponseData> consumerGroupHeartbeat(
            RequestContext ctx, ConsumerGroupHeartbeatRequestData request) {
        return on(ctx, g -> g.consumerGroupHeartbeat(ctx, request));
    }

    @Override
    public CompletableFuture<List<ConsumerGroupDescribeResponseData.DescribedGroup>> consumerGroupDescribe(
            RequestContext ctx, List<String> groupIds) {
        return on(ctx, g -> g.consumerGroupDescribe(ctx, groupIds));
    }

    @Override
    public void close() {
        closed = true;
        tenants.values().forEach(f -> {
            if (f.isDone() && !f.isCompletedExceptionally()) {
                Tenant t = f.join();
                if (tenants.remove(t.name(), f)) {
                    try {
                        t.onClose().close();
                    } catch (Exception e) {
                        log.warn("closing the group coordinator of tenant {} failed", t.name(), e);
                    }
                    t.groups().close();
                    if (t.transactions() != null) {
                        t.transactions().service().close();
                        try {
                            t.transactions().onClose().close();
                        } catch (Exception e) {
                            log.warn("closing the transaction coordinator of tenant {} failed", t.name(), e);
                        }
                    }
                }
            }
        });
    }
}
