package io.kop.metrics;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/** A Prometheus histogram of durations, in seconds, with fixed buckets from 1 ms to 30 s. */
final class Histogram {
    /** Bucket bounds, seconds. */
    static final double[] BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private final LongAdder count = new LongAdder();
    private final LongAdder nanos = new LongAdder();
    private final AtomicLongArray buckets = new AtomicLongArray(BUCKETS.length);

    void record(long durationNanos) {
        count.increment();
        nanos.add(durationNanos);
        double seconds = durationNanos / 1e9;
        for (int i = 0; i < BUCKETS.length; i++) {
            if (seconds <= BUCKETS[i]) {
                buckets.incrementAndGet(i);
                break;
            }
        }
    }

    long count() {
        return count.sum();
    }

    /** The {@code _bucket}, {@code _sum} and {@code _count} samples of {@code name} with {@code labels}. */
    void writeTo(StringBuilder out, String name, String labels) {
        long n = count.sum();
        long cumulative = 0;
        for (int i = 0; i < BUCKETS.length; i++) {
            cumulative += buckets.get(i);
            out.append(name).append("_bucket{").append(labels).append(",le=\"").append(BUCKETS[i]).append("\"} ")
                    .append(cumulative).append('\n');
        }
        out.append(name).append("_bucket{").append(labels).append(",le=\"+Inf\"} ").append(n).append('\n');
        out.append(name).append("_sum{").append(labels).append("} ").append(nanos.sum() / 1e9).append('\n');
        out.append(name).append("_count{").append(labels).append("} ").append(n).append('\n');
    }
}
