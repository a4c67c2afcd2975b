package io.kop.api;

import io.kop.KopServices;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.requests.OffsetDeleteRequest;

/** OffsetDelete (API 47): removes committed offsets of partitions the group no longer consumes. */
final class OffsetDeleteHandler implements ApiHandler<OffsetDeleteRequest> {
    private final KopServices services;

    OffsetDeleteHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<OffsetDeleteResponseData> handle(RequestContext ctx, OffsetDeleteRequest request) {
        return services.groups().deleteOffsets(ctx, request.data());
    }
}
