package io.kop.api;

import io.kop.topic.TopicResolver;
import io.kop.KopServices;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.OffsetFetchResponseData;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseGroup;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.OffsetFetchResponse;
import org.apache.pulsar.common.util.FutureUtil;

/** OffsetFetch (API 9): one or (v8+) several groups; kafka-clients converts between the layouts. */
final class OffsetFetchHandler implements ApiHandler<OffsetFetchRequest> {
    private final KopServices services;

    OffsetFetchHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<OffsetFetchResponseData> handle(RequestContext ctx, OffsetFetchRequest request) {
        List<CompletableFuture<OffsetFetchResponseGroup>> groups = new ArrayList<>();
        boolean byId = OffsetFetchRequest.useTopicIds(ctx.apiVersion());
        for (var group : request.groups()) {
            List<CompletableFuture<?>> names = new ArrayList<>();
            if (byId && group.topics() != null) {
                // The coordinator is asked by name, as Kafka's broker does; ids are put back in the answer.
                group.topics().forEach(t -> names.add(services.topicIds().name(t.topicId(), ctx.topics().names()).thenAccept(name -> {
                    if (name != null) {
                        t.setName(name);
                    }
                })));
            }
            groups.add(FutureUtil.waitForAll(names)
                    .thenCompose(v -> services.groups().fetchOffsets(ctx, group, request.requireStable()))
                    .thenCompose(g -> byId ? withIds(ctx.topics(), g) : CompletableFuture.completedFuture(g))
                    .exceptionally(t -> OffsetFetchResponse.groupError(group,
                            Errors.forException(FutureUtil.unwrapCompletionException(t)), ctx.apiVersion())));
        }
        return FutureUtil.waitForAll(groups).thenApply(v -> new OffsetFetchResponse.Builder(
                groups.stream().map(CompletableFuture::join).toList()).build(ctx.apiVersion()).data());
    }

    private CompletableFuture<OffsetFetchResponseGroup> withIds(TopicResolver topics, OffsetFetchResponseGroup g) {
        List<CompletableFuture<?>> ids = new ArrayList<>();
        g.topics().forEach(t -> ids.add(services.topicIds().register(topics.pulsarName(t.name()))
                .thenAccept(t::setTopicId)));
        return FutureUtil.waitForAll(ids).thenApply(v -> g);
    }
}
