package io.kop.security;

import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.security.scram.ScramCredential;
import org.apache.kafka.common.security.scram.internals.ScramCredentialUtils;
import org.apache.kafka.common.security.scram.internals.ScramFormatter;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;
import org.apache.pulsar.metadata.api.MetadataStore;
import org.apache.pulsar.metadata.api.MetadataStoreException;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * SCRAM credentials of Kafka users, kept in the cluster's metadata store under
 * {@code /kop/scram/<user>/<mechanism>} in Kafka's own text form (salt, stored key, server key,
 * iterations; never the password), so every broker checks the same ones. Managed with Kafka's
 * AlterUserScramCredentials and described with DescribeUserScramCredentials.
 */
public final class ScramCredentials {
    private static final String ROOT = "/kop/scram";

    private final MetadataStore store;

    public ScramCredentials(MetadataStore store) {
        this.store = store;
    }

    private static String path(String user, ScramMechanism mechanism) {
        return ROOT + "/" + user + "/" + mechanism.mechanismName();
    }

    /** The user's credential for {@code mechanism}, if one was set. */
    public CompletableFuture<Optional<ScramCredential>> get(String user, ScramMechanism mechanism) {
        if (!validUser(user)) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        return store.get(path(user, mechanism)).thenApply(v -> v.map(value ->
                ScramCredentialUtils.credentialFromString(new String(value.getValue(), StandardCharsets.UTF_8))));
    }

    /** Sets a credential from the salted password a client computed (Kafka's AlterUserScramCredentials). */
    public CompletableFuture<Void> upsert(String user, ScramMechanism mechanism, byte[] salt, byte[] saltedPassword,
                                          int iterations) {
        ScramCredential credential;
        try {
            ScramFormatter f = new ScramFormatter(mechanism);
            credential = new ScramCredential(salt, f.storedKey(f.clientKey(saltedPassword)), f.serverKey(saltedPassword),
                    iterations);
        } catch (NoSuchAlgorithmException | java.security.InvalidKeyException e) {
            return CompletableFuture.failedFuture(e);
        }
        byte[] value = ScramCredentialUtils.credentialToString(credential).getBytes(StandardCharsets.UTF_8);
        return store.put(path(user, mechanism), value, Optional.empty()).thenApply(stat -> null);
    }

    /** Removes a credential; false when there was none. */
    public CompletableFuture<Boolean> delete(String user, ScramMechanism mechanism) {
        return store.delete(path(user, mechanism), Optional.empty()).thenApply(v -> true).exceptionally(t -> {
            if (FutureUtil.unwrapCompletionException(t) instanceof MetadataStoreException.NotFoundException) {
                return false;
            }
            throw FutureUtil.wrapToCompletionException(t);
        });
    }

    /** One mechanism of a user: its iterations. */
    public record Info(ScramMechanism mechanism, int iterations) {
    }

    /** Every user with at least one credential. */
    public CompletableFuture<List<String>> users() {
        return store.getChildren(ROOT);
    }

    /** The mechanisms a user has credentials for (empty: unknown user). */
    public CompletableFuture<List<Info>> describe(String user) {
        Map<ScramMechanism, CompletableFuture<Optional<ScramCredential>>> each = new LinkedHashMap<>();
        for (ScramMechanism m : ScramMechanism.values()) {
            each.put(m, get(user, m));
        }
        return CompletableFuture.allOf(each.values().toArray(new CompletableFuture[0])).thenApply(v -> {
            List<Info> out = new ArrayList<>();
            each.forEach((m, f) -> f.join().ifPresent(c -> out.add(new Info(m, c.iterations()))));
            return out;
        });
    }

    /** A name usable as one metadata-store path element. */
    public static boolean validUser(String user) {
        return user != null && !user.isEmpty() && !user.contains("/") && !user.equals(".") && !user.equals("..");
    }
}
