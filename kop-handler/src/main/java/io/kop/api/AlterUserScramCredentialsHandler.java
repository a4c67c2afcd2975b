package io.kop.api;

import io.kop.security.ScramCredentials;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData;
import org.apache.kafka.common.message.AlterUserScramCredentialsResponseData.AlterUserScramCredentialsResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AlterUserScramCredentialsRequest;
import org.apache.kafka.common.security.scram.internals.ScramMechanism;

/**
 * AlterUserScramCredentials (API 51): sets (from the client's salted password) and deletes users' SCRAM
 * credentials, with Kafka's checks: a known mechanism, iterations within its bounds, a user named once
 * per request, and deletions of existing credentials only. Superusers only.
 */
final class AlterUserScramCredentialsHandler implements ApiHandler<AlterUserScramCredentialsRequest> {
    private final ScramCredentials credentials;

    AlterUserScramCredentialsHandler(ScramCredentials credentials) {
        this.credentials = credentials;
    }

    private static ScramMechanism mechanism(byte type) {
        for (ScramMechanism m : ScramMechanism.values()) {
            if (m.type() == type) {
                return m;
            }
        }
        return null;
    }

    @Override
    public CompletableFuture<AlterUserScramCredentialsResponseData> handle(RequestContext ctx,
            AlterUserScramCredentialsRequest request) {
        var data = request.data();
        Map<String, Integer> mentions = new HashMap<>();
        data.deletions().forEach(d -> mentions.merge(d.name() + "\0" + d.mechanism(), 1, Integer::sum));
        data.upsertions().forEach(u -> mentions.merge(u.name() + "\0" + u.mechanism(), 1, Integer::sum));
        Map<String, CompletableFuture<Errors>> byUser = new java.util.LinkedHashMap<>();
        Map<String, String> messages = new java.util.concurrent.ConcurrentHashMap<>();
        List<CompletableFuture<?>> all = new ArrayList<>();
        for (var d : data.deletions()) {
            all.add(record(byUser, d.name(), () -> {
                ScramMechanism m = mechanism(d.mechanism());
                if (m == null) {
                    return fail(messages, d.name(), Errors.UNSUPPORTED_SASL_MECHANISM, "unknown SCRAM mechanism");
                }
                if (mentions.get(d.name() + "\0" + d.mechanism()) > 1) {
                    return fail(messages, d.name(), Errors.DUPLICATE_RESOURCE, "credential altered twice");
                }
                if (!ScramCredentials.validUser(d.name())) {
                    return fail(messages, d.name(), Errors.RESOURCE_NOT_FOUND, "no such user");
                }
                return credentials.delete(d.name(), m).thenApply(found -> found ? Errors.NONE
                        : failed(messages, d.name(), Errors.RESOURCE_NOT_FOUND, "no " + m.mechanismName()
                                + " credential for " + d.name()));
            }));
        }
        for (var u : data.upsertions()) {
            all.add(record(byUser, u.name(), () -> {
                ScramMechanism m = mechanism(u.mechanism());
                if (m == null) {
                    return fail(messages, u.name(), Errors.UNSUPPORTED_SASL_MECHANISM, "unknown SCRAM mechanism");
                }
                if (mentions.get(u.name() + "\0" + u.mechanism()) > 1) {
                    return fail(messages, u.name(), Errors.DUPLICATE_RESOURCE, "credential altered twice");
                }
                if (!ScramCredentials.validUser(u.name())) {
                    return fail(messages, u.name(), Errors.UNACCEPTABLE_CREDENTIAL, "user names cannot contain '/'");
                }
                if (u.iterations() < m.minIterations() || u.iterations() > m.maxIterations()) {
                    return fail(messages, u.name(), Errors.UNACCEPTABLE_CREDENTIAL, "iterations must be between "
                            + m.minIterations() + " and " + m.maxIterations());
                }
                if (u.salt().length == 0 || u.saltedPassword().length == 0) {
                    return fail(messages, u.name(), Errors.UNACCEPTABLE_CREDENTIAL, "empty salt or password");
                }
                return credentials.upsert(u.name(), m, u.salt(), u.saltedPassword(), u.iterations())
                        .thenApply(v -> Errors.NONE);
            }));
        }
        return CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).handle((v, t) -> {
            AlterUserScramCredentialsResponseData out = new AlterUserScramCredentialsResponseData();
            byUser.forEach((user, result) -> {
                Errors e = result.isCompletedExceptionally() ? Errors.UNKNOWN_SERVER_ERROR : result.join();
                out.results().add(new AlterUserScramCredentialsResult().setUser(user).setErrorCode(e.code())
                        .setErrorMessage(e == Errors.NONE ? null : messages.getOrDefault(user, e.message())));
            });
            return out;
        });
    }

    /** Runs one change of {@code user}; a user's result is its first error (Kafka answers per user). */
    private static CompletableFuture<Errors> record(Map<String, CompletableFuture<Errors>> byUser, String user,
                                                    java.util.function.Supplier<CompletableFuture<Errors>> change) {
        CompletableFuture<Errors> previous = byUser.getOrDefault(user, CompletableFuture.completedFuture(Errors.NONE));
        CompletableFuture<Errors> next = previous.thenCompose(e -> e != Errors.NONE
                ? CompletableFuture.completedFuture(e) : change.get());
        byUser.put(user, next);
        return next;
    }

    private static CompletableFuture<Errors> fail(Map<String, String> messages, String user, Errors e, String why) {
        return CompletableFuture.completedFuture(failed(messages, user, e, why));
    }

    private static Errors failed(Map<String, String> messages, String user, Errors e, String why) {
        messages.putIfAbsent(user, why);
        return e;
    }
}
