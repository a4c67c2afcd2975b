package io.kop.security;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.pulsar.broker.authentication.AuthenticationDataSubscription;
import org.apache.pulsar.broker.authorization.AuthorizationService;
import org.apache.pulsar.common.naming.NamespaceName;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.common.policies.data.NamespaceOperation;
import org.apache.pulsar.common.policies.data.TopicOperation;

/**
 * What one connection's principal may do, asked of Pulsar's {@code AuthorizationService} and kept for
 * {@code kopAuthorizationCacheRefreshMs} per connection. Kafka operations map onto Pulsar's:
 * <ul>
 *   <li>topic write: {@code produce}; read: {@code consume}; describe (metadata, offsets, configs): lookup;</li>
 *   <li>topic create, delete, alter (partitions, configs): the namespace's create/delete-topic
 *   operations, which Pulsar grants to the tenant's admins;</li>
 *   <li>group read and describe: {@code consume} in the group's namespace with the group as
 *   subscription (so Pulsar's subscription permissions apply); group delete: Pulsar's unsubscribe;</li>
 *   <li>cluster operations: superusers.</li>
 * </ul>
 * With authorization off everything is allowed; a connection without a role is refused everything.
 */
public final class Access {
    /** Kafka's topic operations. */
    public enum TopicOp { WRITE, READ, DESCRIBE, CREATE, DELETE, ALTER }

    /** Kafka's group operations. */
    public enum GroupOp { READ, DESCRIBE, DELETE }

    private static final int MAX_CACHED = 10_000;
    private static final CompletableFuture<Boolean> YES = CompletableFuture.completedFuture(true);
    private static final CompletableFuture<Boolean> NO = CompletableFuture.completedFuture(false);

    private final AuthorizationService service;
    private final GroupNamespaces groups;
    private final Supplier<Principal> principal;
    private final long cacheNanos;
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(boolean allowed, long atNanos) {
    }

    /** {@code service} null: authorization is off. */
    public Access(AuthorizationService service, GroupNamespaces groups, Supplier<Principal> principal, long cacheMs) {
        this.service = service;
        this.groups = groups;
        this.principal = principal;
        this.cacheNanos = cacheMs * 1_000_000L;
    }

    public boolean enabled() {
        return service != null;
    }

    public CompletableFuture<Boolean> topic(TopicName topic, TopicOp op) {
        if (service == null) {
            return YES;
        }
        TopicName base = TopicName.get(topic.getPartitionedTopicName());
        return cached("t:" + op + ":" + base, p -> switch (op) {
            case WRITE -> service.allowTopicOperationAsync(base, TopicOperation.PRODUCE, p.role(), p.authData());
            case READ -> service.allowTopicOperationAsync(base, TopicOperation.CONSUME, p.role(), p.authData());
            case DESCRIBE -> service.allowTopicOperationAsync(base, TopicOperation.LOOKUP, p.role(), p.authData());
            case CREATE, ALTER -> service.allowNamespaceOperationAsync(base.getNamespaceObject(),
                    NamespaceOperation.CREATE_TOPIC, p.role(), p.authData());
            case DELETE -> service.allowNamespaceOperationAsync(base.getNamespaceObject(),
                    NamespaceOperation.DELETE_TOPIC, p.role(), p.authData());
        });
    }

    /**
     * A group is checked in the namespace it belongs to ({@link GroupNamespaces}); one nobody used yet
     * belongs to the asker's namespace, and joining or committing to it (READ) records that.
     */
    public CompletableFuture<Boolean> group(String group, GroupOp op) {
        if (service == null) {
            return YES;
        }
        Principal asker = principal.get();
        if (asker == null || asker.role() == null) {
            return NO;
        }
        return groups.of(asker, group).thenCompose(owner -> {
            String namespace = owner.orElse(asker.defaultNamespace());
            return groupIn(namespace, group, op).thenCompose(ok -> {
                if (!ok || owner.isPresent() || op != GroupOp.READ) {
                    return ok ? YES : NO;
                }
                return groups.claim(asker, group, namespace).thenCompose(winner -> winner.equals(namespace) ? YES
                        : groupIn(winner, group, op)); // another namespace took it first
            });
        });
    }

    private CompletableFuture<Boolean> groupIn(String namespace, String group, GroupOp op) {
        return cached("g:" + op + ":" + namespace + ":" + group, p -> {
            NamespaceName ns = NamespaceName.get(namespace);
            if (op == GroupOp.DELETE) {
                return service.allowNamespaceOperationAsync(ns, NamespaceOperation.UNSUBSCRIBE, p.role(), p.authData());
            }
            // A group is a subscription of the namespace: consume there (tenant admins may), with the
            // namespace's subscription permissions for the group's name.
            TopicName anyTopicOfNamespace = TopicName.get("persistent", ns, "__kafka_group_access");
            return service.allowTopicOperationAsync(anyTopicOfNamespace, TopicOperation.CONSUME, p.role(),
                    new AuthenticationDataSubscription(p.authData(), group));
        });
    }

    /** Cluster-wide operations (broker configs, ...): superusers only. */
    public CompletableFuture<Boolean> cluster() {
        if (service == null) {
            return YES;
        }
        return cached("c", p -> service.isSuperUser(p.role(), p.authData()));
    }

    private CompletableFuture<Boolean> cached(String key,
            java.util.function.Function<Principal, CompletableFuture<Boolean>> ask) {
        Principal p = principal.get();
        if (p == null || p.role() == null) {
            return NO;
        }
        long now = System.nanoTime();
        Cached c = cache.get(key);
        if (c != null && now - c.atNanos() < cacheNanos) {
            return c.allowed() ? YES : NO;
        }
        CompletableFuture<Boolean> answer;
        try {
            answer = ask.apply(p);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer.handle((allowed, t) -> {
            boolean yes = t == null && Boolean.TRUE.equals(allowed); // a failed check refuses
            if (t == null) {
                if (cache.size() >= MAX_CACHED) {
                    cache.clear();
                }
                cache.put(key, new Cached(yes, now));
            }
            return yes;
        });
    }
}
