package io.kop.api;

import io.kop.KopServices;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.requests.DescribeGroupsRequest;

/** DescribeGroups (API 15). */
final class DescribeGroupsHandler implements ApiHandler<DescribeGroupsRequest> {
    private final KopServices services;

    DescribeGroupsHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<DescribeGroupsResponseData> handle(RequestContext ctx, DescribeGroupsRequest request) {
        return services.groups().describeGroups(ctx, request.data().groups())
                .thenApply(groups -> new DescribeGroupsResponseData().setGroups(groups));
    }
}
