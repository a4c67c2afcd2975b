package io.kop.api;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiVersionsRequest;

/**
 * ApiVersions (API 18): exactly the APIs registered with the dispatcher, and the one feature KoP has a
 * level of: {@code transaction.version}, finalized at {@code kafkaTransactionVersion} (at 2, Kafka 4.x
 * clients use transactions v2, KIP-890; at 0, the default, v1).
 */
final class ApiVersionsHandler implements ApiHandler<ApiVersionsRequest> {
    static final String TRANSACTION_VERSION = "transaction.version";
    private final Supplier<ApiVersionsResponseData> versions;
    private final short transactionVersion;

    ApiVersionsHandler(Supplier<ApiVersionsResponseData> versions, short transactionVersion) {
        this.versions = versions;
        this.transactionVersion = transactionVersion;
    }

    private ApiVersionsResponseData withFeatures(ApiVersionsResponseData data) {
        var supported = new ApiVersionsResponseData.SupportedFeatureKeyCollection();
        supported.add(new ApiVersionsResponseData.SupportedFeatureKey().setName(TRANSACTION_VERSION)
                .setMinVersion((short) 0).setMaxVersion(transactionVersion));
        var finalized = new ApiVersionsResponseData.FinalizedFeatureKeyCollection();
        finalized.add(new ApiVersionsResponseData.FinalizedFeatureKey().setName(TRANSACTION_VERSION)
                .setMinVersionLevel(transactionVersion).setMaxVersionLevel(transactionVersion));
        return data.setSupportedFeatures(supported).setFinalizedFeatures(finalized).setFinalizedFeaturesEpoch(1);
    }

    @Override
    public CompletableFuture<ApiVersionsResponseData> handle(RequestContext ctx, ApiVersionsRequest request) {
        if (ctx.apiVersion() >= 3 && !request.isValid()) {
            return CompletableFuture.completedFuture(versions.get().setErrorCode(Errors.INVALID_REQUEST.code()));
        }
        // Features are tagged fields of v3 on; older versions cannot carry them.
        return CompletableFuture.completedFuture(ctx.apiVersion() >= 3 ? withFeatures(versions.get()) : versions.get());
    }
}
