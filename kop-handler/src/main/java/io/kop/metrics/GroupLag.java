package io.kop.metrics;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Consumer group lag of the partitions this broker serves, as the group-subscription mirror last saw
 * it: per group and partition the committed offset and the log end offset. Each mirror (one per tenant
 * with its own coordinator) replaces its own rows every round.
 */
public final class GroupLag {
    /** One group's position on one partition; {@code namespace} is the Pulsar tenant/namespace. */
    public record Row(String group, String namespace, String topic, int partition, long committed, long logEnd) {
        long lag() {
            return Math.max(0, logEnd - committed);
        }
    }

    private final ConcurrentMap<String, List<Row>> bySource = new ConcurrentHashMap<>();

    public void update(String source, List<Row> rows) {
        bySource.put(source, List.copyOf(rows));
    }

    public void writeTo(StringBuilder out, String cluster) {
        List<Row> rows = bySource.values().stream().flatMap(List::stream)
                .sorted(Comparator.comparing(Row::group).thenComparing(Row::namespace).thenComparing(Row::topic)
                        .thenComparingInt(Row::partition)).toList();
        StringBuilder committed = new StringBuilder("# TYPE kop_consumer_group_committed_offset gauge\n");
        StringBuilder end = new StringBuilder("# TYPE kop_partition_log_end_offset gauge\n");
        StringBuilder lag = new StringBuilder("# TYPE kop_consumer_group_lag_records gauge\n");
        java.util.Set<String> ends = new java.util.HashSet<>();
        for (Row r : rows) {
            String partition = "cluster=\"" + cluster + "\",namespace=\"" + r.namespace() + "\",topic=\""
                    + r.topic() + "\",partition=\"" + r.partition() + "\"";
            String labels = partition + ",group=\"" + escape(r.group()) + "\"";
            committed.append("kop_consumer_group_committed_offset{").append(labels).append("} ")
                    .append(r.committed()).append('\n');
            lag.append("kop_consumer_group_lag_records{").append(labels).append("} ").append(r.lag()).append('\n');
            if (ends.add(partition)) {
                end.append("kop_partition_log_end_offset{").append(partition).append("} ").append(r.logEnd())
                        .append('\n');
            }
        }
        out.append(committed).append(end).append(lag);
    }

    /** A label value as Prometheus text has it. */
    static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
