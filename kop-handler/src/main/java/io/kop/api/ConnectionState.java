package io.kop.api;

import java.util.concurrent.CompletableFuture;

/**
 * Per-connection state that handlers need. Only touched on the connection's event loop, where
 * requests are handed to the dispatcher one at a time and in order.
 */
public final class ConnectionState {
    private CompletableFuture<Void> appendsSubmitted = CompletableFuture.completedFuture(null);

    /**
     * Kafka appends the batches of one connection in request order (a pipelining idempotent producer
     * relies on it). Returns when the previous produce request has handed its batches to the logs, and
     * makes {@code submitted} the point the next produce request waits for.
     */
    public CompletableFuture<Void> nextAppendTurn(CompletableFuture<Void> submitted) {
        CompletableFuture<Void> previous = appendsSubmitted;
        appendsSubmitted = submitted;
        return previous;
    }
}
