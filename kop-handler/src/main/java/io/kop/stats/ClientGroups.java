package io.kop.stats;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which consumer group a Kafka client fetches for. A fetch names no group, so this is learnt from the
 * group coordinators' descriptions of their members (client host, client id and assigned partitions),
 * which the group-subscription mirror reads every round on every broker. A member is matched by its
 * assigned partition first, then by host and client id alone when only one group has such a member.
 */
public final class ClientGroups {
    private static final String AMBIGUOUS = "";

    /** One member of a group as its coordinator describes it; {@code partitions} as "topic-partition". */
    public record Member(String group, String host, String clientId, List<String> partitions) {
    }

    private final Map<String, Map<String, String>> bySource = new ConcurrentHashMap<>();

    /** Replaces what {@code source} (one mirror) knew with its latest description of the groups' members. */
    public void update(String source, List<Member> members) {
        Map<String, String> next = new HashMap<>();
        for (Member m : members) {
            String client = key(m.host(), m.clientId());
            next.merge(client, m.group(), (a, b) -> a.equals(b) ? a : AMBIGUOUS);
            for (String p : m.partitions()) {
                next.put(client + '\u0000' + p, m.group());
            }
        }
        bySource.put(source, Map.copyOf(next));
    }

    /** The group the client at {@code address} fetches {@code topic}-{@code partition} for, or null. */
    public String groupOf(InetAddress address, String clientId, String topic, int partition) {
        String client = key(address.getHostAddress(), clientId);
        String precise = client + '\u0000' + topic + '-' + partition;
        String loose = null;
        for (Map<String, String> known : bySource.values()) {
            String g = known.get(precise);
            if (g != null) {
                return g;
            }
            g = known.get(client);
            if (g != null && !g.equals(AMBIGUOUS)) {
                loose = g;
            }
        }
        return loose;
    }

    /** Coordinators write hosts as {@code InetAddress.toString()} ("/127.0.0.1"): compared without the name part. */
    private static String key(String host, String clientId) {
        String h = host == null ? "" : host.substring(host.indexOf('/') + 1);
        return h + '\u0000' + clientId;
    }
}
