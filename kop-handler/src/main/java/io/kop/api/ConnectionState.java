package io.kop.api;

import io.kop.stats.ClientTraffic;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Per-connection state that handlers need. Only touched on the connection's event loop, where
 * requests are handed to the dispatcher one at a time and in order.
 */
public final class ConnectionState {
    private final ScheduledExecutorService eventLoop;
    private final ClientTraffic traffic;
    private CompletableFuture<Void> appendsSubmitted = CompletableFuture.completedFuture(null);

    public ConnectionState(ScheduledExecutorService eventLoop, ClientTraffic traffic) {
        this.eventLoop = eventLoop;
        this.traffic = traffic;
    }

    /** This connection's produce and fetch traffic as Pulsar's topic statistics count it (thread-safe). */
    public ClientTraffic traffic() {
        return traffic;
    }

    /**
     * Runs {@code task} on the connection's event loop after {@code ms}. For deadlines that are almost
     * always cancelled (one per produced partition): the loop adds the timer without waking any thread,
     * and Netty queues a cancel from another thread without waking the loop, where a shared scheduled
     * executor wakes its thread for most of the requests.
     */
    public ScheduledFuture<?> schedule(Runnable task, long ms) {
        return eventLoop.schedule(task, ms, TimeUnit.MILLISECONDS);
    }

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
