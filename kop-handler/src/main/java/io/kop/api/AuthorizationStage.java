package io.kop.api;

import io.kop.security.Access.GroupOp;
import io.kop.security.Access.TopicOp;
import io.kop.topic.KafkaTopicNames;
import io.kop.topic.TopicIdRegistry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.AlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DescribeProducersRequest;
import org.apache.kafka.common.message.DescribeProducersResponseData;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData.CreatePartitionsTopicResult;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DeleteGroupsResponseData.DeletableGroupResult;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.message.DescribeConfigsRequestData.DescribeConfigsResource;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroup;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.FindCoordinatorResponseData.Coordinator;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsTopicResponse;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponsePartition;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponseTopic;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseGroup;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.ConsumerGroupDescribeRequest;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatRequest;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.OffsetsForLeaderEpochRequest;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.kafka.common.requests.SyncGroupRequest;
import org.apache.pulsar.common.naming.TopicName;

/**
 * The authorization stage every request passes before its handler, the one place Kafka operations are
 * checked ({@link Access} maps them onto Pulsar's permissions). A request about one group is refused
 * whole (GROUP_AUTHORIZATION_FAILED through kafka-clients' own error response); a request about many
 * topics or groups loses the refused ones before its handler runs, and they come back in the response
 * with TOPIC_/GROUP_AUTHORIZATION_FAILED, as Kafka answers. Listings (all-topics Metadata, ListGroups)
 * show only what the principal may describe. An API with no rule here is for superusers only.
 */
final class AuthorizationStage {
    interface Rule {
        CompletableFuture<ApiMessage> apply(RequestContext ctx, AbstractRequest request, Names names,
                                            Supplier<CompletableFuture<ApiMessage>> handler);
    }

    private final TopicIdRegistry topicIds;
    private final Map<ApiKeys, Rule> rules = new EnumMap<>(ApiKeys.class);

    AuthorizationStage(TopicIdRegistry topicIds) {
        this.topicIds = topicIds;
        Rule open = (ctx, r, n, handler) -> handler.get();
        // InitProducerId: idempotent writes, each produce is checked per topic. Transactional ids have no
        // Pulsar resource: a transaction lives in its tenant's coordinator, and what it touches is checked
        // (write on each partition it adds, read on the group whose offsets it commits).
        for (ApiKeys key : List.of(ApiKeys.API_VERSIONS, ApiKeys.SASL_HANDSHAKE, ApiKeys.SASL_AUTHENTICATE,
                ApiKeys.DESCRIBE_CLUSTER, ApiKeys.INIT_PRODUCER_ID, ApiKeys.END_TXN, ApiKeys.DESCRIBE_TRANSACTIONS,
                ApiKeys.LIST_TRANSACTIONS)) {
            rules.put(key, open);
        }
        rules.put(ApiKeys.ADD_PARTITIONS_TO_TXN, TransactionRules::addPartitionsToTxn);
        rules.put(ApiKeys.ADD_OFFSETS_TO_TXN, group(r -> ((org.apache.kafka.common.requests.AddOffsetsToTxnRequest) r)
                .data().groupId(), GroupOp.READ));
        rules.put(ApiKeys.TXN_OFFSET_COMMIT, TransactionRules::txnOffsetCommit);
        rules.put(ApiKeys.PRODUCE, this::produce);
        rules.put(ApiKeys.FETCH, this::fetch);
        rules.put(ApiKeys.LIST_OFFSETS, this::listOffsets);
        rules.put(ApiKeys.METADATA, this::metadata);
        rules.put(ApiKeys.OFFSET_FOR_LEADER_EPOCH, this::offsetsForLeaderEpoch);
        rules.put(ApiKeys.CREATE_TOPICS, this::createTopics);
        rules.put(ApiKeys.DELETE_TOPICS, this::deleteTopics);
        rules.put(ApiKeys.CREATE_PARTITIONS, this::createPartitions);
        rules.put(ApiKeys.DESCRIBE_CONFIGS, this::describeConfigs);
        rules.put(ApiKeys.ALTER_CONFIGS, this::alterConfigs);
        rules.put(ApiKeys.DELETE_RECORDS, this::deleteRecords);
        rules.put(ApiKeys.DESCRIBE_PRODUCERS, this::describeProducers);
        rules.put(ApiKeys.INCREMENTAL_ALTER_CONFIGS, this::incrementalAlterConfigs);
        rules.put(ApiKeys.FIND_COORDINATOR, this::findCoordinator);
        rules.put(ApiKeys.JOIN_GROUP, group(r -> ((JoinGroupRequest) r).data().groupId(), GroupOp.READ));
        rules.put(ApiKeys.SYNC_GROUP, group(r -> ((SyncGroupRequest) r).data().groupId(), GroupOp.READ));
        rules.put(ApiKeys.HEARTBEAT, group(r -> ((HeartbeatRequest) r).data().groupId(), GroupOp.READ));
        rules.put(ApiKeys.LEAVE_GROUP, group(r -> ((LeaveGroupRequest) r).data().groupId(), GroupOp.READ));
        rules.put(ApiKeys.CONSUMER_GROUP_HEARTBEAT, this::consumerGroupHeartbeat);
        rules.put(ApiKeys.OFFSET_DELETE, this::offsetDelete);
        rules.put(ApiKeys.OFFSET_COMMIT, this::offsetCommit);
        rules.put(ApiKeys.OFFSET_FETCH, this::offsetFetch);
        rules.put(ApiKeys.DESCRIBE_GROUPS, this::describeGroups);
        rules.put(ApiKeys.CONSUMER_GROUP_DESCRIBE, this::consumerGroupDescribe);
        rules.put(ApiKeys.DELETE_GROUPS, this::deleteGroups);
        rules.put(ApiKeys.LIST_GROUPS, this::listGroups);
    }

    CompletableFuture<ApiMessage> apply(RequestContext ctx, AbstractRequest request,
                                        Supplier<CompletableFuture<ApiMessage>> handler) {
        if (!ctx.access().enabled()) {
            return handler.get();
        }
        Rule rule = rules.get(request.apiKey());
        Names names = new Names(ctx.topics().names(), topicIds);
        if (rule == null) {
            return ctx.access().cluster().thenCompose(ok -> ok ? handler.get() : CompletableFuture.failedFuture(
                    new ClusterAuthorizationException(request.apiKey() + " is for superusers")));
        }
        return rule.apply(ctx, request, names, handler);
    }

    /** Kafka names as this principal writes them -> Pulsar topics; ids through the registry. */
    record Names(KafkaTopicNames view, TopicIdRegistry ids) {
        TopicName pulsar(String kafkaName) {
            try {
                return view.toPulsar(kafkaName);
            } catch (IllegalArgumentException e) {
                return null; // not a valid name: the handler answers INVALID_TOPIC_EXCEPTION
            }
        }

        CompletableFuture<String> name(String name, Uuid id) {
            return id == null || Uuid.ZERO_UUID.equals(id) ? CompletableFuture.completedFuture(name) : ids.name(id, view);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------

    /**
     * The shape of every rule about many topics or groups: finds each item's name ({@code key}, async for
     * topic ids), asks {@code allowed} once per name, takes the refused items out of the request (each
     * becoming {@code refusedEntry}), runs the handler on the rest and hands the refused entries to
     * {@code answer} to put into the response.
     */
    static <T, D> CompletableFuture<ApiMessage> filter(Collection<T> items,
            Function<T, CompletableFuture<String>> key, Function<String, CompletableFuture<Boolean>> allowed,
            Function<T, D> refusedEntry, BiConsumer<ApiMessage, List<D>> answer,
            Supplier<CompletableFuture<ApiMessage>> handler) {
        Map<T, String> keys = new IdentityHashMap<>();
        List<CompletableFuture<Void>> resolved = new ArrayList<>();
        for (T item : items) {
            resolved.add(key.apply(item).thenAccept(k -> {
                synchronized (keys) {
                    keys.put(item, k);
                }
            }));
        }
        return CompletableFuture.allOf(resolved.toArray(new CompletableFuture[0]))
                .thenCompose(v -> refused(keys.values().stream().filter(k -> k != null).toList(), allowed))
                .thenCompose(refused -> {
                    List<D> denied = new ArrayList<>();
                    for (Iterator<T> it = items.iterator(); it.hasNext(); ) {
                        T item = it.next();
                        String k = keys.get(item);
                        if (k != null && refused.contains(k)) {
                            denied.add(refusedEntry.apply(item));
                            it.remove();
                        }
                    }
                    return handler.get().thenApply(m -> {
                        if (!denied.isEmpty()) {
                            answer.accept(m, denied);
                        }
                        return m;
                    });
                });
    }

    static <T> Function<T, CompletableFuture<String>> named(Function<T, String> name) {
        return item -> CompletableFuture.completedFuture(name.apply(item));
    }

    /** The names among {@code keys} that {@code check} refuses. */
    static CompletableFuture<Set<String>> refused(Collection<String> keys,
                                                          Function<String, CompletableFuture<Boolean>> check) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        Set<String> refused = ConcurrentHashMap.newKeySet();
        for (String key : new HashSet<>(keys)) {
            all.add(check.apply(key).thenAccept(ok -> {
                if (!ok) {
                    refused.add(key);
                }
            }));
        }
        return CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).thenApply(v -> refused);
    }

    /** Checks a topic by its Kafka name; a name that is not valid passes to the handler, which refuses it. */
    static Function<String, CompletableFuture<Boolean>> topicCheck(RequestContext ctx, Names names, TopicOp op) {
        return name -> {
            TopicName t = names.pulsar(name);
            return t == null ? CompletableFuture.completedFuture(true) : ctx.access().topic(t, op);
        };
    }

    private static Function<String, CompletableFuture<Boolean>> groupCheck(RequestContext ctx, GroupOp op) {
        return group -> ctx.access().group(group, op);
    }

    /** The handler's list and the refused entries; handlers may answer with immutable lists. */
    static <T> List<T> plus(List<T> answered, List<T> denied) {
        List<T> out = new ArrayList<>(answered);
        out.addAll(denied);
        return out;
    }

    static Rule group(Function<AbstractRequest, String> groupId, GroupOp op) {
        return (ctx, r, names, handler) -> ctx.access().group(groupId.apply(r), op).thenCompose(ok -> ok
                ? handler.get()
                : CompletableFuture.failedFuture(new GroupAuthorizationException(groupId.apply(r))));
    }

    static short topicRefused() {
        return Errors.TOPIC_AUTHORIZATION_FAILED.code();
    }

    private static short groupRefused() {
        return Errors.GROUP_AUTHORIZATION_FAILED.code();
    }

    // ---- topics --------------------------------------------------------------------------------------

    private CompletableFuture<ApiMessage> produce(RequestContext ctx, AbstractRequest r, Names names,
                                                  Supplier<CompletableFuture<ApiMessage>> handler) {
        return filter(((ProduceRequest) r).data().topicData(), t -> names.name(t.name(), t.topicId()),
                topicCheck(ctx, names, TopicOp.WRITE),
                t -> new TopicProduceResponse().setName(t.name()).setTopicId(t.topicId()).setPartitionResponses(
                        t.partitionData().stream().map(p -> new PartitionProduceResponse().setIndex(p.index())
                                .setErrorCode(topicRefused())).toList()),
                (m, denied) -> denied.forEach(((ProduceResponseData) m).responses()::add), handler);
    }

    private CompletableFuture<ApiMessage> fetch(RequestContext ctx, AbstractRequest r, Names names,
                                                Supplier<CompletableFuture<ApiMessage>> handler) {
        return filter(((FetchRequest) r).data().topics(), t -> names.name(t.topic(), t.topicId()),
                topicCheck(ctx, names, TopicOp.READ),
                t -> new FetchableTopicResponse().setTopic(t.topic()).setTopicId(t.topicId()).setPartitions(
                        t.partitions().stream().map(p -> new PartitionData().setPartitionIndex(p.partition())
                                .setErrorCode(topicRefused()).setHighWatermark(-1).setLastStableOffset(-1)
                                .setLogStartOffset(-1)).toList()),
                (m, denied) -> ((FetchResponseData) m).setResponses(plus(((FetchResponseData) m).responses(), denied)),
                handler);
    }

    private CompletableFuture<ApiMessage> listOffsets(RequestContext ctx, AbstractRequest r, Names names,
                                                      Supplier<CompletableFuture<ApiMessage>> handler) {
        return filter(((ListOffsetsRequest) r).data().topics(), named(t -> t.name()),
                topicCheck(ctx, names, TopicOp.DESCRIBE),
                t -> new ListOffsetsTopicResponse().setName(t.name()).setPartitions(t.partitions().stream()
                        .map(p -> new ListOffsetsPartitionResponse().setPartitionIndex(p.partitionIndex())
                                .setErrorCode(topicRefused())).toList()),
                (m, denied) -> ((ListOffsetsResponseData) m).setTopics(plus(((ListOffsetsResponseData) m).topics(),
                        denied)), handler);
    }

    private CompletableFuture<ApiMessage> offsetsForLeaderEpoch(RequestContext ctx, AbstractRequest r, Names names,
                                                                Supplier<CompletableFuture<ApiMessage>> handler) {
        return filter(((OffsetsForLeaderEpochRequest) r).data().topics(), named(t -> t.topic()),
                topicCheck(ctx, names, TopicOp.DESCRIBE),
                t -> new OffsetForLeaderTopicResult().setTopic(t.topic()).setPartitions(t.partitions().stream()
                        .map(p -> new EpochEndOffset().setPartition(p.partition()).setErrorCode(topicRefused()))
                        .toList()),
                (m, denied) -> denied.forEach(((OffsetForLeaderEpochResponseData) m).topics()::add), handler);
    }

    private CompletableFuture<ApiMessage> metadata(RequestContext ctx, AbstractRequest r, Names names,
                                                   Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((MetadataRequest) r).data();
        Function<String, CompletableFuture<Boolean>> describe = topicCheck(ctx, names, TopicOp.DESCRIBE);
        if (data.topics() == null) { // all topics: only those the principal may describe are listed
            return handler.get().thenCompose(m -> {
                var out = (MetadataResponseData) m;
                return refused(out.topics().stream().map(MetadataResponseTopic::name).toList(), describe)
                        .thenApply(refused -> {
                            out.topics().removeIf(t -> refused.contains(t.name()));
                            return m;
                        });
            });
        }
        return filter(data.topics(), named(t -> t.name()), describe,
                t -> new MetadataResponseTopic().setName(t.name()).setTopicId(t.topicId())
                        .setErrorCode(topicRefused()),
                (m, denied) -> denied.forEach(((MetadataResponseData) m).topics()::add), handler);
    }

    private CompletableFuture<ApiMessage> createTopics(RequestContext ctx, AbstractRequest r, Names names,
                                                       Supplier<CompletableFuture<ApiMessage>> handler) {
        return filter(((CreateTopicsRequest) r).data().topics(), named(t -> t.name()),
                topicCheck(ctx, names, TopicOp.CREATE),
                t -> new CreatableTopicResult().setName(t.name()).setErrorCode(topicRefused())
                        .setErrorMessage("not allowed to create topics in this namespace"),
                (m, denied) -> denied.forEach(((CreateTopicsResponseData) m).topics()::add), handler);
    }

    private CompletableFuture<ApiMessage> deleteTopics(RequestContext ctx, AbstractRequest r, Names names,
                                                       Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((DeleteTopicsRequest) r).data();
        Function<String, CompletableFuture<Boolean>> delete = topicCheck(ctx, names, TopicOp.DELETE);
        BiConsumer<ApiMessage, List<DeletableTopicResult>> answer =
                (m, denied) -> denied.forEach(((DeleteTopicsResponseData) m).responses()::add);
        // v0-5 name topics in topicNames, v6 in topics (by name or id)
        return filter(data.topicNames(), named(n -> n), delete,
                n -> new DeletableTopicResult().setName(n).setErrorCode(topicRefused()), answer,
                () -> filter(data.topics(), t -> names.name(t.name(), t.topicId()), delete,
                        t -> new DeletableTopicResult().setName(t.name()).setTopicId(t.topicId())
                                .setErrorCode(topicRefused()), answer, handler));
    }

    private CompletableFuture<ApiMessage> createPartitions(RequestContext ctx, AbstractRequest r, Names names,
                                                           Supplier<CompletableFuture<ApiMessage>> handler) {
        return filter(((CreatePartitionsRequest) r).data().topics(), named(t -> t.name()),
                topicCheck(ctx, names, TopicOp.ALTER),
                t -> new CreatePartitionsTopicResult().setName(t.name()).setErrorCode(topicRefused()),
                (m, denied) -> ((CreatePartitionsResponseData) m).setResults(
                        plus(((CreatePartitionsResponseData) m).results(), denied)), handler);
    }

    private CompletableFuture<ApiMessage> describeConfigs(RequestContext ctx, AbstractRequest r, Names names,
                                                          Supplier<CompletableFuture<ApiMessage>> handler) {
        byte topicType = ConfigResource.Type.TOPIC.id();
        // a key per resource: topics by name, anything else (brokers) is the cluster's
        Function<DescribeConfigsResource, CompletableFuture<String>> key = res -> CompletableFuture.completedFuture(
                res.resourceType() == topicType ? "topic:" + res.resourceName() : "cluster");
        Function<String, CompletableFuture<Boolean>> allowed = k -> k.equals("cluster") ? ctx.access().cluster()
                : topicCheck(ctx, names, TopicOp.DESCRIBE).apply(k.substring("topic:".length()));
        return filter(((DescribeConfigsRequest) r).data().resources(), key, allowed, res -> {
            Errors e = res.resourceType() == topicType ? Errors.TOPIC_AUTHORIZATION_FAILED
                    : Errors.CLUSTER_AUTHORIZATION_FAILED;
            return new DescribeConfigsResult().setResourceType(res.resourceType()).setResourceName(res.resourceName())
                    .setErrorCode(e.code()).setErrorMessage(e.message());
        }, (m, denied) -> ((DescribeConfigsResponseData) m).setResults(plus(((DescribeConfigsResponseData) m).results(),
                denied)), handler);
    }

    /** DeleteRecords needs the topic's DELETE (Pulsar: the namespace's delete-topic operation), as in Kafka. */
    private CompletableFuture<ApiMessage> deleteRecords(RequestContext ctx, AbstractRequest r, Names names,
                                                        Supplier<CompletableFuture<ApiMessage>> handler) {
        return filter(((DeleteRecordsRequest) r).data().topics(), named(t -> t.name()),
                topicCheck(ctx, names, TopicOp.DELETE), t -> {
                    var result = new DeleteRecordsResponseData.DeleteRecordsTopicResult().setName(t.name());
                    t.partitions().forEach(p -> result.partitions().add(
                            new DeleteRecordsResponseData.DeleteRecordsPartitionResult()
                                    .setPartitionIndex(p.partitionIndex()).setLowWatermark(-1)
                                    .setErrorCode(topicRefused())));
                    return result;
                }, (m, denied) -> denied.forEach(((DeleteRecordsResponseData) m).topics()::add), handler);
    }

    /** DescribeProducers needs READ on the topic, as in Kafka. */
    private CompletableFuture<ApiMessage> describeProducers(RequestContext ctx, AbstractRequest r, Names names,
                                                            Supplier<CompletableFuture<ApiMessage>> handler) {
        return filter(((DescribeProducersRequest) r).data().topics(), named(t -> t.name()),
                topicCheck(ctx, names, TopicOp.READ), t -> {
                    var result = new DescribeProducersResponseData.TopicResponse().setName(t.name());
                    t.partitionIndexes().forEach(p -> result.partitions().add(
                            new DescribeProducersResponseData.PartitionResponse().setPartitionIndex(p)
                                    .setErrorCode(topicRefused())));
                    return result;
                }, (m, denied) -> ((DescribeProducersResponseData) m).topics().addAll(denied), handler);
    }

    /** Altering a topic's configs needs ALTER (Pulsar: the namespace's topic operations); brokers are the cluster's. */
    private static <T> Function<String, CompletableFuture<Boolean>> alterCheck(RequestContext ctx, Names names) {
        return k -> k.equals("cluster") ? ctx.access().cluster()
                : topicCheck(ctx, names, TopicOp.ALTER).apply(k.substring("topic:".length()));
    }

    private static CompletableFuture<String> configKey(byte type, String name) {
        return CompletableFuture.completedFuture(type == ConfigResource.Type.TOPIC.id() ? "topic:" + name : "cluster");
    }

    private static Errors configRefusal(byte type) {
        return type == ConfigResource.Type.TOPIC.id() ? Errors.TOPIC_AUTHORIZATION_FAILED
                : Errors.CLUSTER_AUTHORIZATION_FAILED;
    }

    private CompletableFuture<ApiMessage> alterConfigs(RequestContext ctx, AbstractRequest r, Names names,
                                                       Supplier<CompletableFuture<ApiMessage>> handler) {
        return filter(((AlterConfigsRequest) r).data().resources(), res -> configKey(res.resourceType(),
                res.resourceName()), alterCheck(ctx, names), res -> new AlterConfigsResourceResponse()
                .setResourceType(res.resourceType()).setResourceName(res.resourceName())
                .setErrorCode(configRefusal(res.resourceType()).code())
                .setErrorMessage(configRefusal(res.resourceType()).message()),
                (m, denied) -> ((AlterConfigsResponseData) m).setResponses(plus(((AlterConfigsResponseData) m)
                        .responses(), denied)), handler);
    }

    private CompletableFuture<ApiMessage> incrementalAlterConfigs(RequestContext ctx, AbstractRequest r, Names names,
                                                                  Supplier<CompletableFuture<ApiMessage>> handler) {
        return filter(((IncrementalAlterConfigsRequest) r).data().resources(), res -> configKey(res.resourceType(),
                res.resourceName()), alterCheck(ctx, names), res -> new IncrementalAlterConfigsResponseData
                .AlterConfigsResourceResponse().setResourceType(res.resourceType()).setResourceName(res.resourceName())
                .setErrorCode(configRefusal(res.resourceType()).code())
                .setErrorMessage(configRefusal(res.resourceType()).message()),
                (m, denied) -> ((IncrementalAlterConfigsResponseData) m).setResponses(plus(
                        ((IncrementalAlterConfigsResponseData) m).responses(), denied)), handler);
    }

    // ---- groups --------------------------------------------------------------------------------------

    private CompletableFuture<ApiMessage> findCoordinator(RequestContext ctx, AbstractRequest r, Names names,
                                                          Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((FindCoordinatorRequest) r).data();
        if (data.keyType() != FindCoordinatorRequest.CoordinatorType.GROUP.id()) {
            return handler.get(); // transaction coordinators are refused by the handler
        }
        if (ctx.apiVersion() < 4) {
            return group(x -> data.key(), GroupOp.DESCRIBE).apply(ctx, r, names, handler);
        }
        return filter(data.coordinatorKeys(), named(g -> g), groupCheck(ctx, GroupOp.DESCRIBE),
                g -> new Coordinator().setKey(g).setErrorCode(groupRefused()).setNodeId(-1).setHost("").setPort(-1),
                (m, denied) -> ((FindCoordinatorResponseData) m).setCoordinators(
                        plus(((FindCoordinatorResponseData) m).coordinators(), denied)), handler);
    }

    private CompletableFuture<ApiMessage> offsetCommit(RequestContext ctx, AbstractRequest r, Names names,
                                                       Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((OffsetCommitRequest) r).data();
        return group(x -> data.groupId(), GroupOp.READ).apply(ctx, r, names, () -> filter(data.topics(),
                t -> names.name(t.name(), t.topicId()), topicCheck(ctx, names, TopicOp.READ),
                t -> new OffsetCommitResponseTopic().setName(t.name()).setTopicId(t.topicId()).setPartitions(
                        t.partitions().stream().map(p -> new OffsetCommitResponsePartition()
                                .setPartitionIndex(p.partitionIndex()).setErrorCode(topicRefused())).toList()),
                (m, denied) -> ((OffsetCommitResponseData) m).setTopics(plus(((OffsetCommitResponseData) m).topics(),
                        denied)), handler));
    }

    /** KIP-848 heartbeat: the group, and describe on every subscribed topic (Kafka refuses the whole request). */
    private CompletableFuture<ApiMessage> consumerGroupHeartbeat(RequestContext ctx, AbstractRequest r, Names names,
                                                                 Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((ConsumerGroupHeartbeatRequest) r).data();
        List<String> subscribed = data.subscribedTopicNames() == null ? List.of() : data.subscribedTopicNames();
        return group(x -> data.groupId(), GroupOp.READ).apply(ctx, r, names, () ->
                refused(subscribed, topicCheck(ctx, names, TopicOp.DESCRIBE)).thenCompose(refused -> refused.isEmpty()
                        ? handler.get()
                        : CompletableFuture.failedFuture(new TopicAuthorizationException(refused))));
    }

    /** OffsetDelete: delete on the group, read on each topic. */
    private CompletableFuture<ApiMessage> offsetDelete(RequestContext ctx, AbstractRequest r, Names names,
                                                       Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((OffsetDeleteRequest) r).data();
        return group(x -> data.groupId(), GroupOp.DELETE).apply(ctx, r, names, () -> filter(data.topics(),
                named(t -> t.name()), topicCheck(ctx, names, TopicOp.READ), t -> {
                    var parts = new OffsetDeleteResponseData.OffsetDeleteResponsePartitionCollection();
                    t.partitions().forEach(p -> parts.add(new OffsetDeleteResponseData.OffsetDeleteResponsePartition()
                            .setPartitionIndex(p.partitionIndex()).setErrorCode(topicRefused())));
                    return new OffsetDeleteResponseData.OffsetDeleteResponseTopic().setName(t.name())
                            .setPartitions(parts);
                }, (m, denied) -> denied.forEach(((OffsetDeleteResponseData) m).topics()::add), handler));
    }

    private CompletableFuture<ApiMessage> offsetFetch(RequestContext ctx, AbstractRequest r, Names names,
                                                      Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((OffsetFetchRequest) r).data();
        // Offsets of topics the principal may not describe: refused where asked for by name, left out of
        // an all-topics answer (as Kafka does).
        Supplier<CompletableFuture<ApiMessage>> topicsChecked = () -> handler.get()
                .thenCompose(m -> hideTopics(ctx, names, (OffsetFetchResponseData) m, data));
        if (ctx.apiVersion() < 8) {
            return group(x -> data.groupId(), GroupOp.DESCRIBE).apply(ctx, r, names, topicsChecked);
        }
        return filter(data.groups(), named(g -> g.groupId()), groupCheck(ctx, GroupOp.DESCRIBE),
                g -> new OffsetFetchResponseGroup().setGroupId(g.groupId()).setErrorCode(groupRefused()),
                (m, denied) -> ((OffsetFetchResponseData) m).setGroups(plus(((OffsetFetchResponseData) m).groups(),
                        denied)), topicsChecked);
    }

    private static CompletableFuture<ApiMessage> hideTopics(RequestContext ctx, Names names,
                                                            OffsetFetchResponseData m, OffsetFetchRequestData asked) {
        Set<String> all = new java.util.HashSet<>();
        m.topics().forEach(t -> all.add(t.name()));
        m.groups().forEach(g -> g.topics().forEach(t -> all.add(t.name())));
        all.remove(null);
        return refused(all, topicCheck(ctx, names, TopicOp.DESCRIBE)).thenApply(refused -> {
            if (refused.isEmpty()) {
                return m;
            }
            if (asked.topics() == null) {
                m.topics().removeIf(t -> refused.contains(t.name()));
            } else {
                m.topics().stream().filter(t -> refused.contains(t.name()))
                        .forEach(t -> t.partitions().forEach(p -> p.setCommittedOffset(-1).setMetadata("")
                                .setErrorCode(topicRefused())));
            }
            for (OffsetFetchResponseGroup g : m.groups()) {
                boolean allTopics = asked.groups().stream().filter(a -> a.groupId().equals(g.groupId()))
                        .anyMatch(a -> a.topics() == null);
                if (allTopics) {
                    g.topics().removeIf(t -> refused.contains(t.name()));
                } else {
                    g.topics().stream().filter(t -> refused.contains(t.name()))
                            .forEach(t -> t.partitions().forEach(p -> p.setCommittedOffset(-1).setMetadata("")
                                    .setErrorCode(topicRefused())));
                }
            }
            return m;
        });
    }

    private CompletableFuture<ApiMessage> describeGroups(RequestContext ctx, AbstractRequest r, Names names,
                                                         Supplier<CompletableFuture<ApiMessage>> handler) {
        return filter(((DescribeGroupsRequest) r).data().groups(), named(g -> g), groupCheck(ctx, GroupOp.DESCRIBE),
                g -> new DescribedGroup().setGroupId(g).setErrorCode(groupRefused()),
                (m, denied) -> ((DescribeGroupsResponseData) m).setGroups(plus(((DescribeGroupsResponseData) m).groups(),
                        denied)), handler);
    }

    private CompletableFuture<ApiMessage> consumerGroupDescribe(RequestContext ctx, AbstractRequest r, Names names,
                                                                Supplier<CompletableFuture<ApiMessage>> handler) {
        return filter(((ConsumerGroupDescribeRequest) r).data().groupIds(), named(g -> g),
                groupCheck(ctx, GroupOp.DESCRIBE),
                g -> new ConsumerGroupDescribeResponseData.DescribedGroup().setGroupId(g).setErrorCode(groupRefused()),
                (m, denied) -> ((ConsumerGroupDescribeResponseData) m).setGroups(
                        plus(((ConsumerGroupDescribeResponseData) m).groups(), denied)), handler);
    }

    private CompletableFuture<ApiMessage> deleteGroups(RequestContext ctx, AbstractRequest r, Names names,
                                                       Supplier<CompletableFuture<ApiMessage>> handler) {
        return filter(((DeleteGroupsRequest) r).data().groupsNames(), named(g -> g), groupCheck(ctx, GroupOp.DELETE),
                g -> new DeletableGroupResult().setGroupId(g).setErrorCode(groupRefused()),
                (m, denied) -> denied.forEach(((DeleteGroupsResponseData) m).results()::add), handler);
    }

    private CompletableFuture<ApiMessage> listGroups(RequestContext ctx, AbstractRequest r, Names names,
                                                     Supplier<CompletableFuture<ApiMessage>> handler) {
        return handler.get().thenCompose(m -> {
            var out = (ListGroupsResponseData) m;
            return refused(out.groups().stream().map(ListGroupsResponseData.ListedGroup::groupId).toList(),
                    groupCheck(ctx, GroupOp.DESCRIBE)).thenApply(refused -> {
                        out.setGroups(out.groups().stream().filter(g -> !refused.contains(g.groupId())).toList());
                        return m;
                    });
        });
    }
}
