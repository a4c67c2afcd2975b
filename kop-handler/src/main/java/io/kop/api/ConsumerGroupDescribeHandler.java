package io.kop.api;

import io.kop.KopServices;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.ConsumerGroupDescribeResponseData;
import org.apache.kafka.common.requests.ConsumerGroupDescribeRequest;

/** ConsumerGroupDescribe (API 69): members and assignments of KIP-848 groups. */
final class ConsumerGroupDescribeHandler implements ApiHandler<ConsumerGroupDescribeRequest> {
    private final KopServices services;

    ConsumerGroupDescribeHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<ConsumerGroupDescribeResponseData> handle(RequestContext ctx,
                                                                       ConsumerGroupDescribeRequest request) {
        return services.groups().consumerGroupDescribe(ctx, request.data().groupIds())
                .thenApply(groups -> new ConsumerGroupDescribeResponseData().setGroups(groups));
    }
}
