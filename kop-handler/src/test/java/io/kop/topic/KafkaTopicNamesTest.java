package io.kop.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.pulsar.common.naming.TopicName;
import org.junit.jupiter.api.Test;

class KafkaTopicNamesTest {
    private final KafkaTopicNames names = new KafkaTopicNames("public", "default");

    @Test
    void shortNamesLiveInTheDefaultNamespace() {
        assertEquals("persistent://public/default/orders", names.toPulsar("orders").toString());
        assertEquals("orders", names.toKafka(TopicName.get("persistent://public/default/orders-partition-3")));
    }

    @Test
    void fullNamesNameAnyNamespace() {
        assertEquals("persistent://acme/sales/orders", names.toPulsar("acme/sales/orders").toString());
        assertEquals("persistent://acme/sales/orders", names.toPulsar("persistent://acme/sales/orders").toString());
        assertEquals("acme/sales/orders", names.toKafka(TopicName.get("persistent://acme/sales/orders-partition-0")));
    }

    @Test
    void otherShapesAreRefused() {
        for (String bad : new String[] {"", "sales/orders", "a/b/c/d", "non-persistent://public/default/t",
                "orders-partition-0"}) {
            assertThrows(IllegalArgumentException.class, () -> names.toPulsar(bad), bad);
        }
    }
}
