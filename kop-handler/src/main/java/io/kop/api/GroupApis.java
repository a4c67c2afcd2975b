package io.kop.api;

import io.kop.coordinator.GroupService;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.ConsumerGroupDescribeRequest;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatRequest;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.ListGroupsRequest;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.SyncGroupRequest;

/**
 * The group APIs whose requests go to the embedded coordinator unchanged: JoinGroup 11, Heartbeat 12,
 * SyncGroup 14, DescribeGroups 15, ListGroups 16 (each broker lists the groups it coordinates; the admin
 * client asks every broker, as with Kafka), DeleteGroups 42, OffsetDelete 47, ConsumerGroupHeartbeat 68
 * (KIP-848) and ConsumerGroupDescribe 69. The ones that need work of their own (FindCoordinator,
 * OffsetCommit, OffsetFetch, LeaveGroup) have their own handlers.
 */
final class GroupApis {
    private GroupApis() {
    }

    static void register(ApiDispatcher dispatcher, GroupService groups) {
        dispatcher
                .register(ApiKeys.JOIN_GROUP, (RequestContext ctx, JoinGroupRequest r) -> groups.joinGroup(ctx, r.data()))
                .register(ApiKeys.HEARTBEAT, (RequestContext ctx, HeartbeatRequest r) -> groups.heartbeat(ctx, r.data()))
                .register(ApiKeys.SYNC_GROUP, (RequestContext ctx, SyncGroupRequest r) -> groups.syncGroup(ctx, r.data()))
                .register(ApiKeys.DESCRIBE_GROUPS, (RequestContext ctx, DescribeGroupsRequest r) ->
                        groups.describeGroups(ctx, r.data().groups())
                                .thenApply(list -> new DescribeGroupsResponseData().setGroups(list)))
                .register(ApiKeys.LIST_GROUPS, (RequestContext ctx, ListGroupsRequest r) -> groups.listGroups(ctx, r.data()))
                .register(ApiKeys.DELETE_GROUPS, (RequestContext ctx, DeleteGroupsRequest r) ->
                        groups.deleteGroups(ctx, r.data().groupsNames())
                                .thenApply(results -> new DeleteGroupsResponseData().setResults(results)))
                .register(ApiKeys.OFFSET_DELETE, (RequestContext ctx, OffsetDeleteRequest r) ->
                        groups.deleteOffsets(ctx, r.data()))
                .register(ApiKeys.CONSUMER_GROUP_HEARTBEAT, (RequestContext ctx, ConsumerGroupHeartbeatRequest r) ->
                        groups.consumerGroupHeartbeat(ctx, r.data()))
                .register(ApiKeys.CONSUMER_GROUP_DESCRIBE, (RequestContext ctx, ConsumerGroupDescribeRequest r) ->
                        groups.consumerGroupDescribe(ctx, r.data().groupIds())
                                .thenApply(list -> new ConsumerGroupDescribeResponseData().setGroups(list)));
    }
}
