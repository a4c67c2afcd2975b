package io.kop.api;

import io.kop.KopServices;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.requests.HeartbeatRequest;

/** Heartbeat (API 12), classic protocol: handled by the embedded Kafka coordinator. */
final class HeartbeatHandler implements ApiHandler<HeartbeatRequest> {
    private final KopServices services;

    HeartbeatHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<HeartbeatResponseData> handle(RequestContext ctx, HeartbeatRequest request) {
        return services.groups().heartbeat(ctx, request.data());
    }
}
