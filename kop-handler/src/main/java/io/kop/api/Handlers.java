package io.kop.api;

import io.kop.KopServices;
import io.kop.config.BrokerConfigs;
import io.kop.coordinator.bridge.KafkaGroupConfigDefs;
import io.kop.topic.TopicConfigs;
import org.apache.kafka.common.protocol.ApiKeys;

/** Every API this broker serves, one handler each; ApiVersions advertises exactly these. */
public final class Handlers {
    private Handlers() {
    }

    public static ApiDispatcher all(KopServices services) {
        ApiDispatcher dispatcher = new ApiDispatcher(new AuthorizationStage(services.topicIds()));
        GroupApis.register(dispatcher, services.groups());
        short transactionVersion = services.config().transactionVersion();
        TransactionHandlers.register(dispatcher, services.groups(), transactionVersion);
        TopicConfigs topicConfigs = new TopicConfigs(services.config());
        int nodeId = services.brokers().self(services.config().listeners().get(0).name()).id();
        return dispatcher
                .register(ApiKeys.PRODUCE, new ProduceHandler(services))
                .register(ApiKeys.FETCH, new FetchHandler(services))
                .register(ApiKeys.LIST_OFFSETS, new ListOffsetsHandler(services))
                .register(ApiKeys.DELETE_RECORDS, new DeleteRecordsHandler(services.logs()))
                .register(ApiKeys.DESCRIBE_PRODUCERS, new DescribeProducersHandler(services.logs()))
                .register(ApiKeys.DESCRIBE_LOG_DIRS, new DescribeLogDirsHandler(services.pulsar().getBrokerService(),
                        services.pulsar().getConfiguration().getClusterName(), services.config().metadataNamespace()))
                .register(ApiKeys.METADATA, new MetadataHandler(services))
                .register(ApiKeys.OFFSET_FOR_LEADER_EPOCH, new OffsetsForLeaderEpochHandler(services.topics(),
                        services.logs()))
                .register(ApiKeys.API_VERSIONS, new ApiVersionsHandler(() -> dispatcher.apiVersions(
                        org.apache.kafka.common.protocol.Errors.NONE), transactionVersion))
                .register(ApiKeys.CREATE_TOPICS, new CreateTopicsHandler(services, topicConfigs))
                .register(ApiKeys.DELETE_TOPICS, new DeleteTopicsHandler(services))
                .register(ApiKeys.INIT_PRODUCER_ID, (short) 5, new InitProducerIdHandler(services))
                .register(ApiKeys.TXN_OFFSET_COMMIT, new TxnOffsetCommitHandler(services.groups(), services.topicIds()))
                .register(ApiKeys.WRITE_TXN_MARKERS, new WriteTxnMarkersHandler(services.groups(), services.logs()))
                .register(ApiKeys.DESCRIBE_CONFIGS, new DescribeConfigsHandler(topicConfigs,
                        new BrokerConfigs(services.config(), services.pulsar().getConfiguration(), nodeId),
                        KafkaGroupConfigDefs.describe(services.config().groupCoordinatorConfig()),
                        services.groupConfigs(), nodeId))
                .register(ApiKeys.ALTER_CONFIGS, new AlterConfigsHandler(topicConfigs, services.groupConfigs()))
                .register(ApiKeys.INCREMENTAL_ALTER_CONFIGS, new IncrementalAlterConfigsHandler(topicConfigs,
                        services.groupConfigs()))
                .register(ApiKeys.CREATE_PARTITIONS, new CreatePartitionsHandler(services))
                .register(ApiKeys.DESCRIBE_CLUSTER, new DescribeClusterHandler(services))
                .register(ApiKeys.FIND_COORDINATOR, new FindCoordinatorHandler(services))
                .register(ApiKeys.LEAVE_GROUP, new LeaveGroupHandler(services))
                .register(ApiKeys.OFFSET_COMMIT, new OffsetCommitHandler(services))
                .register(ApiKeys.OFFSET_FETCH, new OffsetFetchHandler(services))
                .register(ApiKeys.SASL_HANDSHAKE, new SaslHandshakeHandler())
                .register(ApiKeys.SASL_AUTHENTICATE, new SaslAuthenticateHandler())
                .register(ApiKeys.DESCRIBE_CLIENT_QUOTAS, new DescribeClientQuotasHandler())
                .register(ApiKeys.DESCRIBE_USER_SCRAM_CREDENTIALS, new DescribeUserScramCredentialsHandler(services.scram()))
                .register(ApiKeys.ALTER_USER_SCRAM_CREDENTIALS, new AlterUserScramCredentialsHandler(services.scram()));
    }
}
