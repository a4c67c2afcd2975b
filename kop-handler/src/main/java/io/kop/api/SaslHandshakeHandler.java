package io.kop.api;

import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.requests.SaslHandshakeRequest;

/**
 * SaslHandshake (API 17): picks the mechanism of the connection's SASL exchange (v0: bare tokens
 * follow, v1: SaslAuthenticate requests); also starts a re-authentication (KIP-368).
 */
final class SaslHandshakeHandler implements ApiHandler<SaslHandshakeRequest> {
    @Override
    public CompletableFuture<SaslHandshakeResponseData> handle(RequestContext ctx, SaslHandshakeRequest request) {
        return CompletableFuture.completedFuture(ctx.auth().handshake(request.data().mechanism(), ctx.apiVersion()));
    }
}
