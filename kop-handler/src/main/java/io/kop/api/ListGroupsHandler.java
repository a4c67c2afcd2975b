package io.kop.api;

import io.kop.KopServices;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.requests.ListGroupsRequest;

/**
 * ListGroups (API 16), with state and type filters. Each broker lists the groups of the offsets
 * partitions it coordinates; Kafka's admin client asks every broker, as it does with Kafka.
 */
final class ListGroupsHandler implements ApiHandler<ListGroupsRequest> {
    private final KopServices services;

    ListGroupsHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<ListGroupsResponseData> handle(RequestContext ctx, ListGroupsRequest request) {
        return services.groups().listGroups(ctx, request.data());
    }
}
