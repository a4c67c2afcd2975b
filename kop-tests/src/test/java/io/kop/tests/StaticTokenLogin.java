package io.kop.tests;

import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.auth.login.AppConfigurationEntry;
import org.apache.kafka.common.security.auth.AuthenticateCallbackHandler;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerToken;
import org.apache.kafka.common.security.oauthbearer.OAuthBearerTokenCallback;

/**
 * A client login callback for OAUTHBEARER that hands over the token given in the JAAS options
 * ({@code token="..." principal="..."}), the way a client gets a token from its identity provider.
 */
public final class StaticTokenLogin implements AuthenticateCallbackHandler {
    private String token;
    private String principal;

    @Override
    public void configure(Map<String, ?> configs, String mechanism, List<AppConfigurationEntry> jaas) {
        Map<String, ?> options = jaas.get(0).getOptions();
        token = (String) options.get("token");
        principal = (String) options.get("principal");
    }

    @Override
    public void handle(Callback[] callbacks) throws UnsupportedCallbackException {
        for (Callback c : callbacks) {
            if (!(c instanceof OAuthBearerTokenCallback tokenCallback)) {
                throw new UnsupportedCallbackException(c);
            }
            long now = System.currentTimeMillis();
            tokenCallback.token(new OAuthBearerToken() {
                @Override
                public String value() {
                    return token;
                }

                @Override
                public Set<String> scope() {
                    return Set.of();
                }

                @Override
                public long lifetimeMs() {
                    return now + 3_600_000L;
                }

                @Override
                public String principalName() {
                    return principal;
                }

                @Override
                public Long startTimeMs() {
                    return now;
                }
            });
        }
    }

    @Override
    public void close() {
    }
}
