package io.kop.security;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pulsar.common.util.FutureUtil;
import org.apache.pulsar.metadata.api.MetadataCache;
import org.apache.pulsar.metadata.api.MetadataSerde;
import org.apache.pulsar.metadata.api.MetadataStore;
import org.apache.pulsar.metadata.api.MetadataStoreException;
import org.apache.pulsar.metadata.api.Stat;

/**
 * Which namespace each Kafka group belongs to, kept in the metadata store under
 * {@code /kop/group-namespaces/<group>}: the namespace of the principal that first joined it or
 * committed for it. Without per-tenant metadata group ids are cluster-wide (one group coordinator
 * serves every tenant), so with authorization on a group is checked against the namespace it belongs
 * to, not the asker's: a tenant can neither join, describe nor list another tenant's groups, and an id
 * taken by one tenant is refused to the others. With {@code kafkaEnableMultiTenantMetadata} each tenant
 * has its own groups, recorded under {@code /kop/tenant-group-namespaces/<tenant>/<group>}: a group
 * then only picks among its tenant's namespaces. Read through Pulsar's metadata cache, which also
 * remembers groups nobody claimed and follows other brokers' claims.
 */
public final class GroupNamespaces {
    private static final String ROOT = "/kop/group-namespaces";
    private static final String TENANT_ROOT = "/kop/tenant-group-namespaces";
    private static final MetadataSerde<String> UTF8 = new MetadataSerde<>() {
        @Override
        public byte[] serialize(String path, String value) {
            return value.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public String deserialize(String path, byte[] content, Stat stat) throws IOException {
            return new String(content, StandardCharsets.UTF_8);
        }
    };

    private final MetadataCache<String> cache;
    private final boolean perTenant;

    /** {@code perTenant}: group ids are per tenant ({@code kafkaEnableMultiTenantMetadata}). */
    public GroupNamespaces(MetadataStore store, boolean perTenant) {
        this.cache = store.getMetadataCache(UTF8);
        this.perTenant = perTenant;
    }

    private String path(Principal asker, String group) {
        String id = URLEncoder.encode(group, StandardCharsets.UTF_8);
        return perTenant ? TENANT_ROOT + "/" + URLEncoder.encode(asker.tenant(), StandardCharsets.UTF_8) + "/" + id
                : ROOT + "/" + id;
    }

    /** The namespace of the group {@code asker} means; empty when no one has used the group yet. */
    public CompletableFuture<Optional<String>> of(Principal asker, String group) {
        return cache.get(path(asker, group));
    }

    /** The group's namespace, given to {@code namespace} if the group had none (whoever wins a race keeps it). */
    public CompletableFuture<String> claim(Principal asker, String group, String namespace) {
        String path = path(asker, group);
        return cache.get(path).thenCompose(current -> current.isPresent()
                ? CompletableFuture.completedFuture(current.get())
                : cache.create(path, namespace).thenApply(v -> namespace).exceptionallyCompose(t -> {
                    if (FutureUtil.unwrapCompletionException(t)
                            instanceof MetadataStoreException.AlreadyExistsException) {
                        return cache.get(path).thenApply(o -> o.orElse(namespace)); // another claimed it first
                    }
                    return CompletableFuture.failedFuture(t);
                }));
    }
}
