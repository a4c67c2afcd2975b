package io.kop.tests;

import io.kop.standalone.KopStandalone;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Not part of the default test run ({@code ./kop bench metrics} runs it): what scraping the broker's
 * {@code /metrics} costs with {@value #PARTITIONS} partitions served, each with one record and one
 * group's committed offset, so KoP writes a lag sample for every one of them (Pulsar's own metrics
 * aggregated per namespace, {@code exposeTopicLevelMetricsInPrometheus=false}). Reported: the page's
 * size and its KoP lines, and the scrape time (median of 10, after 3 unreported).
 */
@Tag("benchmark")
class MetricsScrapeBenchmark {
    private static final int PARTITIONS = 10_000;

    @Test
    @Timeout(value = 40, unit = TimeUnit.MINUTES)
    void scrapeWithTenThousandPartitions() throws Exception {
        Path dir = Files.createTempDirectory("kop-metrics-bench-");
        int http = KopTestBroker.freePort();
        KopStandalone.Options options = new KopStandalone.Options(dir.resolve("kop"),
                Files.list(Path.of(System.getProperty("kop.nar.dir"))).filter(p -> p.toString().endsWith(".nar"))
                        .findFirst().orElseThrow(), "127.0.0.1", KopTestBroker.freePort(), KopTestBroker.freePort(),
                http, KopTestBroker.freePort(), true, false, Map.of("kafkaGroupSubscriptionIntervalMs", "2000",
                        // with Pulsar's per-topic metrics, its own page did not render within the servlet's
                        // 60 s at 10,000 topics on this machine, with or without KoP's provider
                        "exposeTopicLevelMetricsInPrometheus", "false"));
        try (KopStandalone broker = KopStandalone.start(options)) {
            Properties p = new Properties();
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.kafkaBootstrap());
            String topic = "scrape-bench";
            long t0 = System.nanoTime();
            try (Admin admin = Admin.create(p)) {
                admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1))).all().get(5, TimeUnit.MINUTES);
            }
            p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            p.put(ProducerConfig.LINGER_MS_CONFIG, 50);
            p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 120_000);
            p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 600_000);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
                for (int i = 0; i < PARTITIONS; i++) {
                    producer.send(new ProducerRecord<>(topic, i, null, new byte[16]));
                }
                producer.flush();
            }
            long loaded = System.nanoTime();
            Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
            for (int i = 0; i < PARTITIONS; i++) {
                commits.put(new TopicPartition(topic, i), new OffsetAndMetadata(0));
            }
            try (Admin admin = Admin.create(p)) {
                admin.alterConsumerGroupOffsets("scrape-bench-group", commits).all().get(5, TimeUnit.MINUTES);
            }
            HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
            HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + "/metrics/")).build();
            long deadline = System.currentTimeMillis() + 20 * 60_000;
            String page;
            do {
                Thread.sleep(2000);
                page = client.send(get, HttpResponse.BodyHandlers.ofString()).body();
            } while (page.lines().filter(l -> l.startsWith("kop_consumer_group_lag_records{")).count() < PARTITIONS
                    && System.currentTimeMillis() < deadline);
            long mirrored = System.nanoTime();
            long lagLines = page.lines().filter(l -> l.startsWith("kop_consumer_group_lag_records{")).count();
            long kopBytes = page.lines().filter(l -> l.startsWith("kop_")).mapToLong(l -> l.length() + 1).sum();
            for (int i = 0; i < 3; i++) {
                client.send(get, HttpResponse.BodyHandlers.ofString());
            }
            long[] ms = new long[10];
            for (int i = 0; i < ms.length; i++) {
                long s = System.nanoTime();
                page = client.send(get, HttpResponse.BodyHandlers.ofString()).body();
                ms[i] = (System.nanoTime() - s) / 1_000_000;
                Thread.sleep(1000);
            }
            java.util.Arrays.sort(ms);
            System.out.printf("%nmetrics scrape: %,d partitions (one record and one group's offset each)%n", PARTITIONS);
            System.out.printf("topic created and every partition written in %.1f s; lag of all partitions on the page "
                    + "%.1f s later%n", (loaded - t0) / 1e9, (mirrored - loaded) / 1e9);
            System.out.printf("page %,d bytes, of which KoP's lines %,d bytes (%,d lag samples)%n", page.length(),
                    kopBytes, lagLines);
            System.out.printf("scrape time median %d ms, max %d ms (10 scrapes, 1 s apart)%n", ms[ms.length / 2],
                    ms[ms.length - 1]);
        }
    }
}
