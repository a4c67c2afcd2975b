package io.kop.coordinator;

import io.kop.topic.BrokerLookup.KafkaNode;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.ApiVersions;
import org.apache.kafka.clients.BootstrapConfiguration;
import org.apache.kafka.clients.ClientRequest;
import org.apache.kafka.clients.ClientResponse;
import org.apache.kafka.clients.ClientUtils;
import org.apache.kafka.clients.ManualMetadataUpdater;
import org.apache.kafka.clients.MetadataRecoveryStrategy;
import org.apache.kafka.clients.NetworkClient;
import org.apache.kafka.clients.NetworkClientUtils;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.network.Selector;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.LogContext;

/**
 * Requests from this broker to another KoP broker, as Kafka's brokers send them to each other
 * (WriteTxnMarkers from a transaction coordinator, AddPartitionsToTxn from a partition's owner), over
 * Kafka's own network client with the broker's Kafka client settings
 * ({@link io.kop.security.BrokerKafkaClient}), one request at a time on a thread of its own.
 */
public final class BrokerChannel implements AutoCloseable {
    private static final long CONNECT_TIMEOUT_MS = 10_000;

    private final Time time = Time.SYSTEM;
    private final NetworkClient client;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(
            new DefaultThreadFactory("kop-broker-channel", true));

    public BrokerChannel(Properties settings) {
        AdminClientConfig config = new AdminClientConfig(settings);
        LogContext logContext = new LogContext("[kop-broker-channel] ");
        Selector selector = new Selector(config.getLong(AdminClientConfig.CONNECTIONS_MAX_IDLE_MS_CONFIG), new Metrics(),
                time, "kop-broker-channel", ClientUtils.createChannelBuilder(config, time, logContext), logContext);
        this.client = new NetworkClient(selector, new ManualMetadataUpdater(), "kop-broker-channel", 1, 50, 1000,
                -1, -1, 30_000, CONNECT_TIMEOUT_MS, 30_000, time, true, new ApiVersions(), logContext,
                MetadataRecoveryStrategy.NONE, BootstrapConfiguration.DISABLED, false);
    }

    /** Sends one request to {@code node}; fails with a NetworkException when it cannot be delivered. */
    public CompletableFuture<AbstractResponse> send(KafkaNode node, AbstractRequest.Builder<?> request) {
        CompletableFuture<AbstractResponse> done = new CompletableFuture<>();
        thread.execute(() -> {
            try {
                done.complete(sendNow(new Node(node.id(), node.host(), node.port()), request));
            } catch (IOException e) {
                done.completeExceptionally(new NetworkException("request to broker " + node.id() + " failed: "
                        + e.getMessage(), e));
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    private AbstractResponse sendNow(Node node, AbstractRequest.Builder<?> builder) throws IOException {
        if (!NetworkClientUtils.awaitReady(client, node, time, CONNECT_TIMEOUT_MS)) {
            throw new IOException("no connection to " + node);
        }
        ClientRequest request = client.newClientRequest(node.idString(), builder, time.milliseconds(), true);
        ClientResponse response = NetworkClientUtils.sendAndReceive(client, request, time);
        if (response.versionMismatch() != null) {
            throw response.versionMismatch();
        }
        return response.responseBody();
    }

    @Override
    public void close() {
        thread.shutdownNow();
        client.close();
    }
}
