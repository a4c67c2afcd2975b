package io.kop.api;

import io.kop.security.Access;
import io.kop.security.Principal;
import io.kop.security.SaslAuthenticator;
import io.kop.topic.TopicResolver;
import java.net.SocketAddress;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * What a handler knows about the request besides its body. {@code topics} resolves names as this
 * principal writes them: short names live in the namespace its SASL username chose.
 */
public record RequestContext(RequestHeader header, String listenerName, SocketAddress remoteAddress,
                             ConnectionState connection, SaslAuthenticator auth, Access access,
                             TopicResolver topics) {
    public short apiVersion() {
        return header.apiVersion();
    }

    /** Who sent the request (see {@link Principal}); null before SASL authentication. */
    public Principal principal() {
        return auth.principal();
    }
}
