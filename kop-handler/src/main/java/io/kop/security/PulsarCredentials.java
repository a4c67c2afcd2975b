package io.kop.security;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLSession;
import org.apache.pulsar.broker.authentication.AuthenticationDataCommand;
import org.apache.pulsar.broker.authentication.AuthenticationDataSource;
import org.apache.pulsar.broker.authentication.AuthenticationProvider;
import org.apache.pulsar.broker.authentication.AuthenticationService;

/**
 * Checks credentials with the broker's configured Pulsar authentication providers, the way a Pulsar
 * client's CONNECT is checked: an auth method name ({@code token}, {@code tls}, ...) and its data.
 */
public final class PulsarCredentials {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AuthenticationService service;
    private final String anonymousRole;

    /** A role the provider vouched for, the data it was proven with, and when that proof expires (0: never). */
    public record Verified(String role, AuthenticationDataSource data, long expiresAtMs) {
    }

    public PulsarCredentials(AuthenticationService service) {
        this.service = service;
        this.anonymousRole = service == null ? null : service.getAnonymousUserRole().orElse(null);
    }

    /** Pulsar's {@code anonymousUserRole}, for connections that present no credentials; null when unset. */
    public String anonymousRole() {
        return anonymousRole;
    }

    /**
     * The role for {@code data} under auth method {@code method}; fails with a message fit for the
     * client when there is no such provider or it refuses the data.
     */
    public CompletableFuture<Verified> verify(String method, String data, SocketAddress remote, SSLSession ssl) {
        AuthenticationProvider provider = service == null ? null : service.getAuthenticationProvider(method);
        if (provider == null) {
            return CompletableFuture.failedFuture(new javax.naming.AuthenticationException(
                    "no Pulsar authentication provider for method '" + method + "' on this broker"));
        }
        AuthenticationDataCommand command = new AuthenticationDataCommand(data, remote, ssl);
        CompletableFuture<String> role;
        try {
            role = provider.authenticateAsync(command);
        } catch (RuntimeException e) {
            role = CompletableFuture.failedFuture(e);
        }
        return role.thenApply(r -> new Verified(r, command, jwtExpiryMs(data)));
    }

    /** The role of a TLS client certificate, when the broker has the {@code tls} provider; else null. */
    public CompletableFuture<Verified> verifyCertificate(SocketAddress remote, SSLSession ssl) {
        if (service == null || service.getAuthenticationProvider("tls") == null || !hasPeerCertificate(ssl)) {
            return CompletableFuture.completedFuture(null);
        }
        return verify("tls", null, remote, ssl).exceptionally(t -> null);
    }

    private static boolean hasPeerCertificate(SSLSession ssl) {
        try {
            return ssl != null && ssl.getPeerCertificates().length > 0;
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            return false;
        }
    }

    /**
     * The {@code exp} claim of a JWT in milliseconds, 0 when {@code data} is not a JWT or has none. Only
     * read after a provider accepted the token, so the signature was checked already.
     */
    static long jwtExpiryMs(String data) {
        if (data == null) {
            return 0;
        }
        String[] parts = data.split("\\.");
        if (parts.length != 3) {
            return 0;
        }
        try {
            JsonNode claims = JSON.readTree(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
            JsonNode exp = claims.get("exp");
            return exp != null && exp.canConvertToLong() ? exp.asLong() * 1000L : 0;
        } catch (Exception e) {
            return 0;
        }
    }
}
