package io.kop.api;

import io.kop.KopServices;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.requests.JoinGroupRequest;

/** JoinGroup (API 11), classic protocol: handled by the embedded Kafka coordinator. */
final class JoinGroupHandler implements ApiHandler<JoinGroupRequest> {
    private final KopServices services;

    JoinGroupHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<JoinGroupResponseData> handle(RequestContext ctx, JoinGroupRequest request) {
        return services.groups().joinGroup(ctx, request.data());
    }
}
