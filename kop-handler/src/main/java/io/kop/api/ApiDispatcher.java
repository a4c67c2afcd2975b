package io.kop.api;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.ApiVersionsResponseData;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.ProduceRequest;

/**
 * Routes each request to the handler of its API key. The set of registered handlers is exactly what
 * ApiVersions advertises: each in the versions it was registered with (by default every released
 * version kafka-clients can parse).
 */
public final class ApiDispatcher {
    private final Map<ApiKeys, ApiHandler<? extends AbstractRequest>> handlers = new EnumMap<>(ApiKeys.class);
    private final Map<ApiKeys, Short> maxVersions = new EnumMap<>(ApiKeys.class);
    private final AuthorizationStage authorization;

    /** A dispatcher whose requests pass no authorization stage (unit tests). */
    public ApiDispatcher() {
        this(null);
    }

    ApiDispatcher(AuthorizationStage authorization) {
        this.authorization = authorization;
    }

    public <R extends AbstractRequest> ApiDispatcher register(ApiKeys key, ApiHandler<R> handler) {
        return register(key, key.latestVersion(false), handler);
    }

    /** A handler that serves the API up to {@code maxVersion}. */
    public <R extends AbstractRequest> ApiDispatcher register(ApiKeys key, short maxVersion, ApiHandler<R> handler) {
        handlers.put(key, handler);
        maxVersions.put(key, (short) Math.min(maxVersion, key.latestVersion(false)));
        return this;
    }

    public boolean supports(ApiKeys key) {
        return handlers.containsKey(key);
    }

    /** Versions this broker accepts: those its handler was registered for (for others, all released ones). */
    public boolean supportsVersion(ApiKeys key, short version) {
        return version >= key.oldestVersion() && version <= maxVersions.getOrDefault(key, key.latestVersion(false));
    }

    @SuppressWarnings("unchecked")
    public CompletableFuture<ApiMessage> handle(RequestContext context, AbstractRequest request) {
        ApiHandler<AbstractRequest> handler = (ApiHandler<AbstractRequest>) handlers.get(context.header().apiKey());
        if (authorization == null) {
            return handler.handle(context, request).thenApply(m -> (ApiMessage) m);
        }
        return authorization.apply(context, request, () -> handler.handle(context, request).thenApply(m -> (ApiMessage) m));
    }

    /** Produce with acks=0 is the only request Kafka never answers. */
    public boolean expectsResponse(AbstractRequest request) {
        return !(request instanceof ProduceRequest produce && produce.acks() == 0);
    }

    public ApiVersionsResponseData apiVersions(Errors error) {
        ApiVersionCollection keys = new ApiVersionCollection();
        for (ApiKeys key : handlers.keySet()) {
            keys.add(new ApiVersion().setApiKey(key.id).setMinVersion(key.oldestVersion())
                    .setMaxVersion(maxVersions.get(key)));
        }
        return new ApiVersionsResponseData().setErrorCode(error.code()).setApiKeys(keys);
    }
}
