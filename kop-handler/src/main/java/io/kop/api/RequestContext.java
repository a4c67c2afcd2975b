package io.kop.api;

import java.net.SocketAddress;
import org.apache.kafka.common.requests.RequestHeader;

/** What a handler knows about the request besides its body. */
public record RequestContext(RequestHeader header, String listenerName, SocketAddress remoteAddress,
                             ConnectionState connection) {
    public short apiVersion() {
        return header.apiVersion();
    }
}
