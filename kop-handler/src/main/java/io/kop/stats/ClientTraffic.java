package io.kop.stats;

import io.kop.security.Principal;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.pulsar.broker.service.AbstractTopic;
import org.apache.pulsar.broker.service.BrokerService;
import org.apache.pulsar.broker.service.Consumer;
import org.apache.pulsar.broker.service.Producer;
import org.apache.pulsar.broker.service.Subscription;
import org.apache.pulsar.broker.service.Topic;
import org.apache.pulsar.common.api.proto.CommandSubscribe.SubType;
import org.apache.pulsar.common.api.proto.ProducerAccessMode;
import org.apache.pulsar.common.policies.data.stats.ConsumerStatsImpl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Kafka connection's traffic in Pulsar's topic statistics. The first produce to a partition
 * registers a publisher named {@code kafka-<client.id>-<n>} with the topic, and every produced batch
 * counts in its rate and in the topic's counters. Fetched records count for a consumer of the
 * fetching group's subscription (the one the group-subscription mirror keeps), named after the
 * client id; until the group is known and its subscription exists, they are held and counted then.
 * Fetches of a client that is in no group count nowhere in Pulsar's statistics (Pulsar has no
 * subscription for them). Everything is given back when the connection closes.
 */
public final class ClientTraffic implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ClientTraffic.class);
    private static final long RETRY_AFTER_REFUSAL_NANOS = 30_000_000_000L;
    private static final AtomicLong CONNECTIONS = new AtomicLong();

    private final BrokerService brokerService;
    private final ClientGroups groups;
    private final Channel channel;
    private final KafkaClientCnx cnx;
    private final long serial = CONNECTIONS.incrementAndGet();
    private final AtomicLong ids = new AtomicLong();
    private final Map<String, Producer> producers = new ConcurrentHashMap<>();
    private final Map<Producer, Long> refusedAt = new ConcurrentHashMap<>();
    private final Map<String, Outbound> consumers = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * Fetched records of one partition: a consumer once registered, and what is not counted yet. Its
     * lock is never held while calling into Pulsar, which calls back ({@link #forget}) under its own.
     */
    private static final class Outbound {
        volatile Consumer consumer;
        boolean adding;
        long refusedAt;
        long records;
        long bytes;
    }

    ClientTraffic(BrokerService brokerService, ClientGroups groups, Channel channel, Supplier<Principal> principal) {
        this.brokerService = brokerService;
        this.groups = groups;
        this.channel = channel;
        this.cnx = new KafkaClientCnx(channel, brokerService, principal, this::forget);
    }

    /** A produced batch was appended to {@code topic} (a Pulsar partition name). */
    public void produced(String clientId, String topic, int records, long bytes) {
        try {
            countProduced(clientId, topic, records, bytes);
        } catch (RuntimeException e) { // statistics never fail a request
            log.warn("[{}] produce by {} not counted in Pulsar's topic statistics", topic, clientId, e);
        }
    }

    private void countProduced(String clientId, String topic, int records, long bytes) {
        Optional<Topic> loaded = brokerService.getTopicReference(topic);
        if (closed || loaded.isEmpty() || !(loaded.get() instanceof AbstractTopic t)) {
            return;
        }
        Producer producer = producers.get(topic);
        if (producer == null || producer.getTopic() != t || retryDue(producer)) {
            producer = register(t, clientId);
        }
        producer.getStats().recordMsgIn(records, bytes);
        try {
            t.incrementPublishCount(producer, records, bytes);
        } catch (RuntimeException e) {
            // Only a publish-rate limit on the topic gets here: it cannot pause a Kafka connection.
            log.debug("[{}] publish count of {} not updated: {}", topic, clientId, e.toString());
        }
    }

    /** A publisher the topic refused (too many producers, say), whose registration may be tried again. */
    private boolean retryDue(Producer producer) {
        Long at = refusedAt.get(producer);
        return at != null && System.nanoTime() - at > RETRY_AFTER_REFUSAL_NANOS;
    }

    /** The connection's publisher on the topic's current incarnation, registered now unless another thread did. */
    private synchronized Producer register(AbstractTopic topic, String clientId) {
        Producer current = producers.get(topic.getName());
        if (current != null && current.getTopic() == topic && !retryDue(current)) {
            return current;
        }
        if (current != null) {
            refusedAt.remove(current);
        }
        String name = "kafka-" + clientId + "-" + serial + "-" + ids.incrementAndGet();
        Producer producer = new Producer(topic, cnx, ids.get(), name, cnx.getAuthRole(), false,
                Map.of("kafka.client.id", String.valueOf(clientId)), null, 0, true, ProducerAccessMode.Shared,
                Optional.empty(), false);
        producers.put(topic.getName(), producer);
        topic.addProducer(producer, new java.util.concurrent.CompletableFuture<>()).whenComplete((v, e) -> {
            if (e != null) {
                // Kept unregistered: the topic's counters still count its batches; registered again later.
                log.debug("[{}] Kafka client {} not shown as a publisher: {}", topic.getName(), clientId, e.toString());
                refusedAt.put(producer, System.nanoTime());
            } else if (closed) {
                producer.closeNow(true);
            }
        });
        return producer;
    }

    /**
     * {@code records} of {@code bytes} were fetched from {@code topic} (a Pulsar partition name), the
     * client's {@code kafkaTopic}-{@code partition}. Also called with none, to count what is held.
     */
    public void fetched(String clientId, String topic, String kafkaTopic, int partition, long records, long bytes) {
        try {
            countFetched(clientId, topic, kafkaTopic, partition, records, bytes);
        } catch (RuntimeException e) { // statistics never fail a request
            log.warn("[{}] fetch by {} not counted in Pulsar's topic statistics", topic, clientId, e);
        }
    }

    private void countFetched(String clientId, String topic, String kafkaTopic, int partition, long records,
                              long bytes) {
        Outbound out = consumers.get(topic);
        if (closed || out == null && records == 0) {
            return;
        }
        if (out == null) {
            out = consumers.computeIfAbsent(topic, k -> new Outbound());
        }
        Consumer ready;
        long n = 0;
        long b = 0;
        synchronized (out) {
            out.records += records;
            out.bytes += bytes;
            if (out.records == 0 || out.adding) {
                return;
            }
            ready = out.consumer;
            if (ready == null) {
                if (out.refusedAt != 0 && System.nanoTime() - out.refusedAt < RETRY_AFTER_REFUSAL_NANOS) {
                    return;
                }
                out.adding = true;
            } else {
                n = out.records;
                b = out.bytes;
                out.records = 0;
                out.bytes = 0;
            }
        }
        if (ready == null) {
            subscribe(out, clientId, topic, kafkaTopic, partition);
        } else {
            count(ready, n, b);
        }
    }

    private static void count(Consumer consumer, long records, long bytes) {
        ConsumerStatsImpl delta = new ConsumerStatsImpl();
        delta.msgOutCounter = records;
        delta.bytesOutCounter = bytes;
        delta.lastConsumedTimestamp = System.currentTimeMillis();
        delta.lastConsumedFlowTimestamp = delta.lastConsumedTimestamp;
        delta.avgMessagesPerEntry = 1;
        consumer.updateStats(delta);
    }

    /**
     * Adds a consumer to the group's subscription when both are known; {@code out} is marked as adding,
     * and its lock is not held.
     */
    private void subscribe(Outbound out, String clientId, String topic, String kafkaTopic, int partition) {
        Subscription sub = null;
        String group = null;
        if (channel.remoteAddress() instanceof InetSocketAddress address) {
            group = groups.groupOf(address.getAddress(), clientId, kafkaTopic, partition);
            Optional<Topic> loaded = brokerService.getTopicReference(topic);
            sub = group == null || loaded.isEmpty() ? null : loaded.get().getSubscription(group);
        }
        Consumer consumer = null;
        if (sub != null) {
            try {
                consumer = new Consumer(sub, SubType.Shared, topic, ids.incrementAndGet(), 0,
                        String.valueOf(clientId), true, cnx, cnx.getAuthRole(),
                        Map.of("kafka.client.id", String.valueOf(clientId)), false, null, null, 0);
            } catch (RuntimeException e) {
                log.debug("[{}] Kafka client {} not shown as a consumer of {}: {}", topic, clientId, group,
                        e.toString());
                synchronized (out) {
                    out.refusedAt = System.nanoTime();
                }
            }
        }
        if (consumer == null) {
            synchronized (out) {
                out.adding = false;
            }
            return;
        }
        Consumer added = consumer;
        String groupName = group;
        sub.addConsumer(added).whenComplete((v, e) -> {
            long n = 0;
            long b = 0;
            boolean stored = false;
            synchronized (out) {
                out.adding = false;
                if (e != null) {
                    out.refusedAt = System.nanoTime();
                } else if (!closed) {
                    out.consumer = added;
                    stored = true;
                    n = out.records;
                    b = out.bytes;
                    out.records = 0;
                    out.bytes = 0;
                }
            }
            if (e != null) {
                log.debug("[{}] Kafka client {} not shown as a consumer of {}: {}", topic, clientId, groupName,
                        e.toString());
            } else if (!stored) {
                closeQuietly(added);
            } else {
                count(added, n, b);
            }
        });
    }

    /** Pulsar closed a publisher or consumer of ours: the next request registers a new one. */
    private void forget(Object closedByPulsar) {
        if (closedByPulsar instanceof Producer p) {
            producers.values().remove(p);
            refusedAt.remove(p);
        } else {
            // Without the lock: Pulsar calls this holding its subscription's, which subscribe() takes
            // (through addConsumer) while a fetch may hold ours.
            for (Outbound out : consumers.values()) {
                if (out.consumer == closedByPulsar) {
                    out.consumer = null;
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        producers.values().forEach(p -> p.closeNow(true));
        producers.clear();
        for (Outbound out : consumers.values()) {
            Consumer c = out.consumer;
            out.consumer = null;
            if (c != null) {
                closeQuietly(c);
            }
        }
        consumers.clear();
    }

    private static void closeQuietly(Consumer consumer) {
        try {
            consumer.close();
        } catch (Exception e) {
            log.debug("closing {} failed: {}", consumer, e.toString());
        }
    }
}
