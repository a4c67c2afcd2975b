package io.kop.api;

import io.kop.KopServices;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.OffsetCommitRequestData.OffsetCommitRequestTopic;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponsePartition;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponseTopic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * OffsetCommit (API 8). As in Kafka's broker, partitions of topics that do not exist are answered
 * here with UNKNOWN_TOPIC_OR_PARTITION (or UNKNOWN_TOPIC_ID); the rest goes to the coordinator.
 */
final class OffsetCommitHandler implements ApiHandler<OffsetCommitRequest> {
    private final KopServices services;

    OffsetCommitHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<OffsetCommitResponseData> handle(RequestContext ctx, OffsetCommitRequest request) {
        var data = request.data();
        return CommitTopics.resolve(ctx, services.topicIds(), data.topics(), OffsetCommitRequestTopic::name,
                OffsetCommitRequestTopic::topicId, t -> t.partitions().stream()
                        .map(p -> p.partitionIndex()).toList()).thenCompose(named -> {
            OffsetCommitResponseData rejected = new OffsetCommitResponseData();
            List<OffsetCommitRequestTopic> known = new ArrayList<>();
            for (CommitTopics.Named<OffsetCommitRequestTopic> n : named) {
                OffsetCommitRequestTopic topic = n.topic();
                if (n.known()) {
                    // As Kafka's broker does, hand the coordinator names: it must not depend on knowing ids yet.
                    known.add(topic.duplicate().setName(n.name()));
                    continue;
                }
                OffsetCommitResponseTopic t = new OffsetCommitResponseTopic().setName(topic.name())
                        .setTopicId(topic.topicId());
                topic.partitions().forEach(p -> t.partitions().add(new OffsetCommitResponsePartition()
                        .setPartitionIndex(p.partitionIndex()).setErrorCode(n.error().code())));
                rejected.topics().add(t);
            }
            if (known.isEmpty()) {
                return CompletableFuture.completedFuture(rejected);
            }
            return services.groups().commitOffsets(ctx, data.duplicate().setTopics(known)).thenCompose(r -> {
                List<CompletableFuture<?>> ids = new ArrayList<>();
                if (ctx.apiVersion() >= 10) { // v10 names topics by id
                    r.topics().forEach(t -> ids.add(services.topicIds().register(
                            ctx.topics().pulsarName(t.name())).thenAccept(t::setTopicId)));
                }
                return FutureUtil.waitForAll(ids).thenApply(x -> {
                    r.topics().addAll(rejected.topics());
                    return r;
                });
            });
        });
    }
}
