package io.kop.api;

import io.kop.security.Access;
import io.kop.security.Access.GroupOp;
import io.kop.security.Access.TopicOp;
import io.kop.topic.KafkaTopicNames;
import io.kop.topic.TopicIdRegistry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData.CreatePartitionsTopicResult;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.message.DeleteGroupsResponseData.DeletableGroupResult;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.message.DescribeConfigsRequestData.DescribeConfigsResource;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroup;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.message.FindCoordinatorResponseData.Coordinator;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsTopicResponse;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponsePartition;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponseTopic;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseGroup;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.EpochEndOffset;
import org.apache.kafka.common.message.OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult;
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
    private interface Rule {
        CompletableFuture<ApiMessage> apply(RequestContext ctx, AbstractRequest request, Names names,
                                            Supplier<CompletableFuture<ApiMessage>> handler);
    }

    private final TopicIdRegistry topicIds;
    private final Map<ApiKeys, Rule> rules = new EnumMap<>(ApiKeys.class);

    AuthorizationStage(TopicIdRegistry topicIds) {
        this.topicIds = topicIds;
        Rule open = (ctx, r, n, handler) -> handler.get();
        for (ApiKeys key : List.of(ApiKeys.API_VERSIONS, ApiKeys.SASL_HANDSHAKE, ApiKeys.SASL_AUTHENTICATE,
                ApiKeys.DESCRIBE_CLUSTER, ApiKeys.INIT_PRODUCER_ID)) {
            rules.put(key, open); // InitProducerId: idempotent writes; each produce is checked per topic
        }
        rules.put(ApiKeys.PRODUCE, this::produce);
        rules.put(ApiKeys.FETCH, this::fetch);
        rules.put(ApiKeys.LIST_OFFSETS, this::listOffsets);
        rules.put(ApiKeys.METADATA, this::metadata);
        rules.put(ApiKeys.OFFSET_FOR_LEADER_EPOCH, this::offsetsForLeaderEpoch);
        rules.put(ApiKeys.CREATE_TOPICS, this::createTopics);
        rules.put(ApiKeys.DELETE_TOPICS, this::deleteTopics);
        rules.put(ApiKeys.CREATE_PARTITIONS, this::createPartitions);
        rules.put(ApiKeys.DESCRIBE_CONFIGS, this::describeConfigs);
        rules.put(ApiKeys.FIND_COORDINATOR, this::findCoordinator);
        rules.put(ApiKeys.JOIN_GROUP, group(r -> ((JoinGroupRequest) r).data().groupId(), GroupOp.READ));
        rules.put(ApiKeys.SYNC_GROUP, group(r -> ((SyncGroupRequest) r).data().groupId(), GroupOp.READ));
        rules.put(ApiKeys.HEARTBEAT, group(r -> ((HeartbeatRequest) r).data().groupId(), GroupOp.READ));
        rules.put(ApiKeys.LEAVE_GROUP, group(r -> ((LeaveGroupRequest) r).data().groupId(), GroupOp.READ));
        rules.put(ApiKeys.CONSUMER_GROUP_HEARTBEAT,
                group(r -> ((ConsumerGroupHeartbeatRequest) r).data().groupId(), GroupOp.READ));
        rules.put(ApiKeys.OFFSET_DELETE, group(r -> ((OffsetDeleteRequest) r).data().groupId(), GroupOp.DELETE));
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
    private record Names(KafkaTopicNames view, TopicIdRegistry ids) {
        TopicName pulsar(String kafkaName) {
            try {
                return view.toPulsar(kafkaName);
            } catch (IllegalArgumentException e) {
                return null; // not a valid name: the handler answers INVALID_TOPIC_EXCEPTION
            }
        }

        CompletableFuture<String> name(String name, Uuid id) {
            return id == null || Uuid.ZERO_UUID.equals(id) ? CompletableFuture.completedFuture(name) : ids.name(id);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------

    /** The keys among {@code keys} that {@code check} refuses. */
    private static <K> CompletableFuture<Set<K>> refused(Collection<K> keys, Function<K, CompletableFuture<Boolean>> check) {
        List<CompletableFuture<Void>> all = new ArrayList<>();
        Set<K> refused = java.util.concurrent.ConcurrentHashMap.newKeySet();
        for (K key : new HashSet<>(keys)) {
            all.add(check.apply(key).thenAccept(ok -> {
                if (!ok) {
                    refused.add(key);
                }
            }));
        }
        return CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).thenApply(v -> refused);
    }

    /** Checks a topic by its Kafka name; a name that is not valid passes to the handler, which refuses it. */
    private static Function<String, CompletableFuture<Boolean>> topicCheck(RequestContext ctx, Names names, TopicOp op) {
        return name -> {
            TopicName t = names.pulsar(name);
            return t == null ? CompletableFuture.completedFuture(true) : ctx.access().topic(t, op);
        };
    }

    /** Runs the handler on what is left, then lets {@code amend} add the refused entries to its answer. */
    private static CompletableFuture<ApiMessage> thenAmend(Supplier<CompletableFuture<ApiMessage>> handler,
                                                           UnaryOperator<ApiMessage> amend) {
        return handler.get().thenApply(amend);
    }

    /** The handler's list and the refused entries; handlers may answer with immutable lists. */
    private static <T> List<T> plus(List<T> answered, List<T> denied) {
        if (denied.isEmpty()) {
            return answered;
        }
        List<T> out = new ArrayList<>(answered);
        out.addAll(denied);
        return out;
    }

    private static <T> void removeIf(Collection<T> items, Predicate<T> refused) {
        for (Iterator<T> it = items.iterator(); it.hasNext(); ) {
            if (refused.test(it.next())) {
                it.remove();
            }
        }
    }

    private static Rule group(Function<AbstractRequest, String> groupId, GroupOp op) {
        return (ctx, r, names, handler) -> ctx.access().group(groupId.apply(r), op).thenCompose(ok -> ok
                ? handler.get()
                : CompletableFuture.failedFuture(new GroupAuthorizationException(groupId.apply(r))));
    }

    // ---- topics --------------------------------------------------------------------------------------

    private CompletableFuture<ApiMessage> produce(RequestContext ctx, AbstractRequest r, Names names,
                                                  Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((ProduceRequest) r).data();
        Map<Object, String> byTopic = new java.util.IdentityHashMap<>();
        List<CompletableFuture<Void>> resolved = new ArrayList<>();
        data.topicData().forEach(t -> resolved.add(names.name(t.name(), t.topicId()).thenAccept(n -> {
            synchronized (byTopic) {
                byTopic.put(t, n);
            }
        })));
        return CompletableFuture.allOf(resolved.toArray(new CompletableFuture[0]))
                .thenCompose(v -> refused(byTopic.values().stream().filter(n -> n != null).toList(),
                        topicCheck(ctx, names, TopicOp.WRITE)))
                .thenCompose(refused -> {
                    List<TopicProduceResponse> denied = new ArrayList<>();
                    removeIf(data.topicData(), t -> {
                        String n = byTopic.get(t);
                        if (n == null || !refused.contains(n)) {
                            return false;
                        }
                        List<PartitionProduceResponse> parts = new ArrayList<>();
                        t.partitionData().forEach(p -> parts.add(new PartitionProduceResponse().setIndex(p.index())
                                .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())));
                        denied.add(new TopicProduceResponse().setName(t.name()).setTopicId(t.topicId())
                                .setPartitionResponses(parts));
                        return true;
                    });
                    return thenAmend(handler, m -> {
                        var out = (org.apache.kafka.common.message.ProduceResponseData) m;
                        denied.forEach(d -> out.responses().add(d));
                        return out;
                    });
                });
    }

    private CompletableFuture<ApiMessage> fetch(RequestContext ctx, AbstractRequest r, Names names,
                                                Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((FetchRequest) r).data();
        Map<Object, String> byTopic = new java.util.IdentityHashMap<>();
        List<CompletableFuture<Void>> resolved = new ArrayList<>();
        data.topics().forEach(t -> resolved.add(names.name(t.topic(), t.topicId()).thenAccept(n -> {
            synchronized (byTopic) {
                byTopic.put(t, n);
            }
        })));
        return CompletableFuture.allOf(resolved.toArray(new CompletableFuture[0]))
                .thenCompose(v -> refused(byTopic.values().stream().filter(n -> n != null).toList(),
                        topicCheck(ctx, names, TopicOp.READ)))
                .thenCompose(refused -> {
                    List<FetchableTopicResponse> denied = new ArrayList<>();
                    removeIf(data.topics(), t -> {
                        String n = byTopic.get(t);
                        if (n == null || !refused.contains(n)) {
                            return false;
                        }
                        List<PartitionData> parts = new ArrayList<>();
                        t.partitions().forEach(p -> parts.add(new PartitionData().setPartitionIndex(p.partition())
                                .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())
                                .setHighWatermark(-1).setLastStableOffset(-1).setLogStartOffset(-1)));
                        denied.add(new FetchableTopicResponse().setTopic(t.topic()).setTopicId(t.topicId())
                                .setPartitions(parts));
                        return true;
                    });
                    return thenAmend(handler, m -> {
                        { var out = (org.apache.kafka.common.message.FetchResponseData) m; out.setResponses(plus(out.responses(), denied)); }
                        return m;
                    });
                });
    }

    private CompletableFuture<ApiMessage> listOffsets(RequestContext ctx, AbstractRequest r, Names names,
                                                      Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((ListOffsetsRequest) r).data();
        return refused(data.topics().stream().map(t -> t.name()).toList(), topicCheck(ctx, names, TopicOp.DESCRIBE))
                .thenCompose(refused -> {
                    List<ListOffsetsTopicResponse> denied = new ArrayList<>();
                    removeIf(data.topics(), t -> {
                        if (!refused.contains(t.name())) {
                            return false;
                        }
                        List<ListOffsetsPartitionResponse> parts = new ArrayList<>();
                        t.partitions().forEach(p -> parts.add(new ListOffsetsPartitionResponse()
                                .setPartitionIndex(p.partitionIndex())
                                .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())));
                        denied.add(new ListOffsetsTopicResponse().setName(t.name()).setPartitions(parts));
                        return true;
                    });
                    return thenAmend(handler, m -> {
                        { var out = (org.apache.kafka.common.message.ListOffsetsResponseData) m; out.setTopics(plus(out.topics(), denied)); }
                        return m;
                    });
                });
    }

    private CompletableFuture<ApiMessage> offsetsForLeaderEpoch(RequestContext ctx, AbstractRequest r, Names names,
                                                                Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((OffsetsForLeaderEpochRequest) r).data();
        return refused(data.topics().stream().map(t -> t.topic()).toList(), topicCheck(ctx, names, TopicOp.DESCRIBE))
                .thenCompose(refused -> {
                    List<OffsetForLeaderTopicResult> denied = new ArrayList<>();
                    removeIf(data.topics(), t -> {
                        if (!refused.contains(t.topic())) {
                            return false;
                        }
                        List<EpochEndOffset> parts = new ArrayList<>();
                        t.partitions().forEach(p -> parts.add(new EpochEndOffset().setPartition(p.partition())
                                .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())));
                        denied.add(new OffsetForLeaderTopicResult().setTopic(t.topic()).setPartitions(parts));
                        return true;
                    });
                    return thenAmend(handler, m -> {
                        var out = (org.apache.kafka.common.message.OffsetForLeaderEpochResponseData) m;
                        denied.forEach(d -> out.topics().add(d));
                        return out;
                    });
                });
    }

    private CompletableFuture<ApiMessage> metadata(RequestContext ctx, AbstractRequest r, Names names,
                                                   Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((MetadataRequest) r).data();
        Function<String, CompletableFuture<Boolean>> describe = topicCheck(ctx, names, TopicOp.DESCRIBE);
        if (data.topics() == null) { // all topics: only those the principal may describe are listed
            return handler.get().thenCompose(m -> {
                var out = (org.apache.kafka.common.message.MetadataResponseData) m;
                return refused(out.topics().stream().map(MetadataResponseTopic::name).toList(), describe)
                        .thenApply(refused -> {
                            removeIf(out.topics(), t -> refused.contains(t.name()));
                            return m;
                        });
            });
        }
        List<String> requested = data.topics().stream().map(t -> t.name()).filter(n -> n != null).toList();
        return refused(requested, describe).thenCompose(refused -> {
            List<MetadataResponseTopic> denied = new ArrayList<>();
            removeIf(data.topics(), t -> {
                if (t.name() == null || !refused.contains(t.name())) {
                    return false;
                }
                denied.add(new MetadataResponseTopic().setName(t.name()).setTopicId(t.topicId())
                        .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()));
                return true;
            });
            return thenAmend(handler, m -> {
                var out = (org.apache.kafka.common.message.MetadataResponseData) m;
                denied.forEach(d -> out.topics().add(d));
                return out;
            });
        });
    }

    private CompletableFuture<ApiMessage> createTopics(RequestContext ctx, AbstractRequest r, Names names,
                                                       Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((CreateTopicsRequest) r).data();
        return refused(data.topics().stream().map(t -> t.name()).toList(), topicCheck(ctx, names, TopicOp.CREATE))
                .thenCompose(refused -> {
                    List<CreatableTopicResult> denied = new ArrayList<>();
                    removeIf(data.topics(), t -> {
                        if (!refused.contains(t.name())) {
                            return false;
                        }
                        denied.add(new CreatableTopicResult().setName(t.name())
                                .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())
                                .setErrorMessage("not allowed to create topics in this namespace"));
                        return true;
                    });
                    return thenAmend(handler, m -> {
                        var out = (org.apache.kafka.common.message.CreateTopicsResponseData) m;
                        denied.forEach(d -> out.topics().add(d));
                        return out;
                    });
                });
    }

    private CompletableFuture<ApiMessage> deleteTopics(RequestContext ctx, AbstractRequest r, Names names,
                                                       Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((DeleteTopicsRequest) r).data();
        List<String> byName = new ArrayList<>(data.topicNames());
        Map<Object, String> byState = new java.util.IdentityHashMap<>();
        List<CompletableFuture<Void>> resolved = new ArrayList<>();
        data.topics().forEach(t -> resolved.add(names.name(t.name(), t.topicId()).thenAccept(n -> {
            synchronized (byState) {
                byState.put(t, n);
            }
        })));
        return CompletableFuture.allOf(resolved.toArray(new CompletableFuture[0])).thenCompose(v -> {
            List<String> all = new ArrayList<>(byName);
            byState.values().stream().filter(n -> n != null).forEach(all::add);
            return refused(all, topicCheck(ctx, names, TopicOp.DELETE));
        }).thenCompose(refused -> {
            List<DeletableTopicResult> denied = new ArrayList<>();
            removeIf(data.topicNames(), n -> {
                if (!refused.contains(n)) {
                    return false;
                }
                denied.add(new DeletableTopicResult().setName(n).setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()));
                return true;
            });
            removeIf(data.topics(), t -> {
                String n = byState.get(t);
                if (n == null || !refused.contains(n)) {
                    return false;
                }
                denied.add(new DeletableTopicResult().setName(t.name()).setTopicId(t.topicId())
                        .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()));
                return true;
            });
            return thenAmend(handler, m -> {
                var out = (org.apache.kafka.common.message.DeleteTopicsResponseData) m;
                denied.forEach(d -> out.responses().add(d));
                return out;
            });
        });
    }

    private CompletableFuture<ApiMessage> createPartitions(RequestContext ctx, AbstractRequest r, Names names,
                                                           Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((CreatePartitionsRequest) r).data();
        return refused(data.topics().stream().map(t -> t.name()).toList(), topicCheck(ctx, names, TopicOp.ALTER))
                .thenCompose(refused -> {
                    List<CreatePartitionsTopicResult> denied = new ArrayList<>();
                    removeIf(data.topics(), t -> {
                        if (!refused.contains(t.name())) {
                            return false;
                        }
                        denied.add(new CreatePartitionsTopicResult().setName(t.name())
                                .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code()));
                        return true;
                    });
                    return thenAmend(handler, m -> {
                        { var out = (org.apache.kafka.common.message.CreatePartitionsResponseData) m; out.setResults(plus(out.results(), denied)); }
                        return m;
                    });
                });
    }

    private CompletableFuture<ApiMessage> describeConfigs(RequestContext ctx, AbstractRequest r, Names names,
                                                          Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((DescribeConfigsRequest) r).data();
        byte topicType = org.apache.kafka.common.config.ConfigResource.Type.TOPIC.id();
        Function<DescribeConfigsResource, CompletableFuture<Boolean>> check = res -> res.resourceType() == topicType
                ? topicCheck(ctx, names, TopicOp.DESCRIBE).apply(res.resourceName())
                : ctx.access().cluster();
        return refused(data.resources(), check).thenCompose(refused -> {
            List<DescribeConfigsResult> denied = new ArrayList<>();
            removeIf(data.resources(), res -> {
                if (!refused.contains(res)) {
                    return false;
                }
                Errors e = res.resourceType() == topicType ? Errors.TOPIC_AUTHORIZATION_FAILED
                        : Errors.CLUSTER_AUTHORIZATION_FAILED;
                denied.add(new DescribeConfigsResult().setResourceType(res.resourceType())
                        .setResourceName(res.resourceName()).setErrorCode(e.code()).setErrorMessage(e.message()));
                return true;
            });
            return thenAmend(handler, m -> {
                { var out = (org.apache.kafka.common.message.DescribeConfigsResponseData) m; out.setResults(plus(out.results(), denied)); }
                return m;
            });
        });
    }

    // ---- groups --------------------------------------------------------------------------------------

    private CompletableFuture<ApiMessage> findCoordinator(RequestContext ctx, AbstractRequest r, Names names,
                                                          Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((FindCoordinatorRequest) r).data();
        if (data.keyType() != org.apache.kafka.common.requests.FindCoordinatorRequest.CoordinatorType.GROUP.id()) {
            return handler.get(); // transaction coordinators are refused by the handler
        }
        if (ctx.apiVersion() < 4) {
            return group(x -> data.key(), GroupOp.DESCRIBE).apply(ctx, r, names, handler);
        }
        return refused(data.coordinatorKeys(), g -> ctx.access().group(g, GroupOp.DESCRIBE)).thenCompose(refused -> {
            List<Coordinator> denied = new ArrayList<>();
            removeIf(data.coordinatorKeys(), g -> {
                if (!refused.contains(g)) {
                    return false;
                }
                denied.add(new Coordinator().setKey(g).setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code())
                        .setNodeId(-1).setHost("").setPort(-1));
                return true;
            });
            return thenAmend(handler, m -> {
                { var out = (org.apache.kafka.common.message.FindCoordinatorResponseData) m; out.setCoordinators(plus(out.coordinators(), denied)); }
                return m;
            });
        });
    }

    private CompletableFuture<ApiMessage> offsetCommit(RequestContext ctx, AbstractRequest r, Names names,
                                                       Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((OffsetCommitRequest) r).data();
        return ctx.access().group(data.groupId(), GroupOp.READ).thenCompose(ok -> {
            if (!ok) {
                return CompletableFuture.failedFuture(new GroupAuthorizationException(data.groupId()));
            }
            Map<Object, String> byTopic = new java.util.IdentityHashMap<>();
            List<CompletableFuture<Void>> resolved = new ArrayList<>();
            data.topics().forEach(t -> resolved.add(names.name(t.name(), t.topicId()).thenAccept(n -> {
                synchronized (byTopic) {
                    byTopic.put(t, n);
                }
            })));
            return CompletableFuture.allOf(resolved.toArray(new CompletableFuture[0]))
                    .thenCompose(v -> refused(byTopic.values().stream().filter(n -> n != null).toList(),
                            topicCheck(ctx, names, TopicOp.READ)))
                    .thenCompose(refused -> {
                        List<OffsetCommitResponseTopic> denied = new ArrayList<>();
                        removeIf(data.topics(), t -> {
                            String n = byTopic.get(t);
                            if (n == null || !refused.contains(n)) {
                                return false;
                            }
                            List<OffsetCommitResponsePartition> parts = new ArrayList<>();
                            t.partitions().forEach(p -> parts.add(new OffsetCommitResponsePartition()
                                    .setPartitionIndex(p.partitionIndex())
                                    .setErrorCode(Errors.TOPIC_AUTHORIZATION_FAILED.code())));
                            denied.add(new OffsetCommitResponseTopic().setName(t.name()).setTopicId(t.topicId())
                                    .setPartitions(parts));
                            return true;
                        });
                        return thenAmend(handler, m -> {
                            { var out = (org.apache.kafka.common.message.OffsetCommitResponseData) m; out.setTopics(plus(out.topics(), denied)); }
                            return m;
                        });
                    });
        });
    }

    private CompletableFuture<ApiMessage> offsetFetch(RequestContext ctx, AbstractRequest r, Names names,
                                                      Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((OffsetFetchRequest) r).data();
        if (ctx.apiVersion() < 8) {
            return group(x -> data.groupId(), GroupOp.DESCRIBE).apply(ctx, r, names, handler);
        }
        return refused(data.groups().stream().map(g -> g.groupId()).toList(),
                g -> ctx.access().group(g, GroupOp.DESCRIBE)).thenCompose(refused -> {
                    List<OffsetFetchResponseGroup> denied = new ArrayList<>();
                    removeIf(data.groups(), g -> {
                        if (!refused.contains(g.groupId())) {
                            return false;
                        }
                        denied.add(new OffsetFetchResponseGroup().setGroupId(g.groupId())
                                .setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code()));
                        return true;
                    });
                    return thenAmend(handler, m -> {
                        { var out = (org.apache.kafka.common.message.OffsetFetchResponseData) m; out.setGroups(plus(out.groups(), denied)); }
                        return m;
                    });
                });
    }

    private CompletableFuture<ApiMessage> describeGroups(RequestContext ctx, AbstractRequest r, Names names,
                                                         Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((DescribeGroupsRequest) r).data();
        return refused(data.groups(), g -> ctx.access().group(g, GroupOp.DESCRIBE)).thenCompose(refused -> {
            List<DescribedGroup> denied = new ArrayList<>();
            removeIf(data.groups(), g -> {
                if (!refused.contains(g)) {
                    return false;
                }
                denied.add(new DescribedGroup().setGroupId(g).setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code()));
                return true;
            });
            return thenAmend(handler, m -> {
                { var out = (org.apache.kafka.common.message.DescribeGroupsResponseData) m; out.setGroups(plus(out.groups(), denied)); }
                return m;
            });
        });
    }

    private CompletableFuture<ApiMessage> consumerGroupDescribe(RequestContext ctx, AbstractRequest r, Names names,
                                                                Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((ConsumerGroupDescribeRequest) r).data();
        return refused(data.groupIds(), g -> ctx.access().group(g, GroupOp.DESCRIBE)).thenCompose(refused -> {
            List<ConsumerGroupDescribeResponseData.DescribedGroup> denied = new ArrayList<>();
            removeIf(data.groupIds(), g -> {
                if (!refused.contains(g)) {
                    return false;
                }
                denied.add(new ConsumerGroupDescribeResponseData.DescribedGroup().setGroupId(g)
                        .setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code()));
                return true;
            });
            return thenAmend(handler, m -> {
                { var out = (ConsumerGroupDescribeResponseData) m; out.setGroups(plus(out.groups(), denied)); }
                return m;
            });
        });
    }

    private CompletableFuture<ApiMessage> deleteGroups(RequestContext ctx, AbstractRequest r, Names names,
                                                       Supplier<CompletableFuture<ApiMessage>> handler) {
        var data = ((DeleteGroupsRequest) r).data();
        return refused(data.groupsNames(), g -> ctx.access().group(g, GroupOp.DELETE)).thenCompose(refused -> {
            List<DeletableGroupResult> denied = new ArrayList<>();
            removeIf(data.groupsNames(), g -> {
                if (!refused.contains(g)) {
                    return false;
                }
                denied.add(new DeletableGroupResult().setGroupId(g)
                        .setErrorCode(Errors.GROUP_AUTHORIZATION_FAILED.code()));
                return true;
            });
            return thenAmend(handler, m -> {
                var out = (org.apache.kafka.common.message.DeleteGroupsResponseData) m;
                denied.forEach(d -> out.results().add(d));
                return out;
            });
        });
    }

    private CompletableFuture<ApiMessage> listGroups(RequestContext ctx, AbstractRequest r, Names names,
                                                     Supplier<CompletableFuture<ApiMessage>> handler) {
        return handler.get().thenCompose(m -> {
            var out = (ListGroupsResponseData) m;
            return refused(out.groups().stream().map(ListGroupsResponseData.ListedGroup::groupId).toList(),
                    g -> ctx.access().group(g, GroupOp.DESCRIBE)).thenApply(refused -> {
                        removeIf(out.groups(), g -> refused.contains(g.groupId()));
                        return m;
                    });
        });
    }
}
