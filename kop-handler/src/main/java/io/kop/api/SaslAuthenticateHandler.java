package io.kop.api;

import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.requests.SaslAuthenticateRequest;

/** SaslAuthenticate (API 36): one message of the SASL exchange the handshake chose. */
final class SaslAuthenticateHandler implements ApiHandler<SaslAuthenticateRequest> {
    @Override
    public CompletableFuture<SaslAuthenticateResponseData> handle(RequestContext ctx, SaslAuthenticateRequest request) {
        return ctx.auth().authenticate(request.data().authBytes());
    }
}
