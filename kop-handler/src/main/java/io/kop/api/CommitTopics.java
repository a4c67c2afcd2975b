package io.kop.api;

import io.kop.topic.TopicIdRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * The topics of an offset commit (OffsetCommit, TxnOffsetCommit), named: newer versions name them by
 * id. As in Kafka's broker, topics that do not exist (or partitions beyond them) are answered before
 * the coordinator, which is handed names only.
 */
final class CommitTopics {
    private CommitTopics() {
    }

    /** A topic of the request: its name, or why it is refused (UNKNOWN_TOPIC_ID / UNKNOWN_TOPIC_OR_PARTITION). */
    record Named<T>(T topic, String name, Errors error) {
        boolean known() {
            return error == Errors.NONE;
        }
    }

    static <T> CompletableFuture<List<Named<T>>> resolve(RequestContext ctx, TopicIdRegistry ids, List<T> topics,
                                                         Function<T, String> name, Function<T, Uuid> id,
                                                         Function<T, List<Integer>> partitions) {
        List<CompletableFuture<Named<T>>> out = new ArrayList<>();
        for (T topic : topics) {
            String given = name.apply(topic);
            boolean byId = given == null || given.isEmpty();
            CompletableFuture<String> named = byId ? ids.name(id.apply(topic), ctx.topics().names())
                    : CompletableFuture.completedFuture(given);
            out.add(named.thenCompose(n -> n == null ? CompletableFuture.completedFuture(false)
                            : ctx.topics().find(n, false).thenApply(f -> f.isPresent() && partitions.apply(topic)
                                    .stream().allMatch(p -> p >= 0 && p < f.get().partitions())))
                    .thenApply(exists -> new Named<>(topic, named.join(), exists ? Errors.NONE
                            : byId ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION)));
        }
        return FutureUtil.waitForAll(out).thenApply(v -> out.stream().map(CompletableFuture::join).toList());
    }
}
