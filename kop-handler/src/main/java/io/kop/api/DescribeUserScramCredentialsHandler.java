package io.kop.api;

import io.kop.security.ScramCredentials;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData.CredentialInfo;
import org.apache.kafka.common.message.DescribeUserScramCredentialsResponseData.DescribeUserScramCredentialsResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeUserScramCredentialsRequest;

/**
 * DescribeUserScramCredentials (API 50): each user's SCRAM mechanisms and iterations (never secrets);
 * all users when the request names none. Superusers only (the authorization stage has no rule for it).
 */
final class DescribeUserScramCredentialsHandler implements ApiHandler<DescribeUserScramCredentialsRequest> {
    private final ScramCredentials credentials;

    DescribeUserScramCredentialsHandler(ScramCredentials credentials) {
        this.credentials = credentials;
    }

    @Override
    public CompletableFuture<DescribeUserScramCredentialsResponseData> handle(RequestContext ctx,
            DescribeUserScramCredentialsRequest request) {
        var users = request.data().users();
        boolean all = users == null || users.isEmpty();
        CompletableFuture<List<String>> names = all ? credentials.users()
                : CompletableFuture.completedFuture(users.stream().map(u -> u.name()).toList());
        return names.thenCompose(list -> {
            Set<String> seen = new LinkedHashSet<>();
            Set<String> duplicates = new LinkedHashSet<>();
            for (String name : list) {
                if (!seen.add(name)) {
                    duplicates.add(name);
                }
            }
            List<CompletableFuture<DescribeUserScramCredentialsResult>> each = new ArrayList<>();
            for (String name : seen) {
                if (duplicates.contains(name)) {
                    each.add(CompletableFuture.completedFuture(new DescribeUserScramCredentialsResult().setUser(name)
                            .setErrorCode(Errors.DUPLICATE_RESOURCE.code())
                            .setErrorMessage("user named more than once: " + name)));
                    continue;
                }
                each.add(credentials.describe(name).thenApply(infos -> {
                    var result = new DescribeUserScramCredentialsResult().setUser(name);
                    if (infos.isEmpty()) {
                        return result.setErrorCode(Errors.RESOURCE_NOT_FOUND.code())
                                .setErrorMessage("no SCRAM credentials for user " + name);
                    }
                    infos.forEach(i -> result.credentialInfos().add(new CredentialInfo()
                            .setMechanism(i.mechanism().type()).setIterations(i.iterations())));
                    return result;
                }));
            }
            return CompletableFuture.allOf(each.toArray(new CompletableFuture[0])).thenApply(v ->
                    new DescribeUserScramCredentialsResponseData().setResults(
                            each.stream().map(CompletableFuture::join).toList()));
        });
    }
}
