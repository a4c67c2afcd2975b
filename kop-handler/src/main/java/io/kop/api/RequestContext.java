package io.kop.api;

import io.kop.security.Access;
import io.kop.security.Principal;
import io.kop.security.SaslAuthenticator;
import io.kop.topic.TopicResolver;
import java.net.SocketAddress;
import org.apache.kafka.common.requests.RequestHeader;

/** What a handler knows about the request besides its body. */
public record RequestContext(RequestHeader header, String listenerName, SocketAddress remoteAddress,
                             ConnectionState connection, SaslAuthenticator auth, Access access,
                             TopicResolver defaultTopics) {
    public short apiVersion() {
        return header.apiVersion();
    }

    /** Topics as this principal names them: short names live in the namespace its username chose. */
    public TopicResolver topics() {
        Principal p = auth.principal();
        return p == null ? defaultTopics : defaultTopics.in(p.tenant(), p.namespace());
    }

    /** Who sent the request (see {@link Principal}); null before SASL authentication. */
    public Principal principal() {
        return auth.principal();
    }
}
