package io.kop.topic;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.kafka.common.Uuid;
import org.apache.pulsar.common.naming.TopicDomain;
import org.apache.pulsar.common.naming.TopicName;

/**
 * Kafka topic names <-> Pulsar topics. A short name lives in the default namespace
 * ({@code kafkaTenant/kafkaNamespace}); {@code tenant/ns/topic} and {@code persistent://tenant/ns/topic}
 * name any namespace. Kafka partition N is the Pulsar topic {@code <topic>-partition-N}.
 */
public final class KafkaTopicNames {
    private final String defaultNamespace;

    public KafkaTopicNames(String tenant, String namespace) {
        this.defaultNamespace = tenant + "/" + namespace;
    }

    /** The partitioned Pulsar topic for a Kafka name; throws IllegalArgumentException if it is not valid. */
    public TopicName toPulsar(String kafkaName) {
        if (kafkaName == null || kafkaName.isEmpty()) {
            throw new IllegalArgumentException("empty topic name");
        }
        String full;
        if (kafkaName.startsWith(TopicDomain.persistent + "://")) {
            full = kafkaName;
        } else if (kafkaName.contains("://")) {
            throw new IllegalArgumentException("only persistent topics can be used from Kafka: " + kafkaName);
        } else if (slashes(kafkaName) == 2) {
            full = TopicDomain.persistent + "://" + kafkaName;
        } else if (kafkaName.indexOf('/') < 0) {
            full = TopicDomain.persistent + "://" + defaultNamespace + "/" + kafkaName;
        } else {
            throw new IllegalArgumentException("topic name must be 'topic', 'tenant/namespace/topic' or "
                    + "'persistent://tenant/namespace/topic': " + kafkaName);
        }
        TopicName name = TopicName.get(full);
        if (name.isPartitioned()) {
            throw new IllegalArgumentException("name a Kafka topic without the -partition-N suffix: " + kafkaName);
        }
        return name;
    }

    /** Every produce and fetch names its topics, so this is counted without a stream. */
    private static int slashes(String name) {
        int n = 0;
        for (int i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
            n++;
        }
        return n;
    }

    /** The name Kafka clients see: short in the default namespace, {@code tenant/ns/topic} elsewhere. */
    public String toKafka(TopicName pulsarTopic) {
        TopicName base = TopicName.get(pulsarTopic.getPartitionedTopicName());
        if (base.getNamespace().equals(defaultNamespace)) {
            return base.getLocalName();
        }
        return base.getNamespace() + "/" + base.getLocalName();
    }

    public String defaultNamespace() {
        return defaultNamespace;
    }

    /**
     * Kafka topic id: derived from the Pulsar topic name, so every broker and every restart gives the
     * same id without storing it.
     */
    public static Uuid topicId(TopicName pulsarTopic) {
        UUID u = UUID.nameUUIDFromBytes(pulsarTopic.getPartitionedTopicName().getBytes(StandardCharsets.UTF_8));
        Uuid id = new Uuid(u.getMostSignificantBits(), u.getLeastSignificantBits());
        return id.equals(Uuid.ZERO_UUID) || id.equals(Uuid.METADATA_TOPIC_ID) ? Uuid.ONE_UUID : id;
    }
}
