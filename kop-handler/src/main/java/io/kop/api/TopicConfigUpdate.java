package io.kop.api;

import io.kop.coordinator.GroupConfigs;
import io.kop.topic.KafkaTopic;
import io.kop.topic.TopicConfigs;
import io.kop.topic.TopicResolver;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pulsar.common.util.FutureUtil;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.pulsar.client.admin.PulsarAdmin;

/**
 * What AlterConfigs and IncrementalAlterConfigs share: find the topic, work out the changes from its
 * current configs, check every new value, then (unless only validating) apply them. A group's configs
 * go the same way to {@link GroupConfigs}. Broker configs are not changed through Kafka: broker settings
 * live in Pulsar's broker.conf.
 */
final class TopicConfigUpdate {
    private final TopicConfigs configs;
    private final GroupConfigs groupConfigs;

    TopicConfigUpdate(TopicConfigs configs, GroupConfigs groupConfigs) {
        this.configs = configs;
        this.groupConfigs = groupConfigs;
    }

    /**
     * Updates one resource; a failure goes to {@code onError} (error code and message), so the returned
     * future always completes normally.
     *
     * @param changes from the topic's current values to the changes: a value sets a config, empty
     *                returns it to its default
     */
    CompletableFuture<Void> update(RequestContext ctx, byte resourceType, String resourceName, boolean validateOnly,
                                   Function<Map<String, String>, Map<String, Optional<String>>> changes,
                                   BiConsumer<Short, String> onError) {
        CompletableFuture<Void> attempt;
        try {
            attempt = ConfigResource.Type.forId(resourceType) == ConfigResource.Type.GROUP
                    ? group(ctx, resourceName, validateOnly, changes)
                    : attempt(ctx.topics(), resourceType, resourceName, validateOnly, changes);
        } catch (RuntimeException e) {
            attempt = CompletableFuture.failedFuture(e);
        }
        return attempt.exceptionally(t -> {
            Throwable cause = FutureUtil.unwrapCompletionException(t);
            onError.accept(Errors.forException(cause).code(), cause.getMessage());
            return null;
        });
    }

    private CompletableFuture<Void> group(RequestContext ctx, String groupId, boolean validateOnly,
                                          Function<Map<String, String>, Map<String, Optional<String>>> changes) {
        return groupConfigs.get(ctx, groupId).thenCompose(now -> {
            Map<String, String> next = new LinkedHashMap<>(now);
            changes.apply(now).forEach((k, v) -> {
                if (v.isPresent()) {
                    next.put(k, v.get());
                } else {
                    next.remove(k);
                }
            });
            return groupConfigs.set(ctx, groupId, next, validateOnly);
        });
    }

    private CompletableFuture<Void> attempt(TopicResolver topics, byte resourceType, String resourceName,
                                            boolean validateOnly,
                                            Function<Map<String, String>, Map<String, Optional<String>>> changes) {
        ConfigResource.Type type = ConfigResource.Type.forId(resourceType);
        if (type != ConfigResource.Type.TOPIC) {
            return CompletableFuture.failedFuture(new InvalidRequestException("KoP changes topic and group configs; "
                    + type + " settings are read-only here: they live in Pulsar's and KoP's configuration "
                    + "(broker.conf)"));
        }
        return topics.find(resourceName, false).thenCompose(found -> {
            if (found.isEmpty()) {
                throw new UnknownTopicOrPartitionException("topic " + resourceName + " does not exist");
            }
            KafkaTopic topic = found.get();
            return topics.admin().thenCompose(admin -> current(admin, topic).thenCompose(now -> {
                Map<String, Optional<String>> wanted = changes.apply(now);
                Map<String, String> set = new LinkedHashMap<>();
                wanted.forEach((k, v) -> {
                    if (v.isPresent()) {
                        set.put(k, v.get());
                    } else {
                        configs.checkResettable(k);
                    }
                });
                Map<String, String> valid = configs.validate(set, false);
                Map<String, Optional<String>> normalised = new LinkedHashMap<>();
                wanted.forEach((k, v) -> normalised.put(k, v.isPresent() ? Optional.of(valid.get(k)) : v));
                return validateOnly ? CompletableFuture.completedFuture(null)
                        : configs.apply(admin, topic, normalised);
            }));
        });
    }

    private CompletableFuture<Map<String, String>> current(PulsarAdmin admin, KafkaTopic topic) {
        return configs.describe(admin, topic, topic.properties()).thenApply(values -> {
            Map<String, String> out = new LinkedHashMap<>();
            values.forEach((k, v) -> out.put(k, v.value()));
            return out;
        });
    }
}
