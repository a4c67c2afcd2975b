package io.kop.metrics;

import java.util.Map;
import org.apache.kafka.common.message.*;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.*;

/**
 * The error codes a response carries (top level and per topic, partition, group...), counted the way
 * Kafka's own request metrics count them: through each response class's {@code errorCounts()}. One
 * table from API key to response class; an API missing here counts no errors.
 */
final class ResponseErrors {
    private ResponseErrors() {
    }

    static Map<Errors, Integer> of(ApiKeys key, ApiMessage m, short version) {
        AbstractResponse r = switch (key) {
            case PRODUCE -> new ProduceResponse((ProduceResponseData) m);
            case FETCH -> FetchResponse.of((FetchResponseData) m);
            case LIST_OFFSETS -> new ListOffsetsResponse((ListOffsetsResponseData) m);
            case METADATA -> new MetadataResponse((MetadataResponseData) m, version);
            case OFFSET_COMMIT -> new OffsetCommitResponse((OffsetCommitResponseData) m);
            case OFFSET_FETCH -> new OffsetFetchResponse((OffsetFetchResponseData) m, version);
            case FIND_COORDINATOR -> new FindCoordinatorResponse((FindCoordinatorResponseData) m);
            case JOIN_GROUP -> new JoinGroupResponse((JoinGroupResponseData) m, version);
            case HEARTBEAT -> new HeartbeatResponse((HeartbeatResponseData) m);
            case LEAVE_GROUP -> new LeaveGroupResponse((LeaveGroupResponseData) m);
            case SYNC_GROUP -> new SyncGroupResponse((SyncGroupResponseData) m);
            case DESCRIBE_GROUPS -> new DescribeGroupsResponse((DescribeGroupsResponseData) m);
            case LIST_GROUPS -> new ListGroupsResponse((ListGroupsResponseData) m);
            case SASL_HANDSHAKE -> new SaslHandshakeResponse((SaslHandshakeResponseData) m);
            case API_VERSIONS -> new ApiVersionsResponse((ApiVersionsResponseData) m);
            case CREATE_TOPICS -> new CreateTopicsResponse((CreateTopicsResponseData) m);
            case DELETE_TOPICS -> new DeleteTopicsResponse((DeleteTopicsResponseData) m);
            case DELETE_RECORDS -> new DeleteRecordsResponse((DeleteRecordsResponseData) m);
            case INIT_PRODUCER_ID -> new InitProducerIdResponse((InitProducerIdResponseData) m);
            case OFFSET_FOR_LEADER_EPOCH -> new OffsetsForLeaderEpochResponse((OffsetForLeaderEpochResponseData) m);
            case ADD_PARTITIONS_TO_TXN -> new AddPartitionsToTxnResponse((AddPartitionsToTxnResponseData) m);
            case ADD_OFFSETS_TO_TXN -> new AddOffsetsToTxnResponse((AddOffsetsToTxnResponseData) m);
            case END_TXN -> new EndTxnResponse((EndTxnResponseData) m);
            case WRITE_TXN_MARKERS -> new WriteTxnMarkersResponse((WriteTxnMarkersResponseData) m);
            case TXN_OFFSET_COMMIT -> new TxnOffsetCommitResponse((TxnOffsetCommitResponseData) m);
            case DESCRIBE_CONFIGS -> new DescribeConfigsResponse((DescribeConfigsResponseData) m);
            case ALTER_CONFIGS -> new AlterConfigsResponse((AlterConfigsResponseData) m);
            case DESCRIBE_LOG_DIRS -> new DescribeLogDirsResponse((DescribeLogDirsResponseData) m);
            case SASL_AUTHENTICATE -> new SaslAuthenticateResponse((SaslAuthenticateResponseData) m);
            case CREATE_PARTITIONS -> new CreatePartitionsResponse((CreatePartitionsResponseData) m);
            case DELETE_GROUPS -> new DeleteGroupsResponse((DeleteGroupsResponseData) m);
            case INCREMENTAL_ALTER_CONFIGS -> new IncrementalAlterConfigsResponse((IncrementalAlterConfigsResponseData) m);
            case OFFSET_DELETE -> new OffsetDeleteResponse((OffsetDeleteResponseData) m);
            case DESCRIBE_CLIENT_QUOTAS -> new DescribeClientQuotasResponse((DescribeClientQuotasResponseData) m);
            case DESCRIBE_USER_SCRAM_CREDENTIALS ->
                    new DescribeUserScramCredentialsResponse((DescribeUserScramCredentialsResponseData) m);
            case ALTER_USER_SCRAM_CREDENTIALS ->
                    new AlterUserScramCredentialsResponse((AlterUserScramCredentialsResponseData) m);
            case DESCRIBE_CLUSTER -> new DescribeClusterResponse((DescribeClusterResponseData) m);
            case DESCRIBE_PRODUCERS -> new DescribeProducersResponse((DescribeProducersResponseData) m);
            case DESCRIBE_TRANSACTIONS -> new DescribeTransactionsResponse((DescribeTransactionsResponseData) m);
            case LIST_TRANSACTIONS -> new ListTransactionsResponse((ListTransactionsResponseData) m);
            case CONSUMER_GROUP_HEARTBEAT -> new ConsumerGroupHeartbeatResponse((ConsumerGroupHeartbeatResponseData) m);
            case CONSUMER_GROUP_DESCRIBE -> new ConsumerGroupDescribeResponse((ConsumerGroupDescribeResponseData) m);
            default -> null;
        };
        return r == null ? Map.of() : r.errorCounts();
    }
}
