package io.kop.api;

import io.kop.coordinator.bridge.KafkaTopicConfigDefs;
import io.kop.topic.TopicConfigs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterConfigsResource;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterableConfig;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * IncrementalAlterConfigs (API 44), what {@code kafka-configs --alter} and the admin client send: SET,
 * DELETE (back to the default), and APPEND/SUBTRACT for list configs, per topic (see
 * {@link TopicConfigs}). A config named twice in one resource is refused, as by Kafka.
 */
final class IncrementalAlterConfigsHandler implements ApiHandler<IncrementalAlterConfigsRequest> {
    private final TopicConfigUpdate update;

    IncrementalAlterConfigsHandler(TopicConfigs configs, io.kop.coordinator.GroupConfigs groupConfigs) {
        this.update = new TopicConfigUpdate(configs, groupConfigs);
    }

    @Override
    public CompletableFuture<IncrementalAlterConfigsResponseData> handle(RequestContext ctx,
                                                                         IncrementalAlterConfigsRequest request) {
        IncrementalAlterConfigsResponseData response = new IncrementalAlterConfigsResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (AlterConfigsResource resource : request.data().resources()) {
            AlterConfigsResourceResponse result = new AlterConfigsResourceResponse()
                    .setResourceType(resource.resourceType()).setResourceName(resource.resourceName());
            response.responses().add(result);
            pending.add(update.update(ctx, resource.resourceType(), resource.resourceName(),
                    request.data().validateOnly(), current -> changes(resource, current),
                    (code, message) -> result.setErrorCode(code).setErrorMessage(message)));
        }
        return FutureUtil.waitForAll(pending).thenApply(v -> response);
    }

    private static Map<String, Optional<String>> changes(AlterConfigsResource resource, Map<String, String> current) {
        Map<String, Optional<String>> out = new LinkedHashMap<>();
        for (AlterableConfig c : resource.configs()) {
            if (out.containsKey(c.name())) {
                throw new InvalidRequestException("config " + c.name() + " is named more than once");
            }
            AlterConfigOp.OpType op = AlterConfigOp.OpType.forId(c.configOperation());
            if (op == null) {
                throw new InvalidRequestException("unknown config operation " + c.configOperation());
            }
            switch (op) {
                case SET -> out.put(c.name(), Optional.ofNullable(c.value()));
                case DELETE -> out.put(c.name(), Optional.empty());
                case APPEND, SUBTRACT -> {
                    if (!KafkaTopicConfigDefs.known(c.name()) || !KafkaTopicConfigDefs.isList(c.name())) {
                        throw new InvalidConfigurationException(op + " is for list configs; " + c.name()
                                + " is not one");
                    }
                    List<String> items = new ArrayList<>(split(current.get(c.name())));
                    for (String item : split(c.value())) {
                        if (op == AlterConfigOp.OpType.APPEND && !items.contains(item)) {
                            items.add(item);
                        } else if (op == AlterConfigOp.OpType.SUBTRACT) {
                            items.remove(item);
                        }
                    }
                    out.put(c.name(), Optional.of(String.join(",", items)));
                }
            }
        }
        return out;
    }

    private static List<String> split(String value) {
        return value == null || value.isBlank() ? List.of()
                : Arrays.stream(value.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
