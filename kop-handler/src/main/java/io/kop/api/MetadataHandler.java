package io.kop.api;

import io.kop.topic.TopicResolver;
import io.kop.KopServices;
import io.kop.topic.BrokerLookup.KafkaNode;
import io.kop.topic.KafkaTopic;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBroker;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.pulsar.common.util.FutureUtil;

/** Metadata (API 3): topics, partition leaders (the owning Pulsar broker), brokers, cluster id, controller. */
final class MetadataHandler implements ApiHandler<MetadataRequest> {
    private final KopServices services;

    MetadataHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<MetadataResponseData> handle(RequestContext ctx, MetadataRequest request) {
        CompletableFuture<List<String>> names;
        List<MetadataResponseTopic> unknownIds = new ArrayList<>();
        if (request.isAllTopics()) {
            names = ctx.topics().list(ctx.topics().names().defaultNamespace());
        } else {
            List<CompletableFuture<String>> byName = new ArrayList<>();
            for (var t : request.data().topics()) {
                byName.add(t.name() != null ? CompletableFuture.completedFuture(t.name())
                        : services.topicIds().name(t.topicId(), ctx.topics().names()).thenApply(known -> {
                            if (known == null) {
                                synchronized (unknownIds) {
                                    unknownIds.add(new MetadataResponseTopic().setTopicId(t.topicId())
                                            .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()));
                                }
                            }
                            return known;
                        }));
            }
            names = FutureUtil.waitForAll(byName).thenApply(v -> byName.stream().map(CompletableFuture::join)
                    .filter(java.util.Objects::nonNull).toList());
        }
        boolean autoCreate = !request.isAllTopics() && request.allowAutoTopicCreation();
        Map<Integer, KafkaNode> brokers = new ConcurrentHashMap<>();
        KafkaNode self = services.brokers().self(ctx.listenerName());
        brokers.put(self.id(), self);
        // Every broker, as Kafka's Metadata lists them: clients (the Admin client above all) only reach
        // the brokers this list names.
        CompletableFuture<Void> all = services.brokers().allNodes(ctx.listenerName())
                .thenAccept(nodes -> nodes.forEach(n -> brokers.putIfAbsent(n.id(), n)));
        return names.thenCombine(all, (list, v) -> list).thenCompose(list -> {
            List<CompletableFuture<MetadataResponseTopic>> topics = new ArrayList<>();
            for (String name : list) {
                topics.add(describe(ctx.topics(), name, autoCreate, ctx.listenerName(), brokers));
            }
            return FutureUtil.waitForAll(topics).thenApply(v -> {
                MetadataResponseData response = new MetadataResponseData()
                        .setClusterId(services.config().clusterId())
                        .setControllerId(self.id());
                for (KafkaNode n : brokers.values()) {
                    response.brokers().add(new MetadataResponseBroker().setNodeId(n.id()).setHost(n.host())
                            .setPort(n.port()));
                }
                topics.forEach(t -> response.topics().add(t.join()));
                unknownIds.forEach(response.topics()::add);
                return response;
            });
        });
    }

    private CompletableFuture<MetadataResponseTopic> describe(TopicResolver topics, String name, boolean autoCreate, String listener,
                                                             Map<Integer, KafkaNode> brokers) {
        return topics.find(name, autoCreate).thenCompose((Optional<KafkaTopic> found) -> {
            if (found.isEmpty()) {
                return CompletableFuture.completedFuture(new MetadataResponseTopic().setName(name)
                        .setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code()));
            }
            KafkaTopic topic = found.get();
            CompletableFuture<Uuid> id = services.topicIds().register(topic.pulsarName());
            List<CompletableFuture<MetadataResponsePartition>> partitions = new ArrayList<>();
            for (int i = 0; i < topic.partitions(); i++) {
                int index = i;
                CompletableFuture<KafkaNode> leaderOf = services.brokers().leader(topic.partition(i), listener);
                // the epoch after the leader: the lookup may have just brought the partition into service
                CompletableFuture<Integer> epochOf = leaderOf.thenCompose(l -> services.logs().leaderEpoch(
                        topic.partition(index)));
                partitions.add(epochOf.handle((epoch, t) -> {
                    MetadataResponsePartition p = new MetadataResponsePartition().setPartitionIndex(index)
                            .setLeaderEpoch(-1);
                    if (t != null) {
                        return p.setErrorCode(Errors.LEADER_NOT_AVAILABLE.code()).setLeaderId(-1);
                    }
                    KafkaNode leader = leaderOf.join();
                    p.setLeaderEpoch(epoch);
                    brokers.putIfAbsent(leader.id(), leader);
                    return p.setLeaderId(leader.id()).setReplicaNodes(List.of(leader.id()))
                            .setIsrNodes(List.of(leader.id()));
                }));
            }
            return id.thenCombine(FutureUtil.waitForAll(partitions), (topicId, v) -> {
                MetadataResponseTopic t = new MetadataResponseTopic().setName(name).setTopicId(topicId)
                        .setIsInternal(false);
                partitions.forEach(p -> t.partitions().add(p.join()));
                return t;
            });
        }).exceptionally(t -> new MetadataResponseTopic().setName(name)
                .setErrorCode(Errors.forException(FutureUtil.unwrapCompletionException(t)).code()));
    }
}
