package io.kop.api;

import io.kop.coordinator.bridge.KafkaTopicConfigDefs;
import io.kop.topic.TopicConfigs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.AlterConfigsRequestData.AlterConfigsResource;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.AlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * AlterConfigs (API 33), the older whole-set form: the topic's configs become exactly the ones given,
 * every other config returns to its default (see {@link TopicConfigs}).
 */
final class AlterConfigsHandler implements ApiHandler<AlterConfigsRequest> {
    private final TopicConfigUpdate update;

    AlterConfigsHandler(TopicConfigs configs, io.kop.coordinator.GroupConfigs groupConfigs) {
        this.update = new TopicConfigUpdate(configs, groupConfigs);
    }

    @Override
    public CompletableFuture<AlterConfigsResponseData> handle(RequestContext ctx, AlterConfigsRequest request) {
        AlterConfigsResponseData response = new AlterConfigsResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (AlterConfigsResource resource : request.data().resources()) {
            AlterConfigsResourceResponse result = new AlterConfigsResourceResponse()
                    .setResourceType(resource.resourceType()).setResourceName(resource.resourceName());
            response.responses().add(result);
            pending.add(update.update(ctx, resource.resourceType(), resource.resourceName(),
                    request.data().validateOnly(), current -> {
                        Map<String, Optional<String>> changes = new LinkedHashMap<>();
                        KafkaTopicConfigDefs.names().forEach(name -> changes.put(name, Optional.empty()));
                        resource.configs().forEach(c -> changes.put(c.name(), Optional.ofNullable(c.value())));
                        return changes;
                    }, (code, message) -> result.setErrorCode(code).setErrorMessage(message)));
        }
        return FutureUtil.waitForAll(pending).thenApply(v -> response);
    }
}
