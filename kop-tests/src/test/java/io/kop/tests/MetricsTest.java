package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.junit.jupiter.api.Test;

/** KoP's metrics on the broker's own {@code /metrics}, beside Pulsar's, counted exactly after known traffic. */
class MetricsTest {
    private final KopTestBroker broker = KopTestBroker.get();

    private String scrape() throws Exception {
        return scrape(broker.httpUrl());
    }

    /** The broker's {@code /metrics} page. */
    static String scrape(String httpUrl) throws Exception {
        HttpResponse<String> r = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build().send(
                HttpRequest.newBuilder(URI.create(httpUrl + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return r.body();
    }

    /** The sum of the samples of {@code name} whose labels include every one of {@code labels}. */
    static long sum(String text, String name, Map<String, String> labels) {
        long total = 0;
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\} ([0-9.eE+-]+)$").matcher(text);
        while (m.find()) {
            String l = m.group(1);
            if (labels.entrySet().stream().allMatch(e -> l.contains(e.getKey() + "=\"" + e.getValue() + "\""))) {
                total += (long) Double.parseDouble(m.group(2));
            }
        }
        return total;
    }

    @Test
    void requestsAndTheirErrorsAreCountedByApiAndVersion() throws Exception {
        String before = scrape();
        assertTrue(before.contains("pulsar_"), "Pulsar's own metrics are on the same page");
        String topic = KopTestBroker.uniqueTopic("metrics");
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            for (int i = 0; i < 2; i++) {
                try {
                    admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    assertTrue(e.getCause() instanceof TopicExistsException, e.toString());
                }
            }
            assertTrue(sum(scrape(), "kop_connections_active", Map.of()) >= 1, "the admin client's connection");
        }
        Map<String, String> create = Map.of("api", "CreateTopics");
        long deadline = System.currentTimeMillis() + 10_000;
        String after;
        do { // the broker may serve a page a moment old
            after = scrape();
        } while (sum(after, "kop_requests_total", create) - sum(before, "kop_requests_total", create) < 3
                && System.currentTimeMillis() < deadline && sleep());
        assertEquals(3, sum(after, "kop_requests_total", create) - sum(before, "kop_requests_total", create));
        Map<String, String> exists = Map.of("api", "CreateTopics", "error", "TOPIC_ALREADY_EXISTS");
        assertEquals(2, sum(after, "kop_request_errors_total", exists) - sum(before, "kop_request_errors_total", exists));
        assertEquals(3, sum(after, "kop_request_latency_seconds_count", create)
                - sum(before, "kop_request_latency_seconds_count", create));
        assertEquals(sum(after, "kop_request_latency_seconds_count", create),
                sum(after, "kop_request_latency_seconds_bucket", Map.of("api", "CreateTopics", "le", "+Inf")));
        assertTrue(sum(after, "kop_connections_opened_total", Map.of()) > sum(before, "kop_connections_opened_total",
                Map.of()));
        assertEquals(3, sum(after, "kop_request_queue_seconds_count", create)
                - sum(before, "kop_request_queue_seconds_count", create));
    }

    @Test
    void eachGroupsLagIsExportedPerPartition() throws Exception {
        String topic = KopTestBroker.uniqueTopic("metrics-lag");
        String group = "metrics-lag-" + java.util.UUID.randomUUID();
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        try (var producer = broker.producer(Map.of())) {
            for (int i = 0; i < 10; i++) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, 0, null, new byte[1])).get();
            }
            for (int i = 0; i < 3; i++) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, 1, null, new byte[1])).get();
            }
        }
        try (var consumer = broker.consumer(Map.of(org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG,
                group))) {
            consumer.commitSync(Map.of(
                    new org.apache.kafka.common.TopicPartition(topic, 0), new org.apache.kafka.clients.consumer.OffsetAndMetadata(4),
                    new org.apache.kafka.common.TopicPartition(topic, 1), new org.apache.kafka.clients.consumer.OffsetAndMetadata(3)));
        }
        Map<String, String> p0 = Map.of("group", group, "topic", topic, "partition", "0");
        Map<String, String> p1 = Map.of("group", group, "topic", topic, "partition", "1");
        long deadline = System.currentTimeMillis() + 30_000; // the mirror's round (5 s by default)
        String text;
        do {
            text = scrape();
        } while (!text.contains("group=\"" + group + "\"") && System.currentTimeMillis() < deadline && sleep());
        assertEquals(4, sum(text, "kop_consumer_group_committed_offset", p0));
        assertEquals(6, sum(text, "kop_consumer_group_lag_records", p0));
        assertEquals(10, sum(text, "kop_partition_log_end_offset", Map.of("topic", topic, "partition", "0")));
        assertEquals(3, sum(text, "kop_consumer_group_committed_offset", p1));
        assertEquals(0, sum(text, "kop_consumer_group_lag_records", p1));
    }

    /**
     * The Grafana dashboard in {@code dashboards/kop.json}, checked without Grafana: it is a dashboard
     * (panels with Prometheus targets), and every KoP metric its queries use is on the page after the
     * traffic of the other tests here.
     */
    @Test
    void theDashboardQueriesMetricsThePageHas() throws Exception {
        eachGroupsLagIsExportedPerPartition(); // so the group metrics have samples
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                java.nio.file.Path.of(System.getProperty("kop.root", ".."), "dashboards", "kop.json").toFile());
        assertTrue(json.get("panels").size() >= 5, "panels");
        String text = scrape();
        java.util.Set<String> used = new java.util.TreeSet<>();
        for (var panel : json.get("panels")) {
            assertTrue(panel.has("gridPos") && panel.has("title"), panel.toString());
            for (var target : panel.get("targets")) {
                Matcher m = Pattern.compile("kop_[a-z_]+").matcher(target.get("expr").asText());
                while (m.find()) {
                    used.add(m.group());
                }
            }
        }
        assertTrue(used.size() >= 6, "the dashboard's metrics: " + used);
        for (String metric : used) {
            // A sample, or for a family with none yet (no SASL failure on this broker) its TYPE line
            String family = metric.replaceAll("_(bucket|sum|count)$", "");
            assertTrue(Pattern.compile("(?m)^" + metric + "\\{").matcher(text).find()
                    || text.contains("# TYPE " + family + " "), metric + " is not on /metrics");
        }
    }

    /**
     * Records and bytes per topic both ways, in KoP's metrics and in Pulsar's own per-topic metrics;
     * storage latency and purgatories; the group's state and members; coordinator loads.
     */
    @Test
    void topicTrafficStorageGroupsAndCoordinatorLoadsAreMeasured() throws Exception {
        String topic = KopTestBroker.uniqueTopic("metrics-traffic");
        String group = "metrics-traffic-" + topic;
        int records = 50;
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        long bytesIn = 0;
        try (var producer = broker.producer(Map.of("batch.size", "1"))) {
            for (int i = 0; i < records; i++) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, new byte[100])).get();
            }
        }
        String before = scrape();
        Map<String, String> labels = Map.of("namespace", "public/default", "topic", topic);
        assertEquals(records, sum(before, "kop_topic_records_in_total", labels));
        bytesIn = sum(before, "kop_topic_bytes_in_total", labels);
        assertTrue(bytesIn >= records * 100L, "bytes in: " + bytesIn);
        assertEquals(0, sum(before, "kop_topic_records_out_total", labels));
        // Pulsar's own per-topic metrics count the Kafka producer too
        String partition = "persistent://public/default/" + topic + "-partition-0";
        long deadline = System.currentTimeMillis() + 30_000;
        String text;
        do { // Pulsar's topic metrics are refreshed every statsUpdateFrequencyInSecs
            text = scrape();
        } while (sum(text, "pulsar_in_messages_total", Map.of("topic", partition)) < records
                && System.currentTimeMillis() < deadline && sleep());
        assertEquals(records, sum(text, "pulsar_in_messages_total", Map.of("topic", partition)));

        try (var consumer = broker.consumer(Map.of(org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG,
                group, org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"))) {
            consumer.subscribe(List.of(topic));
            int seen = 0;
            deadline = System.currentTimeMillis() + 30_000;
            while (seen < records && System.currentTimeMillis() < deadline) {
                seen += consumer.poll(java.time.Duration.ofMillis(200)).count();
            }
            assertEquals(records, seen);
            consumer.commitSync();
            Map<String, String> stable = Map.of("group", group, "state", "Stable");
            deadline = System.currentTimeMillis() + 30_000; // the mirror's round
            do {
                consumer.poll(java.time.Duration.ofMillis(100));
                text = scrape();
            } while (sum(text, "kop_consumer_group_members", stable) < 1 && System.currentTimeMillis() < deadline);
            assertEquals(1, sum(text, "kop_consumer_group_members", stable));
        }
        assertEquals(records, sum(text, "kop_topic_records_out_total", labels));
        assertEquals(bytesIn, sum(text, "kop_topic_bytes_out_total", labels), "fetched the batches produced");
        Map<String, String> append = Map.of("operation", "append");
        assertTrue(sum(text, "kop_storage_latency_seconds_count", append)
                - sum(before, "kop_storage_latency_seconds_count", append) >= 0);
        assertTrue(sum(before, "kop_storage_latency_seconds_count", append) >= records);
        assertTrue(sum(text, "kop_storage_latency_seconds_count", Map.of("operation", "read")) >= 1);
        assertTrue(text.contains("kop_purgatory_size{cluster=\"standalone\",operation=\"fetch\"}"), "fetch purgatory");
        assertTrue(text.contains("kop_purgatory_size{cluster=\"standalone\",operation=\"produce\"}"), "produce purgatory");
        assertTrue(sum(text, "kop_coordinator_load_seconds_count", Map.of("coordinator", "group")) >= 1,
                "the offsets topic's partitions were loaded");
    }

    private static boolean sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }
}
