package io.kop.api;

import io.kop.KopServices;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.requests.DeleteGroupsRequest;

/** DeleteGroups (API 42). */
final class DeleteGroupsHandler implements ApiHandler<DeleteGroupsRequest> {
    private final KopServices services;

    DeleteGroupsHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<DeleteGroupsResponseData> handle(RequestContext ctx, DeleteGroupsRequest request) {
        return services.groups().deleteGroups(ctx, request.data().groupsNames())
                .thenApply(results -> new DeleteGroupsResponseData().setResults(results));
    }
}
