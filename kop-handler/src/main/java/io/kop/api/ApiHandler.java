package io.kop.api;

import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.requests.AbstractRequest;

/**
 * Handles one Kafka API. A failed future becomes the request's whole-request error response (see
 * {@code AbstractRequest#getErrorResponse}); per-partition errors belong in the response itself.
 */
public interface ApiHandler<R extends AbstractRequest> {
    CompletableFuture<? extends ApiMessage> handle(RequestContext context, R request);
}
