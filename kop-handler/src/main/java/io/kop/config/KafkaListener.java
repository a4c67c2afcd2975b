package io.kop.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One {@code NAME://host:port} entry of {@code kafkaListeners} or {@code kafkaAdvertisedListeners}. */
public record KafkaListener(String name, String securityProtocol, String host, int port) {
    /** Kafka's security protocols, all served. */
    public static final List<String> PROTOCOLS = List.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
    private static final Pattern FORMAT = Pattern.compile("^([A-Za-z0-9_]+)://(\\[[^]]*]|[^:]*):(\\d+)$");

    public boolean tls() {
        return securityProtocol.equals("SSL") || securityProtocol.equals("SASL_SSL");
    }

    public boolean sasl() {
        return securityProtocol.startsWith("SASL_");
    }

    /** Parses another broker's advertised listeners (names are already resolved there). */
    public static List<KafkaListener> parseAdvertised(String value) {
        return parseList(value, null, "advertised listeners");
    }

    /** {@code protocolMap} null: names are not checked (another broker already did). */
    static List<KafkaListener> parseList(String value, Map<String, String> protocolMap, String key) {
        List<KafkaListener> out = new ArrayList<>();
        for (String item : value.split(",")) {
            if (item.isBlank()) {
                continue;
            }
            Matcher m = FORMAT.matcher(item.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException(key + ": expected NAME://host:port, got '" + item.trim() + "'");
            }
            String name = m.group(1).toUpperCase(Locale.ROOT);
            String protocol = protocolMap == null ? "PLAINTEXT" : protocolMap.getOrDefault(name, name);
            if (!PROTOCOLS.contains(protocol)) {
                throw new IllegalArgumentException(key + ": listener '" + name + "' uses security protocol '"
                        + protocol + "'; use one of " + PROTOCOLS + " (name it so, or map the name with "
                        + "kafkaProtocolMap=" + name + ":SASL_SSL and the like)");
            }
            String host = m.group(2);
            if (host.startsWith("[")) {
                host = host.substring(1, host.length() - 1);
            }
            out.add(new KafkaListener(name, protocol, host, Integer.parseInt(m.group(3))));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(key + " is empty");
        }
        return List.copyOf(out);
    }
}
