package io.kop.coordinator;

import io.kop.api.RequestContext;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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

/**
 * The group coordinator as the request handlers see it: protocol messages in, protocol messages out.
 * Implemented by Kafka's own coordinator behind {@code io.kop.coordinator.bridge}, the one package that
 * imports Kafka-internal classes.
 */
public interface GroupService extends AutoCloseable {
    CompletableFuture<JoinGroupResponseData> joinGroup(RequestContext ctx, JoinGroupRequestData request);

    CompletableFuture<SyncGroupResponseData> syncGroup(RequestContext ctx, SyncGroupRequestData request);

    CompletableFuture<HeartbeatResponseData> heartbeat(RequestContext ctx, HeartbeatRequestData request);

    CompletableFuture<LeaveGroupResponseData> leaveGroup(RequestContext ctx, LeaveGroupRequestData request);

    CompletableFuture<ListGroupsResponseData> listGroups(RequestContext ctx, ListGroupsRequestData request);

    CompletableFuture<List<DescribeGroupsResponseData.DescribedGroup>> describeGroups(RequestContext ctx,
                                                                                      List<String> groupIds);

    CompletableFuture<DeleteGroupsResponseData.DeletableGroupResultCollection> deleteGroups(RequestContext ctx,
                                                                                             List<String> groupIds);

    CompletableFuture<OffsetCommitResponseData> commitOffsets(RequestContext ctx, OffsetCommitRequestData request);

    /** TxnOffsetCommit: offsets that become visible when the producer's transaction commits. */
    CompletableFuture<org.apache.kafka.common.message.TxnOffsetCommitResponseData> commitTransactionalOffsets(
            RequestContext ctx, org.apache.kafka.common.message.TxnOffsetCommitRequestData request);

    /**
     * A transaction marker for {@code __consumer_offsets} partition {@code partition}: makes the
     * producer's pending offsets visible (commit) or drops them (abort).
     */
    CompletableFuture<Void> completeTransaction(int partition, long producerId, short producerEpoch,
                                                int coordinatorEpoch, boolean commit, int transactionVersion);

    CompletableFuture<OffsetFetchResponseData.OffsetFetchResponseGroup> fetchOffsets(
            RequestContext ctx, OffsetFetchRequestData.OffsetFetchRequestGroup group, boolean requireStable);

    CompletableFuture<OffsetDeleteResponseData> deleteOffsets(RequestContext ctx, OffsetDeleteRequestData request);

    CompletableFuture<ConsumerGroupHeartbeatResponseData> consumerGroupHeartbeat(
            RequestContext ctx, ConsumerGroupHeartbeatRequestData request);

    CompletableFuture<List<ConsumerGroupDescribeResponseData.DescribedGroup>> consumerGroupDescribe(
            RequestContext ctx, List<String> groupIds);

    @Override
    void close();
}
