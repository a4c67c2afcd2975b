package io.kop.api;

import io.kop.config.BrokerConfigs;
import io.kop.config.DescribedConfig;
import io.kop.coordinator.GroupConfigs;
import io.kop.topic.TopicResolver;
import io.kop.coordinator.bridge.KafkaTopicConfigDefs;
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
 * DescribeConfigs (API 32): every Kafka topic config of a topic with its value and where it comes from
 * (see {@link TopicConfigs}), types (v3+) and Kafka's documentation when asked; a broker's settings under
 * Kafka's names ({@link BrokerConfigs}, read-only: they live in Pulsar's broker.conf); a group's
 * {@code consumer.*} configs as its coordinator applies them (set ones from {@link GroupConfigs}).
 */
final class DescribeConfigsHandler implements ApiHandler<DescribeConfigsRequest> {
    private final TopicConfigs topicConfigs;
    private final BrokerConfigs brokerConfigs;
    private final List<DescribedConfig> groupDefaults;
    private final GroupConfigs groupConfigs;
    private final int nodeId;

    DescribeConfigsHandler(TopicConfigs topicConfigs, BrokerConfigs brokerConfigs, List<DescribedConfig> groupDefaults,
                           GroupConfigs groupConfigs, int nodeId) {
        this.topicConfigs = topicConfigs;
        this.brokerConfigs = brokerConfigs;
        this.groupDefaults = groupDefaults;
        this.groupConfigs = groupConfigs;
        this.nodeId = nodeId;
    }

    @Override
    public CompletableFuture<DescribeConfigsResponseData> handle(RequestContext ctx, DescribeConfigsRequest request) {
        DescribeConfigsResponseData response = new DescribeConfigsResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (DescribeConfigsResource resource : request.data().resources()) {
            DescribeConfigsResult result = new DescribeConfigsResult().setResourceType(resource.resourceType())
                    .setResourceName(resource.resourceName());
            response.results().add(result);
            pending.add(describe(ctx, resource, result, request.data().includeDocumentation())
                    .exceptionally(t -> {
                        Throwable cause = FutureUtil.unwrapCompletionException(t);
                        result.setErrorCode(Errors.forException(cause).code()).setErrorMessage(cause.getMessage());
                        return null;
                    }));
        }
        return FutureUtil.waitForAll(pending).thenApply(v -> response);
    }

    private CompletableFuture<Void> describe(RequestContext ctx, DescribeConfigsResource resource,
                                             DescribeConfigsResult result, boolean documentation) {
        TopicResolver topics = ctx.topics();
        ConfigResource.Type type = ConfigResource.Type.forId(resource.resourceType());
        if (type == ConfigResource.Type.BROKER) {
            String name = resource.resourceName();
            if (!name.isEmpty() && !name.equals(Integer.toString(nodeId))) {
                return CompletableFuture.failedFuture(new InvalidRequestException("this is broker " + nodeId
                        + ", asked for the configs of broker " + name));
            }
            addAll(brokerConfigs.all(), resource, result, documentation);
            return CompletableFuture.completedFuture(null);
        }
        if (type == ConfigResource.Type.GROUP) {
            return groupConfigs.get(ctx, resource.resourceName()).thenAccept(set -> addAll(groupDefaults.stream()
                    .map(d -> !set.containsKey(d.name()) ? d : new DescribedConfig(d.name(), set.get(d.name()),
                            DescribeConfigsResponse.ConfigSource.GROUP_CONFIG, d.type(), false, d.documentation()))
                    .toList(), resource, result, documentation));
        }
        if (type != ConfigResource.Type.TOPIC) {
            return CompletableFuture.failedFuture(new InvalidRequestException("KoP describes topic, broker and group "
                    + "configs, not " + type));
        }
        return topics.find(resource.resourceName(), false).thenCompose(found -> {
            if (found.isEmpty()) {
                throw new UnknownTopicOrPartitionException("topic " + resource.resourceName() + " does not exist");
            }
            return topics.admin().thenCompose(a -> topicConfigs.describe(a, found.get(), found.get().properties()));
        }).thenAccept(values -> values.forEach((name, value) -> {
            if (resource.configurationKeys() == null || resource.configurationKeys().contains(name)) {
                boolean kafkaConfig = KafkaTopicConfigDefs.known(name);
                result.configs().add(new DescribeConfigsResourceResult().setName(name).setValue(value.value())
                        .setReadOnly(false).setIsSensitive(false)
                        .setConfigSource(switch (value.source()) {
                            case TOPIC -> DescribeConfigsResponse.ConfigSource.TOPIC_CONFIG.id();
                            case BROKER -> DescribeConfigsResponse.ConfigSource.STATIC_BROKER_CONFIG.id();
                            case DEFAULT -> DescribeConfigsResponse.ConfigSource.DEFAULT_CONFIG.id();
                        })
                        .setConfigType(kafkaConfig ? KafkaTopicConfigDefs.typeId(name)
                                : DescribeConfigsResponse.ConfigType.STRING.id())
                        .setDocumentation(!documentation ? null : kafkaConfig ? KafkaTopicConfigDefs.documentation(name)
                                : "KoP: how new batches are stored (kafka or pulsar), chosen at creation"));
            }
        }));
    }

    private static void addAll(List<DescribedConfig> configs, DescribeConfigsResource resource,
                               DescribeConfigsResult result, boolean documentation) {
        for (DescribedConfig c : configs) {
            if (resource.configurationKeys() == null || resource.configurationKeys().contains(c.name())) {
                result.configs().add(new DescribeConfigsResourceResult().setName(c.name()).setValue(c.value())
                        .setReadOnly(c.readOnly()).setIsSensitive(false).setConfigSource(c.source().id())
                        .setConfigType(c.type().id()).setDocumentation(documentation ? c.documentation() : null));
            }
        }
    }
}
