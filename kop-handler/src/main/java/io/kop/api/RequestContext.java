package io.kop.api;

import io.kop.security.Principal;
import io.kop.security.SaslAuthenticator;
import java.net.SocketAddress;
import org.apache.kafka.common.requests.RequestHeader;

/** What a handler knows about the request besides its body. */
public record RequestContext(RequestHeader header, String listenerName, SocketAddress remoteAddress,
                             ConnectionState connection, SaslAuthenticator auth) {
    public short apiVersion() {
        return header.apiVersion();
    }

    /** Who sent the request (see {@link Principal}); null before SASL authentication. */
    public Principal principal() {
        return auth.principal();
    }
}
