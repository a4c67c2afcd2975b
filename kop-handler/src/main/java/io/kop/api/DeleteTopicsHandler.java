package io.kop.api;

import io.kop.topic.TopicResolver;
import io.kop.KopServices;
import io.kop.topic.KafkaTopicNames;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.UnknownTopicIdException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.DeleteTopicsRequestData.DeleteTopicState;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.pulsar.common.util.FutureUtil;

/** DeleteTopics (API 20): deletes the Pulsar topic and all its partitions, by name or by topic id. */
final class DeleteTopicsHandler implements ApiHandler<DeleteTopicsRequest> {
    private final KopServices services;

    DeleteTopicsHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<DeleteTopicsResponseData> handle(RequestContext ctx, DeleteTopicsRequest request) {
        DeleteTopicsResponseData response = new DeleteTopicsResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (DeleteTopicState state : request.topics()) {
            DeletableTopicResult result = new DeletableTopicResult().setName(state.name()).setTopicId(state.topicId());
            response.responses().add(result);
            CompletableFuture<String> name = state.name() != null ? CompletableFuture.completedFuture(state.name())
                    : services.topicIds().name(state.topicId(), ctx.topics().names());
            CompletableFuture<Void> delete = name.thenCompose(n -> n == null
                    ? CompletableFuture.failedFuture(new UnknownTopicIdException("unknown topic id " + state.topicId()))
                    : delete(ctx.topics(), n, result));
            pending.add(delete.exceptionally(t -> {
                Throwable cause = FutureUtil.unwrapCompletionException(t);
                result.setErrorCode(Errors.forException(cause).code()).setErrorMessage(cause.getMessage());
                return null;
            }));
        }
        return FutureUtil.waitForAll(pending).thenApply(v -> response);
    }

    private CompletableFuture<Void> delete(TopicResolver topics, String name, DeletableTopicResult result) {
        return topics.find(name, false).thenCompose(found -> {
            if (found.isEmpty()) {
                throw new UnknownTopicOrPartitionException("topic " + name + " does not exist");
            }
            if (result.name() == null) {
                result.setName(name);
            }
            if (Uuid.ZERO_UUID.equals(result.topicId())) {
                result.setTopicId(KafkaTopicNames.topicId(found.get().pulsarName()));
            }
            return topics.delete(found.get())
                    .thenCompose(v -> services.topicIds().remove(found.get().pulsarName()));
        });
    }
}
