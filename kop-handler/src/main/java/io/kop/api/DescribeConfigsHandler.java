package io.kop.api;

import io.kop.topic.TopicResolver;
import io.kop.KopServices;
import io.kop.topic.KafkaTopic;
import io.kop.topic.TopicConfigs;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.DescribeConfigsRequestData.DescribeConfigsResource;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeConfigsResponse;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * DescribeConfigs (API 32): the topic configs KoP honours (see {@link TopicConfigs}). Broker configs
 * live in Pulsar's broker.conf and are not exposed; a broker resource answers with no entries.
 */
final class DescribeConfigsHandler implements ApiHandler<DescribeConfigsRequest> {
    private final KopServices services;
    private final TopicConfigs topicConfigs;

    DescribeConfigsHandler(KopServices services) {
        this.services = services;
        this.topicConfigs = new TopicConfigs(services.config());
    }

    @Override
    public CompletableFuture<DescribeConfigsResponseData> handle(RequestContext ctx, DescribeConfigsRequest request) {
        DescribeConfigsResponseData response = new DescribeConfigsResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (DescribeConfigsResource resource : request.data().resources()) {
            DescribeConfigsResult result = new DescribeConfigsResult().setResourceType(resource.resourceType())
                    .setResourceName(resource.resourceName());
            response.results().add(result);
            pending.add(describe(ctx.topics(), resource, result).exceptionally(t -> {
                Throwable cause = FutureUtil.unwrapCompletionException(t);
                result.setErrorCode(Errors.forException(cause).code()).setErrorMessage(cause.getMessage());
                return null;
            }));
        }
        return FutureUtil.waitForAll(pending).thenApply(v -> response);
    }

    private CompletableFuture<Void> describe(TopicResolver topics, DescribeConfigsResource resource,
                                     DescribeConfigsResult result) {
        ConfigResource.Type type = ConfigResource.Type.forId(resource.resourceType());
        if (type == ConfigResource.Type.BROKER) {
            return CompletableFuture.completedFuture(null);
        }
        if (type != ConfigResource.Type.TOPIC) {
            return CompletableFuture.failedFuture(new InvalidRequestException("KoP describes topic configs only, not "
                    + type));
        }
        return topics.find(resource.resourceName(), false).thenCompose(found -> {
            if (found.isEmpty()) {
                throw new UnknownTopicOrPartitionException("topic " + resource.resourceName() + " does not exist");
            }
            return topics.admin()
                    .thenCompose(a -> topicConfigs.describe(a, found.get().pulsarName().toString()))
                    .thenApply(values -> {
                        values.put(KafkaTopic.ENTRY_FORMAT_PROPERTY,
                                new TopicConfigs.Value(found.get().entryFormat().configName(), false));
                        return values;
                    });
        }).thenAccept(values -> values.forEach((name, value) -> {
            if (resource.configurationKeys() == null || resource.configurationKeys().contains(name)) {
                result.configs().add(new DescribeConfigsResourceResult().setName(name).setValue(value.value())
                        .setReadOnly(false).setIsSensitive(false)
                        .setConfigSource(value.setOnTopic()
                                ? DescribeConfigsResponse.ConfigSource.TOPIC_CONFIG.id()
                                : DescribeConfigsResponse.ConfigSource.DEFAULT_CONFIG.id()));
            }
        }));
    }
}
