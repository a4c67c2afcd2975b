package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kop.standalone.KopStandalone;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Not part of the default test run ({@code ./kop bench offsets} runs it): 100,000 offset commits by 10
 * groups, then a broker restart, then the time until every group's offsets can be read again, which is
 * dominated by loading the groups' {@code __consumer_offsets} partitions. Compaction keeps that load
 * small however many commits came before.
 */
@Tag("benchmark")
class OffsetsLoadBenchmark {
    private static final int GROUPS = 10;
    private static final int COMMITS = 100_000;

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void loadTimeAfterManyCommits() throws Exception {
        Path dir = Files.createTempDirectory("kop-offsets-bench-");
        KopStandalone.Options options = new KopStandalone.Options(dir,
                Files.list(Path.of(System.getProperty("kop.nar.dir"))).filter(p -> p.toString().endsWith(".nar"))
                        .findFirst().orElseThrow(), "127.0.0.1", KopTestBroker.freePort(), KopTestBroker.freePort(),
                KopTestBroker.freePort(), KopTestBroker.freePort(), true, false, Map.of());
        KopStandalone broker = KopStandalone.start(options);
        String topic = "offsets-bench";
        TopicPartition tp = new TopicPartition(topic, 0);
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.kafkaBootstrap());
        long commitStart = System.nanoTime();
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        // one consumer per group, committing as fast as the coordinator takes it (pipelined commitAsync)
        List<Thread> committers = new ArrayList<>();
        for (int g = 0; g < GROUPS; g++) {
            Properties c = new Properties();
            c.putAll(p);
            c.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-" + g);
            c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            Thread t = new Thread(() -> {
                try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
                    consumer.assign(List.of(tp));
                    for (int i = 1; i <= COMMITS / GROUPS; i++) {
                        consumer.commitAsync(Map.of(tp, new OffsetAndMetadata(i)), null);
                        if (i % 500 == 0) {
                            consumer.commitSync(Map.of(tp, new OffsetAndMetadata(i)));
                        }
                    }
                    consumer.commitSync(Map.of(tp, new OffsetAndMetadata(COMMITS / GROUPS)));
                }
            });
            committers.add(t);
            t.start();
        }
        for (Thread t : committers) {
            t.join();
        }
        long commitMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - commitStart);
        broker.close();

        broker = KopStandalone.start(new KopStandalone.Options(dir, options.nar(), options.host(), options.kafkaPort(),
                options.pulsarPort(), options.httpPort(), options.bookiePort(), false, false, Map.of()));
        long loadStart = System.nanoTime();
        try (Admin admin = Admin.create(p)) {
            for (int g = 0; g < GROUPS; g++) {
                long offset = admin.listConsumerGroupOffsets("bench-" + g).partitionsToOffsetAndMetadata().get()
                        .get(tp).offset();
                assertEquals(COMMITS / GROUPS, offset);
            }
        } finally {
            long loadMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - loadStart);
            broker.close();
            System.out.printf("offsets load benchmark: %d commits by %d groups in %d ms; after a restart all "
                    + "groups' offsets readable in %d ms (includes coordinator lookup and load)%n",
                    COMMITS, GROUPS, commitMs, loadMs);
        }
    }
}
