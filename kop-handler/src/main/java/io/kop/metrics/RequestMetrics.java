package io.kop.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * Kafka requests as the connections serve them: per API and version how many, which error codes their
 * responses carried, how long each took from its frame's arrival to its response's write, and how much
 * of that it waited (before its handler ran, and after its response was ready for the responses of
 * earlier requests, which Kafka writes in order); and the connections open. Written as Prometheus
 * text (see {@link #writeTo}).
 */
public final class RequestMetrics {
    private static final class PerVersion {
        final Histogram latency = new Histogram();
        final Histogram queue = new Histogram();
        final ConcurrentMap<Errors, LongAdder> errors = new ConcurrentHashMap<>();
    }

    private final ConcurrentMap<Integer, PerVersion> requests = new ConcurrentHashMap<>();
    private final AtomicLong activeConnections = new AtomicLong();
    private final LongAdder openedConnections = new LongAdder();
    private final ConcurrentMap<String, LongAdder> saslFailures = new ConcurrentHashMap<>();

    public void connectionOpened() {
        activeConnections.incrementAndGet();
        openedConnections.increment();
    }

    public void connectionClosed() {
        activeConnections.decrementAndGet();
    }

    /** A SASL authentication with {@code mechanism} was refused. */
    public void saslFailed(String mechanism) {
        saslFailures.computeIfAbsent(String.valueOf(mechanism), m -> new LongAdder()).increment();
    }

    /**
     * A request answered with {@code response} (null: none sent), {@code nanos} after it arrived, of
     * which its handler took {@code handlerNanos}.
     */
    public void answered(ApiKeys key, short version, ApiMessage response, long nanos, long handlerNanos) {
        PerVersion v = requests.computeIfAbsent(key.id << 16 | version, k -> new PerVersion());
        v.latency.record(nanos);
        v.queue.record(Math.max(0, nanos - handlerNanos));
        if (response != null) {
            for (Map.Entry<Errors, Integer> e : ResponseErrors.of(key, response, version).entrySet()) {
                if (e.getKey() != Errors.NONE && e.getValue() > 0) {
                    v.errors.computeIfAbsent(e.getKey(), x -> new LongAdder()).add(e.getValue());
                }
            }
        }
    }

    /** Appends the metrics in Prometheus text format, each sample labelled with {@code cluster}. */
    public void writeTo(StringBuilder out, String cluster) {
        String c = "cluster=\"" + cluster + "\"";
        out.append("# TYPE kop_connections_active gauge\n")
                .append("kop_connections_active{").append(c).append("} ").append(activeConnections.get()).append('\n');
        out.append("# TYPE kop_connections_opened_total counter\n")
                .append("kop_connections_opened_total{").append(c).append("} ").append(openedConnections.sum())
                .append('\n');
        out.append("# TYPE kop_sasl_authentication_failures_total counter\n");
        saslFailures.forEach((mechanism, n) -> out.append("kop_sasl_authentication_failures_total{").append(c)
                .append(",mechanism=\"").append(GroupLag.escape(mechanism)).append("\"} ").append(n.sum())
                .append('\n'));
        StringBuilder count = new StringBuilder("# TYPE kop_requests_total counter\n");
        StringBuilder errors = new StringBuilder("# TYPE kop_request_errors_total counter\n");
        StringBuilder latency = new StringBuilder("# TYPE kop_request_latency_seconds histogram\n");
        StringBuilder queue = new StringBuilder("# TYPE kop_request_queue_seconds histogram\n");
        requests.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            ApiKeys key = ApiKeys.forId(e.getKey() >>> 16);
            String labels = c + ",api=\"" + key.name + "\",version=\"" + (e.getKey() & 0xffff) + "\"";
            PerVersion v = e.getValue();
            count.append("kop_requests_total{").append(labels).append("} ").append(v.latency.count()).append('\n');
            v.errors.forEach((error, times) -> errors.append("kop_request_errors_total{").append(labels)
                    .append(",error=\"").append(error.name()).append("\"} ").append(times.sum()).append('\n'));
            v.latency.writeTo(latency, "kop_request_latency_seconds", labels);
            v.queue.writeTo(queue, "kop_request_queue_seconds", labels);
        });
        out.append(count).append(errors).append(latency).append(queue);
    }
}
