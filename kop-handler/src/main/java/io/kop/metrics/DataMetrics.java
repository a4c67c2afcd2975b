package io.kop.metrics;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Kafka data through this broker: records and bytes produced and fetched per topic (per namespace
 * when Pulsar's {@code exposeTopicLevelMetricsInPrometheus} is off, as Pulsar aggregates its own),
 * how long the partition logs took to append and read, and how many produces wait for storage and
 * fetches for data (Kafka's purgatories).
 */
public final class DataMetrics {
    private static final class Flow {
        final LongAdder recordsIn = new LongAdder();
        final LongAdder bytesIn = new LongAdder();
        final LongAdder recordsOut = new LongAdder();
        final LongAdder bytesOut = new LongAdder();
    }

    private final boolean perTopic;
    private final ConcurrentMap<String, Flow> flows = new ConcurrentHashMap<>();
    private final Histogram appends = new Histogram();
    private final Histogram reads = new Histogram();
    private final AtomicLong waitingAppends = new AtomicLong();
    private final AtomicLong waitingFetches = new AtomicLong();

    public DataMetrics(boolean perTopic) {
        this.perTopic = perTopic;
    }

    private Flow flow(String namespace, String topic) {
        return flows.computeIfAbsent(perTopic ? namespace + '\u0000' + topic : namespace, k -> new Flow());
    }

    public void produced(String namespace, String topic, int records, long bytes) {
        Flow f = flow(namespace, topic);
        f.recordsIn.add(records);
        f.bytesIn.add(bytes);
    }

    public void fetched(String namespace, String topic, int records, long bytes) {
        if (records > 0) {
            Flow f = flow(namespace, topic);
            f.recordsOut.add(records);
            f.bytesOut.add(bytes);
        }
    }

    /** An append is handed to a partition log; call {@link #appended} when the log confirmed or refused it. */
    public long appendStarted() {
        waitingAppends.incrementAndGet();
        return System.nanoTime();
    }

    public void appended(long startedNanos) {
        waitingAppends.decrementAndGet();
        appends.record(System.nanoTime() - startedNanos);
    }

    public void read(long startedNanos) {
        reads.record(System.nanoTime() - startedNanos);
    }

    /** A fetch with too little data starts (+1) or stops (-1) waiting for more. */
    public void fetchWaiting(int delta) {
        waitingFetches.addAndGet(delta);
    }

    public void writeTo(StringBuilder out, String cluster) {
        String c = "cluster=\"" + cluster + "\"";
        StringBuilder[] series = {new StringBuilder(), new StringBuilder(), new StringBuilder(), new StringBuilder()};
        String[] names = {"kop_topic_records_in_total", "kop_topic_bytes_in_total", "kop_topic_records_out_total",
                "kop_topic_bytes_out_total"};
        for (Map.Entry<String, Flow> e : new TreeMap<>(flows).entrySet()) {
            String[] key = e.getKey().split("\u0000", 2);
            String labels = c + ",namespace=\"" + key[0] + "\""
                    + (key.length > 1 ? ",topic=\"" + GroupLag.escape(key[1]) + "\"" : "");
            Flow f = e.getValue();
            long[] values = {f.recordsIn.sum(), f.bytesIn.sum(), f.recordsOut.sum(), f.bytesOut.sum()};
            for (int i = 0; i < names.length; i++) {
                series[i].append(names[i]).append('{').append(labels).append("} ").append(values[i]).append('\n');
            }
        }
        for (int i = 0; i < names.length; i++) {
            out.append("# TYPE ").append(names[i]).append(" counter\n").append(series[i]);
        }
        out.append("# TYPE kop_storage_latency_seconds histogram\n");
        appends.writeTo(out, "kop_storage_latency_seconds", c + ",operation=\"append\"");
        reads.writeTo(out, "kop_storage_latency_seconds", c + ",operation=\"read\"");
        out.append("# TYPE kop_purgatory_size gauge\n")
                .append("kop_purgatory_size{").append(c).append(",operation=\"produce\"} ").append(waitingAppends.get())
                .append('\n')
                .append("kop_purgatory_size{").append(c).append(",operation=\"fetch\"} ").append(waitingFetches.get())
                .append('\n');
    }
}
