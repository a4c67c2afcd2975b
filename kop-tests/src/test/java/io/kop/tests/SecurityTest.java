package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.SaslAuthenticateRequest;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeRequest;
import org.apache.kafka.common.requests.SaslHandshakeResponse;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.common.policies.data.AuthAction;
import org.apache.pulsar.common.policies.data.TenantInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * KoP on a broker with Pulsar's token authentication and authorization on ({@code ./kop standalone
 * --secure}): SASL PLAIN and OAUTHBEARER over SASL_PLAINTEXT and SASL_SSL, TLS, Pulsar's permissions
 * for every Kafka operation, tenants chosen by the SASL username and kept apart, sessions that end
 * with their token, and bad input that closes only its own connection.
 */
class SecurityTest {
    private static KopSecureBroker broker;

    @BeforeAll
    static void start() throws Exception {
        broker = KopSecureBroker.get();
        try (PulsarAdmin admin = broker.pulsarAdmin()) {
            for (String tenant : List.of("ta", "tb")) {
                if (!admin.tenants().getTenants().contains(tenant)) {
                    admin.tenants().createTenant(tenant, TenantInfo.builder()
                            .adminRoles(Set.of(tenant.equals("ta") ? "alice" : "bob"))
                            .allowedClusters(Set.of("standalone")).build());
                    admin.namespaces().createNamespace(tenant + "/ns");
                }
            }
            admin.namespaces().grantPermissionOnNamespace("ta/ns", "writer", Set.of(AuthAction.produce));
            admin.namespaces().grantPermissionOnNamespace("public/default", "oauth-user",
                    Set.of(AuthAction.produce, AuthAction.consume));
            admin.namespaces().grantPermissionOnNamespace("ta/ns", "reader", Set.of(AuthAction.consume));
            // only "other-reader" may use the subscription (Kafka group) "restricted"
            admin.namespaces().grantPermissionOnSubscription("ta/ns", "restricted", Set.of("other-reader"));
        }
    }

    private static Map<String, Object> strings(Properties base, Map<String, Object> extra) {
        Map<String, Object> p = KopSecureBroker.with(base, extra);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 20_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return p;
    }

    private static void produce(Properties client, String topic, List<String> values) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(strings(client, Map.of()))) {
            for (String v : values) {
                producer.send(new ProducerRecord<>(topic, v)).get(30, TimeUnit.SECONDS);
            }
        }
    }

    private static List<String> consume(Properties client, String topic, String group, int expected) {
        List<String> got = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(strings(client,
                Map.of(ConsumerConfig.GROUP_ID_CONFIG, group)))) {
            consumer.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 60_000;
            while (got.size() < expected && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    got.add(r.value());
                }
            }
            consumer.commitSync();
        }
        return got;
    }

    private static Throwable rootOf(Throwable t) {
        while (t instanceof ExecutionException || t instanceof org.apache.kafka.common.KafkaException
                && t.getCause() != null && !(t instanceof org.apache.kafka.common.errors.ApiException)) {
            t = t.getCause();
        }
        return t;
    }

    @Test
    void plainWithATokenOverSaslSslAndSaslPlaintext() throws Exception {
        String topic = KopTestBroker.uniqueTopic("sasl");
        Properties ssl = broker.plain(true, "public/default", broker.adminToken());
        Properties plain = broker.plain(false, "public", broker.adminToken());
        try (Admin admin = Admin.create(ssl)) {
            admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        List<String> values = List.of("a", "b", "c", "d");
        produce(ssl, topic, values);
        assertEquals(Set.copyOf(values), Set.copyOf(consume(plain, topic, "g-" + topic, 4)));
    }

    @Test
    void oauthBearerWithATokenIsCheckedByPulsar() throws Exception {
        String topic = KopTestBroker.uniqueTopic("oauth");
        Properties p = broker.plain(true, "unused", "unused");
        p.put(SaslConfigs.SASL_MECHANISM, "OAUTHBEARER");
        p.put(SaslConfigs.SASL_LOGIN_CALLBACK_HANDLER_CLASS, StaticTokenLogin.class.getName());
        p.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
                + "required token=\"" + broker.token("oauth-user", Duration.ofHours(1)) + "\" principal=\"u\";");
        // OAUTHBEARER has no username: short names and groups are in public/default, where
        // oauth-user may produce and consume (auto-creation makes the topic)
        produce(p, topic, List.of("x"));
        assertEquals(List.of("x"), consume(p, topic, "g-" + topic, 1));
        p.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule "
                + "required token=\"not-a-token\" principal=\"alice\";");
        try (Admin admin = Admin.create(p)) {
            Throwable t = assertThrows(ExecutionException.class,
                    () -> admin.listTopics().names().get(30, TimeUnit.SECONDS));
            assertInstanceOf(SaslAuthenticationException.class, rootOf(t), t.toString());
        }
    }

    @Test
    void wrongCredentialsAndUnknownMechanismsAreRefused() throws Exception {
        String metrics = "http://127.0.0.1:" + broker.httpPort;
        String failures = "kop_sasl_authentication_failures_total";
        String before = MetricsTest.scrape(metrics);
        try (Admin admin = Admin.create(broker.plain(false, "public", "not-a-jwt"))) {
            Throwable t = assertThrows(ExecutionException.class,
                    () -> admin.listTopics().names().get(30, TimeUnit.SECONDS));
            assertInstanceOf(SaslAuthenticationException.class, rootOf(t), t.toString());
        }
        // a token signed by someone else
        String forged = broker.token("admin", null);
        forged = forged.substring(0, forged.lastIndexOf('.') + 1) + "AAAA" + forged.substring(forged.lastIndexOf('.') + 5);
        try (Admin admin = Admin.create(broker.plain(true, "public", forged))) {
            Throwable t = assertThrows(ExecutionException.class,
                    () -> admin.listTopics().names().get(30, TimeUnit.SECONDS));
            assertInstanceOf(SaslAuthenticationException.class, rootOf(t), t.toString());
        }
        // a mechanism the broker does not offer: the handshake lists the ones it does, then it closes
        try (RawKafkaClient raw = new RawKafkaClient(broker.saslPlaintextPort)) {
            SaslHandshakeResponse hs = raw.send(new SaslHandshakeRequest.Builder(
                    new SaslHandshakeRequestData().setMechanism("GSSAPI")).build((short) 1));
            assertEquals(Errors.UNSUPPORTED_SASL_MECHANISM, hs.error());
            assertTrue(hs.data().mechanisms().containsAll(List.of("PLAIN", "OAUTHBEARER", "SCRAM-SHA-256")));
            assertTrue(raw.closedByBroker(10_000));
        }
        String after = MetricsTest.scrape(metrics);
        assertEquals(1, MetricsTest.sum(after, failures, Map.of("mechanism", "GSSAPI"))
                - MetricsTest.sum(before, failures, Map.of("mechanism", "GSSAPI")));
        assertTrue(MetricsTest.sum(after, failures, Map.of("mechanism", "PLAIN"))
                - MetricsTest.sum(before, failures, Map.of("mechanism", "PLAIN")) >= 2, "the refused PLAIN logins");
        // the broker goes on serving everyone else
        try (Admin admin = Admin.create(broker.plain(true, "public", broker.adminToken()))) {
            admin.listTopics().names().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void everyOperationNeedsItsPulsarPermission() throws Exception {
        String topic = KopTestBroker.uniqueTopic("perm");
        Properties alice = broker.plain(false, "ta/ns", broker.token("alice", null)); // tenant admin
        Properties writer = broker.plain(false, "ta/ns", broker.token("writer", null));
        Properties reader = broker.plain(true, "ta/ns", broker.token("reader", null));
        Properties nobody = broker.plain(false, "ta/ns", broker.token("mallory", null));
        try (Admin admin = Admin.create(alice)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        produce(writer, topic, List.of("w1", "w2"));
        assertEquals(List.of("w1", "w2"), consume(reader, topic, "readers", 2));

        Throwable t = assertThrows(ExecutionException.class, () -> produce(reader, topic, List.of("no")));
        assertInstanceOf(TopicAuthorizationException.class, rootOf(t), t.toString());
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(strings(writer, Map.of()))) {
            c.assign(List.of(new org.apache.kafka.common.TopicPartition(topic, 0)));
            assertThrows(TopicAuthorizationException.class, () -> {
                for (int i = 0; i < 40; i++) {
                    c.poll(Duration.ofMillis(500));
                }
            });
        }
        // a group is a subscription: Pulsar's subscription permissions apply
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(strings(reader,
                Map.of(ConsumerConfig.GROUP_ID_CONFIG, "restricted")))) {
            c.subscribe(List.of(topic));
            assertThrows(GroupAuthorizationException.class, () -> {
                for (int i = 0; i < 40; i++) {
                    c.poll(Duration.ofMillis(500));
                }
            });
        }
        // KIP-848 consumers: every subscribed topic needs describe, or the heartbeat is refused
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(strings(reader, Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, "kip848-" + topic, ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer")))) {
            c.subscribe(List.of("tb/ns/" + topic));
            assertThrows(TopicAuthorizationException.class, () -> {
                for (int i = 0; i < 40; i++) {
                    c.poll(Duration.ofMillis(500));
                }
            });
        }
        // deleting a group's offsets needs the group's delete and the topic's read
        try (Admin admin = Admin.create(reader)) {
            admin.deleteConsumerGroupOffsets("readers", Set.of(new org.apache.kafka.common.TopicPartition(topic, 0)))
                    .all().get(30, TimeUnit.SECONDS);
        }
        try (Admin admin = Admin.create(writer)) {
            Throwable t2 = assertThrows(ExecutionException.class, () -> admin.deleteConsumerGroupOffsets("readers",
                    Set.of(new org.apache.kafka.common.TopicPartition(topic, 0))).all().get(30, TimeUnit.SECONDS));
            assertInstanceOf(GroupAuthorizationException.class, rootOf(t2), t2.toString());
        }
        try (Admin admin = Admin.create(writer)) {
            Throwable create = assertThrows(ExecutionException.class, () -> admin.createTopics(
                    List.of(new NewTopic(topic + "-new", 1, (short) 1))).all().get(30, TimeUnit.SECONDS));
            assertInstanceOf(TopicAuthorizationException.class, rootOf(create), create.toString());
            Throwable delete = assertThrows(ExecutionException.class,
                    () -> admin.deleteTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS));
            assertInstanceOf(TopicAuthorizationException.class, rootOf(delete), delete.toString());
        }
        try (Admin admin = Admin.create(nobody)) {
            assertTrue(admin.listTopics().names().get(30, TimeUnit.SECONDS).isEmpty(), "nobody sees no topic");
            Throwable describe = assertThrows(ExecutionException.class,
                    () -> admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS));
            assertInstanceOf(TopicAuthorizationException.class, rootOf(describe), describe.toString());
        }
        try (Admin admin = Admin.create(alice)) {
            assertTrue(admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic));
        }
        // a group's offsets of topics the asker may not describe are left out of what it reads
        try (PulsarAdmin pulsar = broker.pulsarAdmin()) {
            if (!pulsar.namespaces().getNamespaces("ta").contains("ta/hidden")) {
                pulsar.namespaces().createNamespace("ta/hidden");
            }
        }
        String hidden = "ta/hidden/" + topic;
        String group = "both-" + topic;
        try (Admin admin = Admin.create(alice)) {
            admin.createTopics(List.of(new NewTopic(hidden, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            admin.alterConsumerGroupOffsets(group, Map.of(
                    new org.apache.kafka.common.TopicPartition(topic, 0), new OffsetAndMetadata(1),
                    new org.apache.kafka.common.TopicPartition(hidden, 0), new OffsetAndMetadata(0)))
                    .all().get(30, TimeUnit.SECONDS);
            assertEquals(2, admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS).size(), "alice reads both");
        }
        try (Admin admin = Admin.create(reader)) {
            assertEquals(Set.of(new org.apache.kafka.common.TopicPartition(topic, 0)), admin.listConsumerGroupOffsets(
                    group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).keySet());
        }
    }

    @Test
    void theUsernamePicksTheTenantAndTenantsAreApart() throws Exception {
        String topic = KopTestBroker.uniqueTopic("orders");
        Properties alice = broker.plain(true, "ta/ns", broker.token("alice", null));
        Properties bob = broker.plain(false, "tb/ns", broker.token("bob", null));
        for (Properties who : List.of(alice, bob)) {
            try (Admin admin = Admin.create(who)) {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
        }
        produce(alice, topic, List.of("alice-1"));
        produce(bob, topic, List.of("bob-1", "bob-2"));
        // kafkaEnableMultiTenantMetadata (on by default): each tenant has its own group coordinator and
        // offsets topic, so the same group id in two tenants is two groups, and no tenant sees another's.
        String sharedId = "g-" + topic;
        String aliceOnly = "g-alice-" + topic;
        assertEquals(List.of("alice-1"), consume(alice, topic, sharedId, 1));
        assertEquals(List.of("alice-1"), consume(alice, topic, aliceOnly, 1));
        assertEquals(List.of("bob-1", "bob-2"), consume(bob, topic, sharedId, 2));
        try (Admin admin = Admin.create(bob)) {
            Set<String> groups = new java.util.HashSet<>();
            admin.listGroups().all().get(30, TimeUnit.SECONDS).forEach(g -> groups.add(g.groupId()));
            assertTrue(groups.contains(sharedId), groups.toString());
            assertTrue(!groups.contains(aliceOnly), "bob sees alice's group: " + groups);
            assertEquals(2L, admin.listConsumerGroupOffsets(sharedId).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS).get(new org.apache.kafka.common.TopicPartition(topic, 0)).offset());
            try {
                var described = admin.describeConsumerGroups(List.of(aliceOnly)).all().get(30, TimeUnit.SECONDS)
                        .get(aliceOnly);
                assertEquals(org.apache.kafka.common.GroupState.DEAD, described.groupState(), described.toString());
            } catch (ExecutionException e) {
                assertInstanceOf(org.apache.kafka.common.errors.GroupIdNotFoundException.class, rootOf(e),
                        e.toString());
            }
        }
        try (Admin admin = Admin.create(alice)) {
            assertEquals(1L, admin.listConsumerGroupOffsets(sharedId).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS).get(new org.apache.kafka.common.TopicPartition(topic, 0)).offset(),
                    "bob's group of the same id left alice's offsets alone");
        }
        try (PulsarAdmin pulsar = broker.pulsarAdmin()) {
            for (String tenant : List.of("ta", "tb")) {
                assertTrue(pulsar.topics().getPartitionedTopicList(tenant + "/__kafka")
                        .contains("persistent://" + tenant + "/__kafka/__consumer_offsets"), tenant);
            }
        }
        try (PulsarAdmin pulsar = broker.pulsarAdmin()) {
            assertTrue(pulsar.topics().getPartitionedTopicList("ta/ns").contains("persistent://ta/ns/" + topic));
            assertTrue(pulsar.topics().getPartitionedTopicList("tb/ns").contains("persistent://tb/ns/" + topic));
        }
        try (Admin admin = Admin.create(alice)) {
            Set<String> seen = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            assertTrue(seen.contains(topic), seen.toString());
            assertTrue(seen.stream().noneMatch(n -> n.startsWith("tb/")), seen.toString());
            Throwable t = assertThrows(ExecutionException.class, () -> admin.describeTopics(
                    List.of("tb/ns/" + topic)).allTopicNames().get(30, TimeUnit.SECONDS));
            assertInstanceOf(TopicAuthorizationException.class, rootOf(t), t.toString());
        }
        Throwable t = assertThrows(ExecutionException.class, () -> produce(alice, "tb/ns/" + topic, List.of("x")));
        assertInstanceOf(TopicAuthorizationException.class, rootOf(t), t.toString());
    }

    /** KIP-368: the session lasts as long as the token; after that the next request closes the connection. */
    @Test
    void anExpiredTokenEndsTheSession() throws Exception {
        String token = broker.token("admin", Duration.ofSeconds(4));
        try (RawKafkaClient raw = new RawKafkaClient(broker.saslPlaintextPort)) {
            SaslHandshakeResponse hs = raw.send(new SaslHandshakeRequest.Builder(
                    new SaslHandshakeRequestData().setMechanism("PLAIN")).build((short) 1));
            assertEquals(Errors.NONE, hs.error());
            SaslAuthenticateResponse auth = raw.send(new SaslAuthenticateRequest.Builder(
                    new SaslAuthenticateRequestData().setAuthBytes(("\0public/default\0token:" + token)
                            .getBytes(StandardCharsets.UTF_8))).build((short) 2));
            assertEquals(Errors.NONE, auth.error(), auth.errorMessage());
            long lifetime = auth.data().sessionLifetimeMs();
            assertTrue(lifetime > 0 && lifetime <= 4_000, "session lifetime " + lifetime);
            MetadataResponse md = raw.send(new MetadataRequest.Builder(List.of(), false).build((short) 12));
            assertTrue(md.brokers().size() > 0);
            Thread.sleep(lifetime + 500);
            assertThrows(java.io.IOException.class,
                    () -> raw.send(new MetadataRequest.Builder(List.of(), false).build((short) 12)));
        }
        // re-authentication with an expired token is refused
        try (Admin admin = Admin.create(broker.plain(false, "public", token))) {
            Throwable t = assertThrows(ExecutionException.class,
                    () -> admin.listTopics().names().get(30, TimeUnit.SECONDS));
            assertInstanceOf(SaslAuthenticationException.class, rootOf(t), t.toString());
        }
    }

    /** KIP-368 re-authentication on one connection: the same role again is fine, another role is refused. */
    @Test
    void reauthenticationKeepsTheRole() throws Exception {
        try (RawKafkaClient raw = new RawKafkaClient(broker.saslPlaintextPort)) {
            assertEquals(Errors.NONE, authenticate(raw, broker.token("admin", Duration.ofSeconds(30))).error());
            SaslAuthenticateResponse again = authenticate(raw, broker.token("admin", Duration.ofHours(1)));
            assertEquals(Errors.NONE, again.error(), again.errorMessage());
            assertTrue(again.data().sessionLifetimeMs() > 60_000, "the new token's lifetime");
            MetadataResponse md = raw.send(new MetadataRequest.Builder(List.of(), false).build((short) 12));
            assertTrue(md.brokers().size() > 0);
            SaslAuthenticateResponse other = authenticate(raw, broker.token("alice", null));
            assertEquals(Errors.SASL_AUTHENTICATION_FAILED, other.error());
            assertTrue(other.errorMessage().contains("role"), other.errorMessage());
            assertTrue(raw.closedByBroker(10_000));
        }
    }

    private static SaslAuthenticateResponse authenticate(RawKafkaClient raw, String token) throws Exception {
        SaslHandshakeResponse hs = raw.send(new SaslHandshakeRequest.Builder(
                new SaslHandshakeRequestData().setMechanism("PLAIN")).build((short) 1));
        assertEquals(Errors.NONE, hs.error());
        return raw.send(new SaslAuthenticateRequest.Builder(new SaslAuthenticateRequestData().setAuthBytes(
                ("\0public/default\0token:" + token).getBytes(StandardCharsets.UTF_8))).build((short) 2));
    }

    @Test
    void badInputClosesOnlyItsOwnConnection() throws Exception {
        // a request before authenticating
        try (RawKafkaClient raw = new RawKafkaClient(broker.saslPlaintextPort)) {
            raw.sendRaw(frame(new MetadataRequest.Builder(List.of(), false).build((short) 12)));
            assertTrue(raw.closedByBroker(10_000));
        }
        // SaslAuthenticate without a handshake
        try (RawKafkaClient raw = new RawKafkaClient(broker.saslPlaintextPort)) {
            SaslAuthenticateResponse r = raw.send(new SaslAuthenticateRequest.Builder(
                    new SaslAuthenticateRequestData().setAuthBytes(new byte[] {0, 1})).build((short) 2));
            assertEquals(Errors.ILLEGAL_SASL_STATE, r.error());
            assertTrue(raw.closedByBroker(10_000));
        }
        // a malformed PLAIN message
        try (RawKafkaClient raw = new RawKafkaClient(broker.saslPlaintextPort)) {
            raw.send(new SaslHandshakeRequest.Builder(new SaslHandshakeRequestData().setMechanism("PLAIN"))
                    .build((short) 1));
            SaslAuthenticateResponse r = raw.send(new SaslAuthenticateRequest.Builder(
                    new SaslAuthenticateRequestData().setAuthBytes(new byte[] {1, 2, 3})).build((short) 2));
            assertEquals(Errors.SASL_AUTHENTICATION_FAILED, r.error());
            assertTrue(raw.closedByBroker(10_000));
        }
        // an oversized SASL frame
        try (RawKafkaClient raw = new RawKafkaClient(broker.saslPlaintextPort)) {
            raw.sendRaw(ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array());
            assertTrue(raw.closedByBroker(10_000));
        }
        // plaintext Kafka to a TLS port, and TLS garbage
        for (int port : List.of(broker.saslSslPort, broker.sslPort)) {
            try (RawKafkaClient raw = new RawKafkaClient(port)) {
                raw.sendRaw(frame(new MetadataRequest.Builder(List.of(), false).build((short) 12)));
                assertTrue(raw.closedByBroker(10_000));
            }
            try (RawKafkaClient raw = new RawKafkaClient(port)) {
                raw.sendRaw(new byte[] {22, 3, 3, 0, 5, 1, 2, 3, 4, 5, 6, 7, 8, 9});
                assertTrue(raw.closedByBroker(10_000));
            }
        }
        try (Admin admin = Admin.create(broker.plain(true, "public", broker.adminToken()))) {
            admin.listTopics().names().get(30, TimeUnit.SECONDS);
        }
    }

    /** The SSL listener: TLS from the broker's PEM files; without a client certificate nobody is authorized. */
    @Test
    void sslListenerWithoutClientCertificateIsNobody() throws Exception {
        Properties p = broker.ssl();
        try (Admin admin = Admin.create(p)) {
            assertTrue(admin.listTopics().names().get(30, TimeUnit.SECONDS).isEmpty());
        }
        Throwable t = assertThrows(ExecutionException.class, () -> produce(p, "anything", List.of("x")));
        assertInstanceOf(TopicAuthorizationException.class, rootOf(t), t.toString());
        // the certificate is the one the standalone generated, for 127.0.0.1, signed by its CA
        assertTrue(servedCertificate(broker.sslPort) != null);
    }

    /** The certificate a TLS listener serves, checked against the standalone's CA and for 127.0.0.1. */
    private static java.security.cert.X509Certificate servedCertificate(int port) throws Exception {
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (var in = Files.newInputStream(broker.caFile())) {
            trust.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            javax.net.ssl.SSLParameters params = s.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS");
            s.setSSLParameters(params);
            s.startHandshake();
            return (java.security.cert.X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    /** A renewed certificate (new files on disk) is served without a restart; clients go on working. */
    @Test
    void aRenewedCertificateIsServedWithoutARestart() throws Exception {
        java.math.BigInteger before = servedCertificate(broker.saslSslPort).getSerialNumber();
        java.math.BigInteger renewed = broker.setup().renewBrokerCertificate();
        assertTrue(!renewed.equals(before));
        long deadline = System.currentTimeMillis() + 30_000;
        while (!servedCertificate(broker.saslSslPort).getSerialNumber().equals(renewed)) {
            assertTrue(System.currentTimeMillis() < deadline, "the renewed certificate is not served after 30 s");
            Thread.sleep(500);
        }
        assertEquals(renewed, servedCertificate(broker.sslPort).getSerialNumber());
        try (Admin admin = Admin.create(broker.plain(true, "public", broker.adminToken()))) {
            admin.listTopics().names().get(30, TimeUnit.SECONDS);
        }
    }

    /** mTLS: a client certificate's CN is the Pulsar role (Pulsar's tls provider), on the SSL listener. */
    @Test
    void clientCertificateIsTheRole() throws Exception {
        Properties p = broker.ssl();
        p.put("ssl.keystore.type", "PEM");
        p.put("ssl.keystore.location", broker.setup().clientCertificate("alice").toString());
        String topic = "ta/ns/" + KopTestBroker.uniqueTopic("mtls");
        try (Admin admin = Admin.create(p)) { // alice administers tenant ta
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        produce(p, topic, List.of("m1"));
        Throwable t = assertThrows(ExecutionException.class,
                () -> produce(p, "tb/ns/" + KopTestBroker.uniqueTopic("mtls"), List.of("x")));
        assertInstanceOf(TopicAuthorizationException.class, rootOf(t), t.toString());
    }

    @Test
    void kafkaJsOverSaslSsl() throws Exception {
        String topic = KopTestBroker.uniqueTopic("kafkajs-sasl");
        kafkaJs("127.0.0.1:" + broker.saslSslPort, broker.caFile().toString(), "ta/ns",
                "token:" + broker.token("alice", null), topic, "plain");
        try (PulsarAdmin pulsar = broker.pulsarAdmin()) {
            assertTrue(pulsar.topics().getPartitionedTopicList("ta/ns").contains("persistent://ta/ns/" + topic));
        }
    }

    @Test
    void kafkaJsWithScramOverSaslPlaintext() throws Exception {
        String user = scramUser("kjs", "SCRAM-SHA-512", "js-s3cret");
        String topic = KopTestBroker.uniqueTopic("kafkajs-scram");
        try (PulsarAdmin pulsar = broker.pulsarAdmin()) { // the SCRAM role may produce and consume, not create
            pulsar.topics().createPartitionedTopic("persistent://public/default/" + topic, 1);
        }
        kafkaJs("127.0.0.1:" + broker.saslPlaintextPort, "-", user, "js-s3cret", topic, "scram-sha-512");
    }

    @Test
    void kafkaJsWithOauthBearerOverSaslSsl() throws Exception {
        String topic = KopTestBroker.uniqueTopic("kafkajs-oauth");
        try (PulsarAdmin pulsar = broker.pulsarAdmin()) { // oauth-user may produce and consume, not create
            pulsar.topics().createPartitionedTopic("persistent://public/default/" + topic, 1);
        }
        kafkaJs("127.0.0.1:" + broker.saslSslPort, broker.caFile().toString(), "",
                broker.token("oauth-user", Duration.ofHours(1)), topic, "oauthbearer");
    }

    /** Runs {@code kafkajs-sasl.mjs}: 3 records produced and read back in a group, a wrong password refused. */
    private static void kafkaJs(String bootstrap, String ca, String username, String password, String topic,
                                String mechanism) throws Exception {
        Path js = Path.of("src/test/js").toAbsolutePath();
        Process node = new ProcessBuilder("node", "kafkajs-sasl.mjs", bootstrap, ca, username, password, topic,
                mechanism).directory(js.toFile()).start();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(node.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(node.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, node.exitValue(), out + err);
        JsonNode result = new ObjectMapper().readTree(out.lines().reduce((a, b) -> b).orElseThrow());
        assertEquals(3, result.get("consumed").size(), out);
        String wrong = result.get("wrongPassword").asText();
        assertTrue(wrong.contains("SASL") || wrong.contains("Authentication"), out);
    }

    /** A new SCRAM user (role) with produce and consume in public/default, where its short names live. */
    private static String scramUser(String prefix, String mechanism, String password) throws Exception {
        String user = prefix + "-" + KopTestBroker.uniqueTopic("u").substring(2, 10);
        try (PulsarAdmin pulsar = broker.pulsarAdmin()) {
            pulsar.namespaces().grantPermissionOnNamespace("public/default", user,
                    Set.of(AuthAction.produce, AuthAction.consume));
        }
        try (Admin a = Admin.create(broker.plain(true, "public", broker.adminToken()))) {
            a.alterUserScramCredentials(List.of(new org.apache.kafka.clients.admin.UserScramCredentialUpsertion(user,
                    new org.apache.kafka.clients.admin.ScramCredentialInfo(
                            org.apache.kafka.clients.admin.ScramMechanism.fromMechanismName(mechanism), 4096),
                    password))).all().get(30, TimeUnit.SECONDS);
        }
        return user;
    }

    /** SCRAM users managed with Kafka's own admin API and kafka-configs, kept in Pulsar's metadata store. */
    @Test
    void scramUsersAreManagedWithKafkaToolsAndAuthenticate() throws Exception {
        String user = "scram-" + KopTestBroker.uniqueTopic("u").substring(2, 10);
        try (PulsarAdmin pulsar = broker.pulsarAdmin()) {
            pulsar.namespaces().grantPermissionOnNamespace("public/default", user,
                    Set.of(AuthAction.produce, AuthAction.consume));
        }
        Properties admin = broker.plain(true, "public", broker.adminToken());
        try (Admin a = Admin.create(admin)) {
            a.alterUserScramCredentials(List.of(new org.apache.kafka.clients.admin.UserScramCredentialUpsertion(user,
                    new org.apache.kafka.clients.admin.ScramCredentialInfo(
                            org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_256, 8192), "s3cret")))
                    .all().get(30, TimeUnit.SECONDS);
            var described = a.describeUserScramCredentials(List.of(user)).all().get(30, TimeUnit.SECONDS);
            assertEquals(8192, described.get(user).credentialInfos().get(0).iterations());
        }
        // kafka-configs adds a SCRAM-SHA-512 credential for the same user
        Path config = Files.createTempFile("admin", ".properties");
        try (var w = Files.newBufferedWriter(config)) {
            admin.store(w, null);
        }
        KafkaCliToolsTest.Result cli = KafkaCliToolsTest.run(null, "org.apache.kafka.tools.ConfigCommand",
                "--bootstrap-server", "127.0.0.1:" + broker.saslSslPort, "--command-config", config.toString(),
                "--alter", "--add-config", "SCRAM-SHA-512=[iterations=4096,password=other]",
                "--entity-type", "users", "--entity-name", user);
        assertEquals(0, cli.exitCode(), cli.toString());
        KafkaCliToolsTest.Result describe = KafkaCliToolsTest.run(null, "org.apache.kafka.tools.ConfigCommand",
                "--bootstrap-server", "127.0.0.1:" + broker.saslSslPort, "--command-config", config.toString(),
                "--describe", "--entity-type", "users", "--entity-name", user);
        assertTrue(describe.out().contains("SCRAM-SHA-256=iterations=8192")
                && describe.out().contains("SCRAM-SHA-512=iterations=4096"), describe.toString());

        String topic = KopTestBroker.uniqueTopic("scram");
        Properties sha256 = scram(false, "SCRAM-SHA-256", user, "s3cret");
        Properties sha512 = scram(true, "SCRAM-SHA-512", user, "other");
        produce(sha256, topic, List.of("s1"));
        assertEquals(List.of("s1"), consume(sha512, topic, "g-" + topic, 1));
        try (Admin a = Admin.create(scram(false, "SCRAM-SHA-256", user, "wrong"))) {
            Throwable t = assertThrows(ExecutionException.class,
                    () -> a.listTopics().names().get(30, TimeUnit.SECONDS));
            assertInstanceOf(SaslAuthenticationException.class, rootOf(t), t.toString());
        }
        // only superusers manage credentials
        try (Admin a = Admin.create(sha256)) {
            Throwable t = assertThrows(ExecutionException.class, () -> a.describeUserScramCredentials()
                    .all().get(30, TimeUnit.SECONDS));
            assertInstanceOf(org.apache.kafka.common.errors.ClusterAuthorizationException.class, rootOf(t), t.toString());
        }
        try (Admin a = Admin.create(admin)) {
            a.alterUserScramCredentials(List.of(new org.apache.kafka.clients.admin.UserScramCredentialDeletion(user,
                    org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_256))).all().get(30, TimeUnit.SECONDS);
            Throwable t = assertThrows(ExecutionException.class, () -> a.alterUserScramCredentials(List.of(
                    new org.apache.kafka.clients.admin.UserScramCredentialDeletion(user,
                            org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_256))).all().get(30, TimeUnit.SECONDS));
            assertInstanceOf(org.apache.kafka.common.errors.ResourceNotFoundException.class, rootOf(t), t.toString());
        }
        try (Admin a = Admin.create(scram(false, "SCRAM-SHA-256", user, "s3cret"))) {
            Throwable t = assertThrows(ExecutionException.class,
                    () -> a.listTopics().names().get(30, TimeUnit.SECONDS));
            assertInstanceOf(SaslAuthenticationException.class, rootOf(t), "deleted credential: " + t);
        }
    }

    private Properties scram(boolean tls, String mechanism, String user, String password) {
        Properties p = broker.plain(tls, "unused", "unused");
        p.put(SaslConfigs.SASL_MECHANISM, mechanism);
        p.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"" + user + "\" password=\"" + password + "\";");
        return p;
    }

    /** librdkafka, as kcat (SASL_PLAINTEXT, the generated config file) and confluent-kafka (SASL_SSL). */
    @Test
    void librdkafkaClientsOverSaslAndSsl() throws Exception {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/kcat")),
                "kcat is not installed: ./kop test installs it (Debian package kcat)");
        String topic = KopTestBroker.uniqueTopic("kcat");
        String conf = broker.setup().dir().resolve("librdkafka-sasl-plaintext.conf").toString();
        Process produce = new ProcessBuilder("kcat", "-F", conf, "-P", "-t", topic).start();
        produce.getOutputStream().write("k1\nk2\nk3\n".getBytes(StandardCharsets.UTF_8));
        produce.getOutputStream().close();
        String produceErr = new String(produce.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(produce.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, produce.exitValue(), produceErr);
        Process consume = new ProcessBuilder("kcat", "-F", conf, "-C", "-t", topic, "-o", "beginning", "-e", "-q")
                .start();
        String consumed = new String(consume.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(consume.waitFor(60, TimeUnit.SECONDS));
        assertEquals(List.of("k1", "k2", "k3"), consumed.lines().toList());

        // kcat over SSL: the client certificate's CN is the role (alice administers tenant ta)
        Path sslConf = Files.createTempFile("librdkafka-ssl", ".conf");
        Path cert = broker.setup().clientCertificate("alice");
        Files.writeString(sslConf, String.join("\n", "bootstrap.servers=127.0.0.1:" + broker.sslPort,
                "security.protocol=ssl", "ssl.ca.location=" + broker.caFile(), "ssl.certificate.location=" + cert,
                "ssl.key.location=" + cert, "ssl.endpoint.identification.algorithm=none") + "\n");
        String sslTopic = "ta/ns/" + KopTestBroker.uniqueTopic("kcat-ssl");
        Process sslProduce = new ProcessBuilder("kcat", "-F", sslConf.toString(), "-P", "-t", sslTopic).start();
        sslProduce.getOutputStream().write("c1\nc2\n".getBytes(StandardCharsets.UTF_8));
        sslProduce.getOutputStream().close();
        String sslErr = new String(sslProduce.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(sslProduce.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, sslProduce.exitValue(), sslErr);
        Process sslConsume = new ProcessBuilder("kcat", "-F", sslConf.toString(), "-C", "-t", sslTopic,
                "-o", "beginning", "-e", "-q").start();
        String sslConsumed = new String(sslConsume.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(sslConsume.waitFor(60, TimeUnit.SECONDS));
        assertEquals(List.of("c1", "c2"), sslConsumed.lines().toList());

        Path python = Path.of("/usr/bin/python3");
        String pyTopic = KopTestBroker.uniqueTopic("confluent");
        Process py = new ProcessBuilder(python.toString(), "src/test/python/confluent_sasl.py",
                "127.0.0.1:" + broker.saslSslPort, broker.caFile().toString(), "public/default",
                broker.token("oauth-user", Duration.ofHours(1)), pyTopic).start();
        String out = new String(py.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(py.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(py.waitFor(180, TimeUnit.SECONDS));
        assertEquals(0, py.exitValue(), "confluent-kafka (Debian package python3-confluent-kafka, installed by "
                + "./kop test): " + out + err);
        JsonNode r = new ObjectMapper().readTree(out.lines().reduce((a, b) -> b).orElseThrow());
        assertEquals(0, r.get("plainProduceErrors").size(), out);
        assertEquals(0, r.get("oauthProduceErrors").size(), out);
        assertEquals(Set.of("p0", "p1", "o0"), Set.copyOf(strings(r.get("plainConsumed"))), out);
        assertEquals(Set.of("p0", "p1", "o0"), Set.copyOf(strings(r.get("oauthConsumed"))), out);
        assertTrue(r.get("wrongPassword").asText().contains("uthenticat"), out);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static byte[] frame(org.apache.kafka.common.requests.AbstractRequest request) {
        ByteBuffer body = request.serializeWithHeader(new org.apache.kafka.common.requests.RequestHeader(
                request.apiKey(), request.version(), "raw", 1));
        ByteBuffer out = ByteBuffer.allocate(4 + body.remaining()).putInt(body.remaining()).put(body);
        return out.array();
    }
}
