package io.kop.security;

import java.net.SocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLSession;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.NameCallback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.sasl.SaslException;
import javax.security.sasl.SaslServer;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.message.SaslHandshakeResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerExtensionsValidatorCallback;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallback;
import org.apache.kafka.common.security.oauthbearer.internals.OAuthBearerSaslServer;
import org.apache.kafka.common.security.oauthbearer.internals.secured.BasicOAuthBearerToken;
import org.apache.kafka.common.security.plain.PlainAuthenticateCallback;
import org.apache.kafka.common.security.plain.internals.PlainSaslServer;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.ScramCredentialCallback;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.apache.kafka.common.security.scram.internals.ScramSaslServer;
import org.apache.kafka.common.security.token.delegation.internals.DelegationTokenCredentialCallback;
import org.apache.pulsar.broker.authentication.AuthenticationDataCommand;

/**
 * The SASL side of one connection (SaslHandshake, SaslAuthenticate, and the bare tokens that follow a
 * v0 handshake), with Kafka's own server mechanisms from kafka-clients checking their messages and
 * Pulsar's authentication providers checking the credentials:
 * <ul>
 *   <li>PLAIN: the username is {@code tenant} or {@code tenant/namespace} (where short topic names
 *   resolve), the password {@code <auth method>:<data>}, e.g. {@code token:<JWT>};</li>
 *   <li>OAUTHBEARER: the bearer token is checked by the provider of {@code kopOauthBearerAuthMethod};</li>
 *   <li>SCRAM-SHA-256/512: the username is the role, checked against {@link ScramCredentials}.</li>
 * </ul>
 * A session lasts until the credential expires (a JWT's {@code exp}), capped by
 * {@code kafkaConnectionsMaxReauthMs} when set; the client learns it from SaslAuthenticate and
 * re-authenticates in time (KIP-368), as the same role. Mechanism messages are evaluated on
 * {@code executor}, never on the connection's event loop: the callbacks wait for Pulsar's providers.
 */
public final class SaslAuthenticator {
    private static final Set<ApiKeys> BEFORE_AUTHENTICATION =
            Set.of(ApiKeys.API_VERSIONS, ApiKeys.SASL_HANDSHAKE, ApiKeys.SASL_AUTHENTICATE);

    private enum State { NOT_SASL, HANDSHAKE, AUTHENTICATE, AUTHENTICATED, FAILED }

    private final Set<String> mechanisms;
    private final PulsarCredentials credentials;
    private final ScramCredentials scram;
    private final Executor executor;
    private final String defaultTenant;
    private final String defaultNamespace;
    private final String oauthBearerMethod;
    private final long maxReauthMs;
    private final SocketAddress remote;
    private final Supplier<SSLSession> ssl;

    private volatile State state;
    private volatile Principal principal;
    private boolean rawTokens;
    private SaslServer server;
    private PulsarCredentials.Verified verified;
    private volatile String failure;
    private volatile String mechanism;

    /**
     * @param principal who a non-SASL connection is (null: nobody); a SASL connection starts as nobody
     */
    public SaslAuthenticator(boolean sasl, Principal principal, Set<String> mechanisms, PulsarCredentials credentials,
                             ScramCredentials scram, Executor executor, String defaultTenant, String defaultNamespace,
                             String oauthBearerMethod, long maxReauthMs, SocketAddress remote,
                             Supplier<SSLSession> ssl) {
        this.state = sasl ? State.HANDSHAKE : State.NOT_SASL;
        this.principal = sasl ? null : principal;
        this.mechanisms = mechanisms;
        this.credentials = credentials;
        this.scram = scram;
        this.executor = executor;
        this.defaultTenant = defaultTenant;
        this.defaultNamespace = defaultNamespace;
        this.oauthBearerMethod = oauthBearerMethod;
        this.maxReauthMs = maxReauthMs;
        this.remote = remote;
        this.ssl = ssl;
    }

    /** Who the connection is now; null before a SASL connection has authenticated. */
    public Principal principal() {
        return principal;
    }

    /** Who a connection without SASL is, once its client certificate was checked. */
    public void certificateVerified(Principal p) {
        if (state == State.NOT_SASL) {
            principal = p;
        }
    }

    /** Whether a request of {@code key} may be processed: before authentication only ApiVersions and SASL. */
    public boolean admits(ApiKeys key) {
        State s = state;
        return s == State.NOT_SASL || s == State.AUTHENTICATED || BEFORE_AUTHENTICATION.contains(key);
    }

    /**
     * The session's credential has expired and the client did not re-authenticate in time. Asked for
     * every request: reads the clock only for a session that has an expiry.
     */
    public boolean expired() {
        Principal p = principal;
        return p != null && p.expiresAtMs() > 0 && expired(System.currentTimeMillis());
    }

    /** {@link #expired()} at {@code nowMs}. */
    boolean expired(long nowMs) {
        Principal p = principal;
        return p != null && p.expiresAtMs() > 0 && nowMs >= p.expiresAtMs() && state == State.AUTHENTICATED;
    }

    /** After a v0 handshake the client sends bare SASL tokens, not Kafka requests, until authenticated. */
    public boolean expectsRawTokens() {
        return rawTokens && state == State.AUTHENTICATE;
    }

    /** A refused handshake or authentication: the connection is closed once the answer is sent. */
    public boolean failed() {
        return state == State.FAILED;
    }

    /** Why {@link #failed}. */
    public String failureReason() {
        return failure;
    }

    /** The mechanism the client asked for in its last handshake, or null. */
    public String mechanism() {
        return mechanism;
    }

    private void fail(String reason) {
        failure = reason;
        state = State.FAILED;
    }

    public synchronized SaslHandshakeResponseData handshake(String mechanism, short version) {
        this.mechanism = mechanism;
        List<String> enabled = List.copyOf(mechanisms);
        SaslHandshakeResponseData response = new SaslHandshakeResponseData().setMechanisms(enabled);
        if (state == State.NOT_SASL || state == State.AUTHENTICATE || state == State.FAILED) {
            return response.setErrorCode(Errors.ILLEGAL_SASL_STATE.code());
        }
        if (!mechanisms.contains(mechanism)) {
            fail("mechanism '" + mechanism + "' is not enabled; this broker offers " + enabled);
            return response.setErrorCode(Errors.UNSUPPORTED_SASL_MECHANISM.code());
        }
        server = newServer(mechanism);
        verified = null;
        rawTokens = version == 0;
        state = State.AUTHENTICATE;
        return response.setErrorCode(Errors.NONE.code());
    }

    /** One SaslAuthenticate (or bare token): a challenge, or the end of the exchange. */
    public CompletableFuture<SaslAuthenticateResponseData> authenticate(byte[] token) {
        SaslServer current;
        synchronized (this) {
            if (state != State.AUTHENTICATE) {
                fail("SaslAuthenticate without a SaslHandshake first");
                return CompletableFuture.completedFuture(new SaslAuthenticateResponseData()
                        .setErrorCode(Errors.ILLEGAL_SASL_STATE.code())
                        .setErrorMessage("SaslAuthenticate without a SaslHandshake first"));
            }
            current = server;
        }
        return CompletableFuture.supplyAsync(() -> evaluate(current, token), executor);
    }

    private SaslAuthenticateResponseData evaluate(SaslServer current, byte[] token) {
        try {
            byte[] challenge = current.evaluateResponse(token);
            if (!current.isComplete()) {
                return new SaslAuthenticateResponseData().setAuthBytes(challenge);
            }
            Principal next = principalOf(current);
            long lifetimeMs = sessionLifetimeMs(next.expiresAtMs());
            synchronized (this) {
                Principal before = principal;
                if (before != null && !before.role().equals(next.role())) {
                    throw new SaslAuthenticationException("re-authentication must keep the role '" + before.role()
                            + "', not change it to '" + next.role() + "'");
                }
                long cap = maxReauthMs > 0 ? System.currentTimeMillis() + maxReauthMs : 0;
                long expires = next.expiresAtMs() == 0 ? cap : cap == 0 ? next.expiresAtMs()
                        : Math.min(cap, next.expiresAtMs());
                principal = new Principal(next.role(), next.authData(), next.tenant(), next.namespace(), expires);
                state = State.AUTHENTICATED;
                rawTokens = false;
                server = null;
            }
            return new SaslAuthenticateResponseData().setAuthBytes(challenge == null ? new byte[0] : challenge)
                    .setSessionLifetimeMs(lifetimeMs);
        } catch (SaslException | RuntimeException e) {
            String reason = e.getMessage() == null ? e.toString() : e.getMessage();
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            if (root != e && root.getMessage() != null) {
                reason = reason + ": " + root.getMessage(); // Kafka's mechanisms hide the provider's reason
            }
            synchronized (this) {
                fail(reason);
            }
            return new SaslAuthenticateResponseData().setErrorCode(Errors.SASL_AUTHENTICATION_FAILED.code())
                    .setErrorMessage("Authentication failed: " + reason);
        }
    }

    private long sessionLifetimeMs(long credentialExpiresAtMs) {
        long now = System.currentTimeMillis();
        long lifetime = credentialExpiresAtMs == 0 ? 0 : Math.max(1, credentialExpiresAtMs - now);
        if (maxReauthMs > 0) {
            lifetime = lifetime == 0 ? maxReauthMs : Math.min(lifetime, maxReauthMs);
        }
        return lifetime;
    }

    private Principal principalOf(SaslServer done) {
        PulsarCredentials.Verified v = verified;
        if (v == null) {
            throw new SaslAuthenticationException("no credential was verified");
        }
        String tenant = defaultTenant;
        String namespace = defaultNamespace;
        if (done instanceof PlainSaslServer) {
            String user = done.getAuthorizationID();
            String[] parts = user.split("/", -1);
            if (parts.length > 2 || parts[0].isBlank() || parts.length == 2 && parts[1].isBlank()) {
                throw new SaslAuthenticationException("the username names where topics live: 'tenant' or "
                        + "'tenant/namespace', not '" + user + "'");
            }
            tenant = parts[0];
            namespace = parts.length == 2 ? parts[1] : defaultNamespace;
        }
        return new Principal(v.role(), v.data(), tenant, namespace, v.expiresAtMs());
    }

    private SaslServer newServer(String mechanism) {
        Callbacks callbacks = new Callbacks();
        return switch (mechanism) {
            case "PLAIN" -> new PlainSaslServer(callbacks);
            case "OAUTHBEARER" -> new OAuthBearerSaslServer(callbacks);
            case "SCRAM-SHA-256", "SCRAM-SHA-512" -> {
                try {
                    callbacks.scramMechanism = ScramMechanism.forMechanismName(mechanism);
                    yield new ScramSaslServer(callbacks.scramMechanism, Map.of(), callbacks);
                } catch (java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
            }
            default -> throw new IllegalStateException("mechanism " + mechanism + " is enabled but not built");
        };
    }

    private PulsarCredentials.Verified verify(String method, String data) {
        try {
            return credentials.verify(method, data, remote, ssl.get()).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new SaslAuthenticationException(cause.getMessage() == null ? cause.toString() : cause.getMessage());
        }
    }

    /** The mechanisms' callbacks: credentials go to Pulsar's providers; runs on {@code executor}. */
    private final class Callbacks implements AuthenticateCallbackHandler {
        private ScramMechanism scramMechanism;
        private String user;

        @Override
        public void configure(Map<String, ?> configs, String saslMechanism, List<AppConfigurationEntry> jaas) {
        }

        @Override
        public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
            for (Callback callback : callbacks) {
                if (callback instanceof NameCallback name) {
                    user = name.getDefaultName(); // SCRAM: the role; PLAIN: the namespace (authorization id)
                } else if (callback instanceof DelegationTokenCredentialCallback) {
                    continue; // no delegation tokens: the credential stays unset
                } else if (callback instanceof ScramCredentialCallback credential) {
                    try {
                        Optional<ScramCredential> stored = scram.get(user, scramMechanism).get(30, TimeUnit.SECONDS);
                        credential.scramCredential(stored.orElse(null)); // none: "invalid user credentials"
                        if (stored.isPresent()) {
                            verified = new PulsarCredentials.Verified(user,
                                    new AuthenticationDataCommand(null, remote, ssl.get()), 0);
                        }
                    } catch (Exception e) {
                        throw new SaslAuthenticationException("SCRAM credentials not readable: " + e);
                    }
                } else if (callback instanceof PlainAuthenticateCallback plain) {
                    String password = new String(plain.password());
                    int colon = password.indexOf(':');
                    if (colon <= 0) {
                        throw new SaslAuthenticationException("the password must be '<auth method>:<data>', "
                                + "e.g. 'token:<JWT>'");
                    }
                    verified = verify(password.substring(0, colon), password.substring(colon + 1));
                    plain.authenticated(true);
                } else if (callback instanceof OAuthBearerValidatorCallback bearer) {
                    PulsarCredentials.Verified v = verify(oauthBearerMethod, bearer.tokenValue());
                    verified = v;
                    bearer.token(new BasicOAuthBearerToken(bearer.tokenValue(), Set.of(),
                            v.expiresAtMs() == 0 ? Long.MAX_VALUE : v.expiresAtMs(), v.role(), null));
                } else if (callback instanceof OAuthBearerExtensionsValidatorCallback extensions) {
                    extensions.inputExtensions().map().keySet().forEach(extensions::valid);
                } else {
                    throw new UnsupportedCallbackException(callback);
                }
            }
        }

        @Override
        public void close() {
        }
    }
}
