package io.kop.storage;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pulsar.common.util.FutureUtil;
import org.apache.pulsar.metadata.api.MetadataStore;
import org.apache.pulsar.metadata.api.MetadataStoreException;

/**
 * Hands out producer ids unique across the cluster: each broker claims blocks of ids with a
 * compare-and-set on one metadata-store node, then serves ids from its block.
 */
public final class ProducerIdAllocator {
    static final String PATH = "/kop/producer-id-block";
    static final long BLOCK_SIZE = 1000;

    private final MetadataStore store;
    private long next;
    private long blockEnd;
    private CompletableFuture<Void> claiming;

    public ProducerIdAllocator(MetadataStore store) {
        this.store = store;
    }

    public synchronized CompletableFuture<Long> nextId() {
        if (next < blockEnd) {
            return CompletableFuture.completedFuture(next++);
        }
        if (claiming == null) {
            claiming = claimBlock().whenComplete((v, t) -> {
                synchronized (this) {
                    claiming = null;
                }
            });
        }
        return claiming.thenCompose(v -> nextId());
    }

    private CompletableFuture<Void> claimBlock() {
        return store.get(PATH).thenCompose(current -> {
            long start = current.map(v -> Long.parseLong(new String(v.getValue(), StandardCharsets.UTF_8)))
                    .orElse(0L);
            long expectedVersion = current.map(v -> v.getStat().getVersion()).orElse(-1L);
            byte[] end = Long.toString(start + BLOCK_SIZE).getBytes(StandardCharsets.UTF_8);
            return store.put(PATH, end, Optional.of(expectedVersion)).thenAccept(stat -> {
                synchronized (this) {
                    next = start;
                    blockEnd = start + BLOCK_SIZE;
                }
            }).exceptionallyCompose(t -> {
                if (FutureUtil.unwrapCompletionException(t) instanceof MetadataStoreException.BadVersionException) {
                    return claimBlock(); // another broker claimed a block first
                }
                return CompletableFuture.failedFuture(t);
            });
        });
    }
}
