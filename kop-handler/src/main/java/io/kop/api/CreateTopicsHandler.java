package io.kop.api;

import io.kop.topic.TopicResolver;
import io.kop.KopServices;
import io.kop.topic.KafkaTopicNames;
import io.kop.topic.TopicConfigs;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopicConfig;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.pulsar.client.admin.PulsarAdminException;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * CreateTopics (API 19): a partitioned Pulsar topic per Kafka topic. Replication is Pulsar's (the
 * namespace's bookie quorum), so any replication factor is accepted and the write quorum is reported.
 */
final class CreateTopicsHandler implements ApiHandler<CreateTopicsRequest> {
    private final KopServices services;
    private final TopicConfigs topicConfigs;

    CreateTopicsHandler(KopServices services, TopicConfigs topicConfigs) {
        this.services = services;
        this.topicConfigs = topicConfigs;
    }

    @Override
    public CompletableFuture<CreateTopicsResponseData> handle(RequestContext ctx, CreateTopicsRequest request) {
        CreateTopicsResponseData response = new CreateTopicsResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (CreatableTopic topic : request.data().topics()) {
            CreatableTopicResult result = new CreatableTopicResult().setName(topic.name()).setNumPartitions(-1)
                    .setReplicationFactor((short) -1);
            response.topics().add(result);
            if (!seen.add(topic.name())) {
                setError(result, new InvalidRequestException("topic " + topic.name() + " is named twice"));
                continue;
            }
            pending.add(create(ctx.topics(), topic, request.data().validateOnly(), result)
                    .exceptionally(t -> {
                        setError(result, FutureUtil.unwrapCompletionException(t));
                        return null;
                    }));
        }
        return FutureUtil.waitForAll(pending).thenApply(v -> response);
    }

    private CompletableFuture<Void> create(TopicResolver topics, CreatableTopic topic, boolean validateOnly,
                                           CreatableTopicResult result) {
        TopicName name = topics.pulsarName(topic.name());
        int partitions = topic.numPartitions() == -1 ? services.pulsar().getConfiguration().getDefaultNumPartitions()
                : topic.numPartitions();
        if (partitions <= 0) {
            throw new InvalidPartitionsException("number of partitions must be positive, got " + topic.numPartitions());
        }
        if (!topic.assignments().isEmpty()) {
            throw new InvalidReplicaAssignmentException("KoP places partitions through Pulsar's load balancer; "
                    + "manual replica assignment is not supported");
        }
        if (topic.replicationFactor() == 0 || topic.replicationFactor() < -1) {
            throw new InvalidReplicationFactorException("replication factor must be positive or -1");
        }
        Map<String, String> configs = new LinkedHashMap<>();
        for (CreatableTopicConfig c : topic.configs()) {
            configs.put(c.name(), c.value());
        }
        Map<String, String> valid = topicConfigs.validate(configs, true);
        short replication = (short) services.pulsar().getConfiguration().getManagedLedgerDefaultWriteQuorum();
        return topics.find(topic.name(), false).thenCompose(existing -> {
            if (existing.isPresent()) {
                throw new TopicExistsException("topic " + topic.name() + " already exists");
            }
            if (validateOnly) {
                return CompletableFuture.completedFuture(null);
            }
            return topics.create(name, partitions, topicConfigs.creationProperties(valid))
                    .exceptionally(t -> {
                        if (FutureUtil.unwrapCompletionException(t) instanceof PulsarAdminException.ConflictException) {
                            throw new TopicExistsException("topic " + topic.name() + " already exists");
                        }
                        throw FutureUtil.wrapToCompletionException(t);
                    })
                    .thenCompose(v -> policies(valid).isEmpty() ? CompletableFuture.completedFuture(null)
                            : topics.find(topic.name(), false).thenCompose(created -> topics.admin().thenCompose(
                                    a -> topicConfigs.apply(a, created.orElseThrow(), policies(valid)))));
        }).thenRun(() -> result.setNumPartitions(partitions).setReplicationFactor(replication)
                .setTopicId(KafkaTopicNames.topicId(name)));
    }

    /** The configs that are Pulsar topic policies (the rest went into the new topic's properties). */
    private Map<String, java.util.Optional<String>> policies(Map<String, String> valid) {
        Map<String, java.util.Optional<String>> out = new LinkedHashMap<>();
        valid.forEach((k, v) -> {
            // cleanup.policy too: a compact-only topic's retention becomes infinite
            if (topicConfigs.isPolicy(k) || k.equals(TopicConfigs.CLEANUP_POLICY)) {
                out.put(k, java.util.Optional.of(v));
            }
        });
        return out;
    }

    private static void setError(CreatableTopicResult result, Throwable t) {
        Errors error = t instanceof PulsarAdminException.NotAuthorizedException
                ? Errors.TOPIC_AUTHORIZATION_FAILED : Errors.forException(t);
        result.setErrorCode(error.code()).setErrorMessage(t.getMessage());
    }
}
