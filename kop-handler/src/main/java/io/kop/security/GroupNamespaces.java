package io.kop.security;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pulsar.common.util.FutureUtil;
import org.apache.pulsar.metadata.api.MetadataStore;
import org.apache.pulsar.metadata.api.MetadataStoreException;

/**
 * Which namespace each Kafka group belongs to, kept in the metadata store under
 * {@code /kop/group-namespaces/<group>}: the namespace of the principal that first joined it or
 * committed for it. Group ids are cluster-wide (one group coordinator serves every tenant), so with
 * authorization on a group is checked against the namespace it belongs to, not the asker's: a tenant
 * can neither join, describe nor list another tenant's groups, and an id taken by one tenant is
 * refused to the others.
 */
public final class GroupNamespaces {
    private static final String ROOT = "/kop/group-namespaces";

    private final MetadataStore store;
    private final Map<String, String> known = new ConcurrentHashMap<>();

    /** {@code store} null: this broker's memory only (unit tests). */
    public GroupNamespaces(MetadataStore store) {
        this.store = store;
    }

    private static String path(String group) {
        return ROOT + "/" + URLEncoder.encode(group, StandardCharsets.UTF_8);
    }

    /** The group's namespace; empty when no one has used the group yet. */
    public CompletableFuture<Optional<String>> of(String group) {
        String ns = known.get(group);
        if (ns != null || store == null) {
            return CompletableFuture.completedFuture(Optional.ofNullable(ns));
        }
        return store.get(path(group)).thenApply(v -> v.map(value -> {
            String found = new String(value.getValue(), StandardCharsets.UTF_8);
            known.put(group, found);
            return found;
        }));
    }

    /** The group's namespace, given to {@code namespace} if the group had none (whoever wins a race keeps it). */
    public CompletableFuture<String> claim(String group, String namespace) {
        return of(group).thenCompose(current -> {
            if (current.isPresent()) {
                return CompletableFuture.completedFuture(current.get());
            }
            if (store == null) {
                return CompletableFuture.completedFuture(known.computeIfAbsent(group, g -> namespace));
            }
            return store.put(path(group), namespace.getBytes(StandardCharsets.UTF_8), Optional.of(-1L))
                    .thenApply(stat -> {
                        known.put(group, namespace);
                        return namespace;
                    })
                    .exceptionallyCompose(t -> {
                        if (FutureUtil.unwrapCompletionException(t) instanceof MetadataStoreException.BadVersionException) {
                            known.remove(group);
                            return of(group).thenApply(o -> o.orElse(namespace)); // another claimed it first
                        }
                        return CompletableFuture.failedFuture(t);
                    });
        });
    }
}
