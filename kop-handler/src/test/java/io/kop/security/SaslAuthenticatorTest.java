package io.kop.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsonwebtoken.SignatureAlgorithm;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.Key;
import java.util.Base64;
import java.util.Date;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.pulsar.broker.ServiceConfiguration;
import org.apache.pulsar.broker.authentication.AuthenticationService;
import org.apache.pulsar.broker.authentication.utils.AuthTokenUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One connection's SASL exchange, with Pulsar's real token provider checking the credentials. */
class SaslAuthenticatorTest {
    private static Key key;
    private static PulsarCredentials credentials;

    @BeforeAll
    static void tokenProvider() throws Exception {
        key = AuthTokenUtils.createSecretKey(SignatureAlgorithm.HS256);
        ServiceConfiguration conf = new ServiceConfiguration();
        conf.setAuthenticationEnabled(true);
        conf.setAuthenticationProviders(Set.of("org.apache.pulsar.broker.authentication.AuthenticationProviderToken"));
        Properties p = new Properties();
        p.setProperty("tokenSecretKey", "data:;base64," + Base64.getEncoder().encodeToString(key.getEncoded()));
        conf.setProperties(p);
        credentials = new PulsarCredentials(new AuthenticationService(conf));
    }

    private static String token(String role, long expiresInMs) {
        return AuthTokenUtils.createToken(key, role, expiresInMs == 0 ? Optional.empty()
                : Optional.of(new Date(System.currentTimeMillis() + expiresInMs)));
    }

    private static SaslAuthenticator sasl(long maxReauthMs) {
        return new SaslAuthenticator(true, null, Set.of("PLAIN", "OAUTHBEARER"), credentials, null, Runnable::run,
                "public", "default", "token", maxReauthMs, new InetSocketAddress("127.0.0.1", 1), () -> null);
    }

    private static SaslAuthenticateResponseData plain(SaslAuthenticator auth, String user, String password) {
        assertEquals(Errors.NONE.code(), auth.handshake("PLAIN", (short) 1).errorCode());
        return auth.authenticate(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8)).join();
    }

    @Test
    void onlyApiVersionsAndSaslBeforeAuthentication() {
        SaslAuthenticator auth = sasl(0);
        assertTrue(auth.admits(ApiKeys.API_VERSIONS));
        assertTrue(auth.admits(ApiKeys.SASL_HANDSHAKE));
        assertFalse(auth.admits(ApiKeys.METADATA));
        assertNull(auth.principal());
        SaslAuthenticateResponseData r = plain(auth, "ta/ns", "token:" + token("alice", 0));
        assertEquals(Errors.NONE.code(), r.errorCode(), r.errorMessage());
        assertEquals(0, r.sessionLifetimeMs(), "a token without exp: no re-authentication needed");
        assertTrue(auth.admits(ApiKeys.METADATA));
        assertEquals("alice", auth.principal().role());
        assertEquals("ta/ns", auth.principal().defaultNamespace());
    }

    @Test
    void usernameWithoutNamespaceUsesTheDefaultNamespace() {
        SaslAuthenticator auth = sasl(0);
        assertEquals(Errors.NONE.code(), plain(auth, "ta", "token:" + token("alice", 0)).errorCode());
        assertEquals("ta/default", auth.principal().defaultNamespace());
    }

    @Test
    void badCredentialsFailAndSayWhy() {
        for (String password : new String[] {"token:nonsense", "no-method", "basic:x:y"}) {
            SaslAuthenticator auth = sasl(0);
            SaslAuthenticateResponseData r = plain(auth, "ta", password);
            assertEquals(Errors.SASL_AUTHENTICATION_FAILED.code(), r.errorCode(), password);
            assertTrue(auth.failed());
            assertFalse(auth.admits(ApiKeys.METADATA));
        }
        SaslAuthenticator auth = sasl(0);
        SaslAuthenticateResponseData r = plain(auth, "a/b/c", "token:" + token("alice", 0));
        assertTrue(r.errorMessage().contains("tenant/namespace"), r.errorMessage());
    }

    @Test
    void sessionLifetimeIsTheTokensAndReauthenticationKeepsTheRole() {
        SaslAuthenticator auth = sasl(0);
        SaslAuthenticateResponseData first = plain(auth, "ta", "token:" + token("alice", 60_000));
        assertTrue(first.sessionLifetimeMs() > 55_000 && first.sessionLifetimeMs() <= 60_000);
        assertFalse(auth.expired(System.currentTimeMillis()));
        assertTrue(auth.expired(System.currentTimeMillis() + 61_000));
        SaslAuthenticateResponseData again = plain(auth, "ta", "token:" + token("alice", 120_000));
        assertEquals(Errors.NONE.code(), again.errorCode());
        assertFalse(auth.expired(System.currentTimeMillis() + 61_000), "the new token's expiry counts");
        SaslAuthenticateResponseData other = plain(auth, "ta", "token:" + token("bob", 0));
        assertEquals(Errors.SASL_AUTHENTICATION_FAILED.code(), other.errorCode());
        assertTrue(auth.failed());
    }

    @Test
    void maxReauthCapsTheSession() {
        SaslAuthenticator auth = sasl(5_000);
        SaslAuthenticateResponseData r = plain(auth, "ta", "token:" + token("alice", 0));
        assertEquals(5_000, r.sessionLifetimeMs());
    }

    @Test
    void handshakeErrors() {
        SaslAuthenticator auth = sasl(0);
        assertEquals(Errors.UNSUPPORTED_SASL_MECHANISM.code(), auth.handshake("GSSAPI", (short) 1).errorCode());
        assertTrue(auth.failed());
        SaslAuthenticator noHandshake = sasl(0);
        assertEquals(Errors.ILLEGAL_SASL_STATE.code(), noHandshake.authenticate(new byte[] {0}).join().errorCode());
        SaslAuthenticator plaintext = new SaslAuthenticator(false, null, Set.of("PLAIN"), credentials, null,
                Runnable::run, "public", "default", "token", 0, null, () -> null);
        assertEquals(Errors.ILLEGAL_SASL_STATE.code(), plaintext.handshake("PLAIN", (short) 1).errorCode());
        assertTrue(plaintext.admits(ApiKeys.METADATA));
    }

    @Test
    void handshakeV0IsFollowedByBareTokens() {
        SaslAuthenticator auth = sasl(0);
        assertEquals(Errors.NONE.code(), auth.handshake("PLAIN", (short) 0).errorCode());
        assertTrue(auth.expectsRawTokens());
        SaslAuthenticateResponseData r = auth.authenticate(("\0ta\0token:" + token("alice", 0))
                .getBytes(StandardCharsets.UTF_8)).join();
        assertEquals(Errors.NONE.code(), r.errorCode());
        assertFalse(auth.expectsRawTokens());
    }

    @Test
    void oauthBearerTokenIsCheckedByTheTokenProvider() {
        SaslAuthenticator auth = sasl(0);
        assertEquals(Errors.NONE.code(), auth.handshake("OAUTHBEARER", (short) 1).errorCode());
        String message = "n,,\u0001auth=Bearer " + token("carol", 0) + "\u0001\u0001";
        SaslAuthenticateResponseData r = auth.authenticate(message.getBytes(StandardCharsets.UTF_8)).join();
        assertEquals(Errors.NONE.code(), r.errorCode(), r.errorMessage());
        assertEquals("carol", auth.principal().role());
        assertEquals("public/default", auth.principal().defaultNamespace());
    }
}
