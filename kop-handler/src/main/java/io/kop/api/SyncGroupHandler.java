package io.kop.api;

import io.kop.KopServices;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.requests.SyncGroupRequest;

/** SyncGroup (API 14), classic protocol: handled by the embedded Kafka coordinator. */
final class SyncGroupHandler implements ApiHandler<SyncGroupRequest> {
    private final KopServices services;

    SyncGroupHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<SyncGroupResponseData> handle(RequestContext ctx, SyncGroupRequest request) {
        return services.groups().syncGroup(ctx, request.data());
    }
}
