package io.kop.coordinator;

import io.kop.topic.BrokerLookup.KafkaNode;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.clients.ApiVersions;
import org.apache.kafka.clients.BootstrapConfiguration;
import org.apache.kafka.clients.ClientResponse;
import org.apache.kafka.clients.ClientUtils;
import org.apache.kafka.clients.ManualMetadataUpdater;
import org.apache.kafka.clients.MetadataRecoveryStrategy;
import org.apache.kafka.clients.NetworkClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.network.Selector;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.LogContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests from this broker to other KoP brokers, as Kafka's brokers send them to each other
 * (WriteTxnMarkers from a transaction coordinator, AddPartitionsToTxn from a partition's owner), over
 * Kafka's own network client with the broker's Kafka client settings
 * ({@link io.kop.security.BrokerKafkaClient}). One thread runs the client's event loop: requests to
 * different brokers, and several to one, are in flight together, and a broker that cannot be reached
 * fails its requests (NetworkException, which callers retry) without holding up the others.
 */
public final class BrokerChannel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerChannel.class);
    private static final long CONNECT_TIMEOUT_MS = 10_000;
    private static final int REQUEST_TIMEOUT_MS = 30_000;

    private record Pending(Node node, AbstractRequest.Builder<?> request, CompletableFuture<AbstractResponse> result,
                           long since) {
    }

    private final Time time = Time.SYSTEM;
    private final NetworkClient client;
    private final ConcurrentLinkedQueue<Pending> submitted = new ConcurrentLinkedQueue<>();
    private final List<Pending> connecting = new ArrayList<>();
    private final Thread loop;
    private volatile boolean closed;

    public BrokerChannel(Properties settings) {
        // Kafka finds SASL login modules and other plugins through the context class loader: the NAR's.
        Thread current = Thread.currentThread();
        ClassLoader previous = current.getContextClassLoader();
        current.setContextClassLoader(BrokerChannel.class.getClassLoader());
        try {
            this.client = newClient(settings);
        } finally {
            current.setContextClassLoader(previous);
        }
        this.loop = new DefaultThreadFactory("kop-broker-channel", true).newThread(this::run);
        loop.setContextClassLoader(BrokerChannel.class.getClassLoader());
        loop.start();
    }

    private NetworkClient newClient(Properties settings) {
        AdminClientConfig config = new AdminClientConfig(settings);
        LogContext logContext = new LogContext("[kop-broker-channel] ");
        Selector selector = new Selector(config.getLong(AdminClientConfig.CONNECTIONS_MAX_IDLE_MS_CONFIG), new Metrics(),
                time, "kop-broker-channel", ClientUtils.createChannelBuilder(config, time, logContext), logContext);
        return new NetworkClient(selector, new ManualMetadataUpdater(), "kop-broker-channel", 100, 50, 1000,
                -1, -1, REQUEST_TIMEOUT_MS, CONNECT_TIMEOUT_MS, 30_000, time, true, new ApiVersions(), logContext,
                MetadataRecoveryStrategy.NONE, BootstrapConfiguration.DISABLED, false);
    }

    /** Sends one request to {@code node}; fails with a NetworkException when it cannot be delivered. */
    public CompletableFuture<AbstractResponse> send(KafkaNode node, AbstractRequest.Builder<?> request) {
        CompletableFuture<AbstractResponse> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(new NetworkException("the broker is stopping"));
            return result;
        }
        submitted.add(new Pending(new Node(node.id(), node.host(), node.port()), request, result,
                time.milliseconds()));
        client.wakeup();
        return result;
    }

    private void run() {
        while (!closed) {
            try {
                long now = time.milliseconds();
                for (Pending p; (p = submitted.poll()) != null; ) {
                    connecting.add(p);
                }
                for (Iterator<Pending> it = connecting.iterator(); it.hasNext(); ) {
                    Pending p = it.next();
                    if (client.ready(p.node(), now)) {
                        it.remove();
                        client.send(client.newClientRequest(p.node().idString(), p.request(), now, true,
                                REQUEST_TIMEOUT_MS, response -> complete(p, response)), now);
                    } else if (client.connectionFailed(p.node()) || now - p.since() > CONNECT_TIMEOUT_MS) {
                        it.remove();
                        p.result().completeExceptionally(new NetworkException("no connection to broker "
                                + p.node().id() + " at " + p.node().host() + ":" + p.node().port()));
                    }
                }
                client.poll(connecting.isEmpty() ? 1000 : 20, now);
            } catch (RuntimeException e) {
                LOG.warn("broker channel loop: {}", e.toString());
            }
        }
        connecting.forEach(p -> p.result().completeExceptionally(new NetworkException("the broker is stopping")));
        submitted.forEach(p -> p.result().completeExceptionally(new NetworkException("the broker is stopping")));
        client.close();
    }

    private static void complete(Pending p, ClientResponse response) {
        if (response.versionMismatch() != null) {
            p.result().completeExceptionally(response.versionMismatch());
        } else if (response.authenticationException() != null) {
            p.result().completeExceptionally(response.authenticationException());
        } else if (response.wasDisconnected() || !response.hasResponse()) {
            p.result().completeExceptionally(new NetworkException("broker " + p.node().id() + " disconnected"
                    + (response.wasTimedOut() ? " (request timed out)" : "")));
        } else {
            p.result().complete(response.responseBody());
        }
    }

    @Override
    public void close() {
        closed = true;
        client.wakeup();
    }
}
