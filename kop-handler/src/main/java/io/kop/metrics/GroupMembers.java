package io.kop.metrics;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The state and member count of each consumer group this broker coordinates, as the group-subscription
 * mirror last described them (each group is reported by its coordinator only, so sums over brokers hold).
 */
public final class GroupMembers {
    public record Group(String group, String state, int members) {
    }

    private final ConcurrentMap<String, List<Group>> bySource = new ConcurrentHashMap<>();

    public void update(String source, List<Group> groups) {
        bySource.put(source, List.copyOf(groups));
    }

    public void writeTo(StringBuilder out, String cluster) {
        out.append("# TYPE kop_consumer_group_members gauge\n");
        bySource.values().stream().flatMap(List::stream).sorted(Comparator.comparing(Group::group))
                .forEach(g -> out.append("kop_consumer_group_members{cluster=\"").append(cluster)
                        .append("\",group=\"").append(GroupLag.escape(g.group())).append("\",state=\"")
                        .append(g.state()).append("\"} ").append(g.members()).append('\n'));
    }
}
