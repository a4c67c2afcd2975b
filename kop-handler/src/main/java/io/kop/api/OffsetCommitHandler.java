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
        List<CompletableFuture<Boolean>> checks = new ArrayList<>();
        List<CompletableFuture<String>> names = new ArrayList<>();
        for (OffsetCommitRequestTopic topic : data.topics()) {
            CompletableFuture<String> name = topic.name() == null || topic.name().isEmpty()
                    ? services.topicIds().name(topic.topicId(), ctx.topics().names()) : CompletableFuture.completedFuture(topic.name());
            names.add(name);
            checks.add(name.thenCompose(n -> n == null ? CompletableFuture.completedFuture(false)
                    : ctx.topics().find(n, false).thenApply(f -> f.isPresent() && topic.partitions().stream()
                            .allMatch(p -> p.partitionIndex() >= 0 && p.partitionIndex() < f.get().partitions()))));
        }
        return FutureUtil.waitForAll(checks).thenCompose(v -> {
            OffsetCommitResponseData rejected = new OffsetCommitResponseData();
            List<OffsetCommitRequestTopic> known = new ArrayList<>();
            for (int i = 0; i < checks.size(); i++) {
                OffsetCommitRequestTopic topic = data.topics().get(i);
                if (checks.get(i).join()) {
                    // As Kafka's broker does, hand the coordinator names: it must not depend on knowing ids yet.
                    known.add(topic.duplicate().setName(names.get(i).join()));
                    continue;
                }
                Errors error = topic.name() == null || topic.name().isEmpty()
                        ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION;
                OffsetCommitResponseTopic t = new OffsetCommitResponseTopic().setName(topic.name())
                        .setTopicId(topic.topicId());
                topic.partitions().forEach(p -> t.partitions().add(new OffsetCommitResponsePartition()
                        .setPartitionIndex(p.partitionIndex()).setErrorCode(error.code())));
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
