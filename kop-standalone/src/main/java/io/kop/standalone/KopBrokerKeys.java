package io.kop.standalone;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The broker.conf keys every broker that runs KoP needs, whoever starts it: the standalone and each
 * broker of {@code ./kop cluster} take them from here (the README lists them for operators).
 */
public final class KopBrokerKeys {
    private KopBrokerKeys() {
    }

    /** The keys; {@code protocols} holds the NAR, {@code narExtraction} is this broker's own directory. */
    public static Map<String, String> of(Path protocols, Path narExtraction) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("messagingProtocols", "kafka");
        c.put("protocolHandlerDirectory", protocols.toString());
        c.put("narExtractionDirectory", narExtraction.toString());
        // Kafka offsets are the broker entry index
        c.put("brokerEntryMetadataInterceptors", "org.apache.pulsar.common.intercept.AppendIndexMetadataInterceptor");
        c.put("exposingBrokerEntryMetadataToClientEnabled", "true");
        // Pulsar's default. KoP creates Kafka topics partitioned anyway; "partitioned" here would make
        // each namespace's __change_events partitioned, and its reader starts a 1 ms timer that never stops.
        c.put("allowAutoTopicCreationType", "non-partitioned");
        c.put("defaultNumPartitions", "1");
        // Kafka clients hold no Pulsar producers or subscriptions: topics must not count as inactive.
        c.put("brokerDeleteInactiveTopicsEnabled", "false");
        // Kafka keeps data for its retention whether or not it was consumed (Kafka's default: 7 days);
        // Pulsar's default (0) deletes every ledger no subscription holds as soon as it rolls over.
        c.put("defaultRetentionTimeInMinutes", "10080");
        c.put("defaultRetentionSizeInMB", "-1");
        c.put("functionsWorkerEnabled", "false");
        return c;
    }
}
