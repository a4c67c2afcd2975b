package io.kop.api;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiVersionsRequest;

/** ApiVersions (API 18): exactly the APIs registered with the dispatcher. */
final class ApiVersionsHandler implements ApiHandler<ApiVersionsRequest> {
    private final Supplier<ApiVersionsResponseData> versions;

    ApiVersionsHandler(Supplier<ApiVersionsResponseData> versions) {
        this.versions = versions;
    }

    @Override
    public CompletableFuture<ApiVersionsResponseData> handle(RequestContext ctx, ApiVersionsRequest request) {
        if (ctx.apiVersion() >= 3 && !request.isValid()) {
            return CompletableFuture.completedFuture(versions.get().setErrorCode(Errors.INVALID_REQUEST.code()));
        }
        return CompletableFuture.completedFuture(versions.get());
    }
}
