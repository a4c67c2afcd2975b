package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.annotation.EnableKafka;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * Spring for Apache Kafka, as an application uses it: a {@code KafkaTemplate} sends, a
 * {@code @KafkaListener} (a listener container in a consumer group) receives every record once and
 * commits, with the group's offsets readable afterwards.
 */
class SpringKafkaTest {
    private static final KopTestBroker BROKER = KopTestBroker.get();
    static final String TOPIC = KopTestBroker.uniqueTopic("spring");
    static final String GROUP = "spring-" + TOPIC;
    static final int RECORDS = 50;
    static final List<String> RECEIVED = new CopyOnWriteArrayList<>();
    static final CountDownLatch ALL = new CountDownLatch(RECORDS);

    @Configuration
    @EnableKafka
    static class App {
        @Bean
        KafkaTemplate<String, String> template() {
            Map<String, Object> p = new HashMap<>();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BROKER.bootstrap());
            p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
            p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
            return new KafkaTemplate<>(new DefaultKafkaProducerFactory<>(p));
        }

        @Bean
        ConcurrentKafkaListenerContainerFactory<String, String> kafkaListenerContainerFactory() {
            Map<String, Object> p = new HashMap<>();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, BROKER.bootstrap());
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
            p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
            p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            ConcurrentKafkaListenerContainerFactory<String, String> factory = new ConcurrentKafkaListenerContainerFactory<>();
            factory.setConsumerFactory(new DefaultKafkaConsumerFactory<>(p));
            factory.setConcurrency(2);
            return factory;
        }

        @Bean
        String topicName() {
            return TOPIC;
        }

        @Bean
        String groupName() {
            return GROUP;
        }

        @Bean
        Listener listener() {
            return new Listener();
        }
    }

    static class Listener {
        @KafkaListener(topics = "#{@topicName}", groupId = "#{@groupName}")
        void onMessage(ConsumerRecord<String, String> record) {
            RECEIVED.add(record.value());
            ALL.countDown();
        }
    }

    @Test
    void templateSendsAndAListenerContainerReceivesAndCommits() throws Exception {
        try (Admin admin = BROKER.admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        try (AnnotationConfigApplicationContext context = new AnnotationConfigApplicationContext(App.class)) {
            @SuppressWarnings("unchecked")
            KafkaTemplate<String, String> template = context.getBean(KafkaTemplate.class);
            for (int i = 0; i < RECORDS; i++) {
                template.send(TOPIC, "k" + i, "v" + i).get(30, TimeUnit.SECONDS);
            }
            assertEquals(true, ALL.await(60, TimeUnit.SECONDS), "received " + RECEIVED.size());
            assertEquals(RECORDS, RECEIVED.stream().distinct().count());
            try (Admin admin = BROKER.admin()) {
                long deadline = System.currentTimeMillis() + 30_000;
                long committed = 0;
                while (committed < RECORDS && System.currentTimeMillis() < deadline) {
                    Thread.sleep(200);
                    committed = admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata()
                            .get(30, TimeUnit.SECONDS).entrySet().stream()
                            .filter(e -> e.getValue() != null && e.getKey().topic().equals(TOPIC))
                            .mapToLong(e -> e.getValue().offset()).sum();
                }
                assertEquals(RECORDS, committed, "the listener container committed every record");
            }
        }
        assertEquals(RECORDS, RECEIVED.size(), "each record once");
    }
}
