package io.kop.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.Errors;

/**
 * Kafka requests as the connections serve them: per API and version how many, which error codes their
 * responses carried, and how long each took from its frame's arrival to its response's write; and the
 * connections open. Written as Prometheus text (see {@link #writeTo}).
 */
public final class RequestMetrics {
    /** Latency bucket bounds, seconds. */
    static final double[] BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private static final class PerVersion {
        final LongAdder count = new LongAdder();
        final LongAdder nanos = new LongAdder();
        final AtomicLongArray buckets = new AtomicLongArray(BUCKETS.length);
        final ConcurrentMap<Errors, LongAdder> errors = new ConcurrentHashMap<>();
    }

    private final ConcurrentMap<Integer, PerVersion> requests = new ConcurrentHashMap<>();
    private final AtomicLong activeConnections = new AtomicLong();
    private final LongAdder openedConnections = new LongAdder();

    public void connectionOpened() {
        activeConnections.incrementAndGet();
        openedConnections.increment();
    }

    public void connectionClosed() {
        activeConnections.decrementAndGet();
    }

    /** A request answered with {@code response} (null: none sent), {@code nanos} after it arrived. */
    public void answered(ApiKeys key, short version, ApiMessage response, long nanos) {
        PerVersion v = requests.computeIfAbsent(key.id << 16 | version, k -> new PerVersion());
        v.count.increment();
        v.nanos.add(nanos);
        double seconds = nanos / 1e9;
        for (int i = 0; i < BUCKETS.length; i++) {
            if (seconds <= BUCKETS[i]) {
                v.buckets.incrementAndGet(i);
                break;
            }
        }
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
        StringBuilder count = new StringBuilder("# TYPE kop_requests_total counter\n");
        StringBuilder errors = new StringBuilder("# TYPE kop_request_errors_total counter\n");
        StringBuilder latency = new StringBuilder("# TYPE kop_request_latency_seconds histogram\n");
        requests.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            ApiKeys key = ApiKeys.forId(e.getKey() >>> 16);
            String labels = c + ",api=\"" + key.name + "\",version=\"" + (e.getKey() & 0xffff) + "\"";
            PerVersion v = e.getValue();
            long n = v.count.sum();
            count.append("kop_requests_total{").append(labels).append("} ").append(n).append('\n');
            v.errors.forEach((error, times) -> errors.append("kop_request_errors_total{").append(labels)
                    .append(",error=\"").append(error.name()).append("\"} ").append(times.sum()).append('\n'));
            long cumulative = 0;
            for (int i = 0; i < BUCKETS.length; i++) {
                cumulative += v.buckets.get(i);
                latency.append("kop_request_latency_seconds_bucket{").append(labels).append(",le=\"")
                        .append(BUCKETS[i]).append("\"} ").append(cumulative).append('\n');
            }
            latency.append("kop_request_latency_seconds_bucket{").append(labels).append(",le=\"+Inf\"} ").append(n)
                    .append('\n');
            latency.append("kop_request_latency_seconds_sum{").append(labels).append("} ")
                    .append(v.nanos.sum() / 1e9).append('\n');
            latency.append("kop_request_latency_seconds_count{").append(labels).append("} ").append(n).append('\n');
        });
        out.append(count).append(errors).append(latency);
    }
}
