package io.kop.api;

import io.kop.topic.TopicResolver;
import io.kop.KopServices;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.CreatePartitionsRequestData.CreatePartitionsTopic;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData.CreatePartitionsTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.pulsar.common.util.FutureUtil;

/** CreatePartitions (API 37): grows a partitioned Pulsar topic. */
final class CreatePartitionsHandler implements ApiHandler<CreatePartitionsRequest> {
    private final KopServices services;

    CreatePartitionsHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<CreatePartitionsResponseData> handle(RequestContext ctx, CreatePartitionsRequest request) {
        CreatePartitionsResponseData response = new CreatePartitionsResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (CreatePartitionsTopic topic : request.data().topics()) {
            CreatePartitionsTopicResult result = new CreatePartitionsTopicResult().setName(topic.name());
            response.results().add(result);
            pending.add(grow(ctx.topics(), topic, request.data().validateOnly()).exceptionally(t -> {
                Throwable cause = FutureUtil.unwrapCompletionException(t);
                result.setErrorCode(Errors.forException(cause).code()).setErrorMessage(cause.getMessage());
                return null;
            }));
        }
        return FutureUtil.waitForAll(pending).thenApply(v -> response);
    }

    private CompletableFuture<Void> grow(TopicResolver topics, CreatePartitionsTopic topic, boolean validateOnly) {
        if (topic.assignments() != null && !topic.assignments().isEmpty()) {
            return CompletableFuture.failedFuture(new InvalidReplicaAssignmentException(
                    "KoP places partitions through Pulsar's load balancer; manual assignment is not supported"));
        }
        return topics.find(topic.name(), false).thenCompose(found -> {
            if (found.isEmpty()) {
                throw new UnknownTopicOrPartitionException("topic " + topic.name() + " does not exist");
            }
            if (!found.get().partitioned()) {
                throw new InvalidPartitionsException("topic " + topic.name()
                        + " is a non-partitioned Pulsar topic; it cannot get more partitions");
            }
            int current = found.get().partitions();
            if (topic.count() <= current) {
                throw new InvalidPartitionsException("topic " + topic.name() + " has " + current
                        + " partitions; the new count must be larger, got " + topic.count());
            }
            return validateOnly ? CompletableFuture.completedFuture(null)
                    : topics.growPartitions(found.get(), topic.count());
        });
    }
}
