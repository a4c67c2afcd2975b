package io.kop.coordinator;

import io.kop.api.RequestContext;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.apache.pulsar.metadata.api.MetadataStore;
import org.apache.pulsar.metadata.api.Notification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-group configs ({@code kafka-configs --entity-type groups}), which Kafka keeps in its controller's
 * metadata: here in the metadata store, {@code /kop/group-configs/<tenant>/<group>} ({@code name=value}
 * lines). Every broker applies them to its coordinator of that tenant: when it starts, and whenever one
 * changes (metadata-store notifications), so the group's coordinator uses them wherever it runs.
 */
public final class GroupConfigs {
    private static final Logger log = LoggerFactory.getLogger(GroupConfigs.class);
    static final String ROOT = "/kop/group-configs";

    private final MetadataStore store;
    private volatile GroupCoordinators groups;

    public GroupConfigs(MetadataStore store) {
        this.store = store;
        store.registerListener(this::changed);
    }

    /** The coordinators changes are applied to (set once they exist). */
    public void bind(GroupCoordinators groups) {
        this.groups = groups;
    }

    /** The configs set on a group of the request's tenant. */
    public CompletableFuture<Map<String, String>> get(RequestContext ctx, String groupId) {
        return read(path(groups.tenantOf(ctx), groupId));
    }

    /**
     * Replaces a group's configs with {@code configs} (empty: none), checked by the tenant's coordinator
     * with Kafka's rules; with {@code validateOnly} nothing changes.
     */
    public CompletableFuture<Void> set(RequestContext ctx, String groupId, Map<String, String> configs,
                                       boolean validateOnly) {
        String tenant = groups.tenantOf(ctx);
        return groups.forTenant(tenant).thenCompose(t -> {
            Map<String, String> valid = t.configs().validate(configs);
            if (validateOnly) {
                return CompletableFuture.completedFuture(null);
            }
            String path = path(tenant, groupId);
            CompletableFuture<Void> stored = valid.isEmpty()
                    ? store.exists(path).thenCompose(e -> e ? store.delete(path, Optional.empty())
                            : CompletableFuture.completedFuture(null))
                    : store.put(path, encode(valid), Optional.empty()).thenApply(s -> null);
            // applied here at once; other brokers follow the notification
            return stored.thenRun(() -> t.configs().apply(groupId, valid));
        });
    }

    /** Applies every stored config of the tenant's groups to its coordinator, which just started here. */
    public void loadInto(String tenant, GroupConfigTarget coordinator) {
        String dir = ROOT + "/" + tenant;
        store.getChildren(dir).thenAccept(children -> children.forEach(child -> read(dir + "/" + child)
                .thenAccept(configs -> coordinator.apply(decode(child), configs))))
                .exceptionally(t -> {
                    log.warn("group configs of tenant {} not loaded: {}", tenant, t.toString());
                    return null;
                });
    }

    private void changed(Notification n) {
        String path = n.getPath();
        GroupCoordinators g = groups;
        if (g == null || !path.startsWith(ROOT + "/")) {
            return;
        }
        String[] parts = path.substring(ROOT.length() + 1).split("/");
        if (parts.length != 2) {
            return;
        }
        g.running(parts[0]).ifPresent(t -> read(path).thenAccept(c -> t.configs().apply(decode(parts[1]), c)));
    }

    private CompletableFuture<Map<String, String>> read(String path) {
        return store.get(path).thenApply(v -> v.map(r -> decode(r.getValue())).orElse(Map.of()));
    }

    private static String path(String tenant, String groupId) {
        return ROOT + "/" + tenant + "/" + URLEncoder.encode(groupId, StandardCharsets.UTF_8);
    }

    private static String decode(String child) {
        return URLDecoder.decode(child, StandardCharsets.UTF_8);
    }

    private static byte[] encode(Map<String, String> configs) {
        StringBuilder b = new StringBuilder();
        new TreeMap<>(configs).forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, String> decode(byte[] value) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : new String(value, StandardCharsets.UTF_8).split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                out.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return out;
    }
}
