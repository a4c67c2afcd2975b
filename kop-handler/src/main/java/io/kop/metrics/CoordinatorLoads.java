package io.kop.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * How long this broker took to load coordinator partitions it was elected for (the group coordinator's
 * {@code __consumer_offsets}, the transaction coordinator's {@code __transaction_state}), and how many
 * records it replayed: while a partition loads, its groups or transactions answer COORDINATOR_LOAD_IN_PROGRESS.
 */
public final class CoordinatorLoads {
    private record Loads(Histogram time, LongAdder records) {
    }

    private final ConcurrentMap<String, Loads> byCoordinator = new ConcurrentHashMap<>();

    /** A partition of {@code coordinator} ("group" or "transaction") loaded in {@code millis}. */
    public void loaded(String coordinator, long millis, long records) {
        Loads l = byCoordinator.computeIfAbsent(coordinator, c -> new Loads(new Histogram(), new LongAdder()));
        l.time().record(TimeUnit.MILLISECONDS.toNanos(millis));
        l.records().add(records);
    }

    public void writeTo(StringBuilder out, String cluster) {
        StringBuilder time = new StringBuilder("# TYPE kop_coordinator_load_seconds histogram\n");
        StringBuilder records = new StringBuilder("# TYPE kop_coordinator_loaded_records_total counter\n");
        for (Map.Entry<String, Loads> e : new java.util.TreeMap<>(byCoordinator).entrySet()) {
            String labels = "cluster=\"" + cluster + "\",coordinator=\"" + e.getKey() + "\"";
            e.getValue().time().writeTo(time, "kop_coordinator_load_seconds", labels);
            records.append("kop_coordinator_loaded_records_total{").append(labels).append("} ")
                    .append(e.getValue().records().sum()).append('\n');
        }
        out.append(time).append(records);
    }
}
