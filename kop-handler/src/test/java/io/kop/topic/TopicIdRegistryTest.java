package io.kop.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.common.Uuid;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.metadata.api.MetadataStore;
import org.apache.pulsar.metadata.api.MetadataStoreConfig;
import org.apache.pulsar.metadata.api.MetadataStoreFactory;
import org.junit.jupiter.api.Test;

class TopicIdRegistryTest {
    private static final KafkaTopicNames DEFAULT_VIEW = new KafkaTopicNames("public", "default");
    private static final KafkaTopicNames ACME_VIEW = new KafkaTopicNames("acme", "orders");

    @Test
    void everyTenantReadsAnIdBackUnderItsOwnName() throws Exception {
        try (MetadataStore store = MetadataStoreFactory.create("memory:local", MetadataStoreConfig.builder().build())) {
            TopicName topic = TopicName.get("persistent://acme/orders/payments");
            Uuid id = new TopicIdRegistry(store, DEFAULT_VIEW).register(topic.getPartition(2)).get();
            assertEquals(KafkaTopicNames.topicId(topic), id, "a partition's id is its topic's");

            // another broker, which only has the store
            TopicIdRegistry other = new TopicIdRegistry(store, DEFAULT_VIEW);
            assertEquals("payments", other.name(id, ACME_VIEW).get());
            assertEquals("acme/orders/payments", other.name(id, DEFAULT_VIEW).get());
            assertNull(other.name(Uuid.randomUuid(), ACME_VIEW).get());
        }
    }

    @Test
    void entriesStoredAsKafkaNamesAreReadInTheDefaultView() throws Exception {
        try (MetadataStore store = MetadataStoreFactory.create("memory:local", MetadataStoreConfig.builder().build())) {
            TopicName topic = TopicName.get("persistent://public/default/legacy");
            Uuid id = KafkaTopicNames.topicId(topic);
            store.put(TopicIdRegistry.ROOT + "/" + id, "legacy".getBytes(StandardCharsets.UTF_8), Optional.of(-1L))
                    .get();
            TopicIdRegistry registry = new TopicIdRegistry(store, DEFAULT_VIEW);
            assertEquals(topic, registry.topic(id).get());
            assertEquals("public/default/legacy", registry.name(id, ACME_VIEW).get());
        }
    }
}
