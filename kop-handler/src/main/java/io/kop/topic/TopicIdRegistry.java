package io.kop.topic;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.Uuid;

/**
 * Topic id -> Kafka name, for requests that name topics by id (Fetch v13+, Produce v13+, Metadata v12+).
 * Ids are derived from names ({@link KafkaTopicNames#topicId}); a client learns an id from Metadata,
 * which records it here first.
 */
public final class TopicIdRegistry {
    private final Map<Uuid, String> names = new ConcurrentHashMap<>();

    /** The topic's id, remembered so requests naming it by id find the topic. */
    public Uuid register(String kafkaName, org.apache.pulsar.common.naming.TopicName pulsarName) {
        Uuid id = KafkaTopicNames.topicId(pulsarName);
        names.put(id, kafkaName);
        return id;
    }

    /** The Kafka name of a topic id this broker has handed out, or null. */
    public String name(Uuid id) {
        return names.get(id);
    }
}
