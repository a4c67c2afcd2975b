package io.kop.api;

import io.kop.KopServices;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.ConsumerGroupHeartbeatResponseData;
import org.apache.kafka.common.requests.ConsumerGroupHeartbeatRequest;

/** ConsumerGroupHeartbeat (API 68): the KIP-848 consumer protocol, with server-side assignment. */
final class ConsumerGroupHeartbeatHandler implements ApiHandler<ConsumerGroupHeartbeatRequest> {
    private final KopServices services;

    ConsumerGroupHeartbeatHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<ConsumerGroupHeartbeatResponseData> handle(RequestContext ctx,
                                                                        ConsumerGroupHeartbeatRequest request) {
        return services.groups().consumerGroupHeartbeat(ctx, request.data());
    }
}
