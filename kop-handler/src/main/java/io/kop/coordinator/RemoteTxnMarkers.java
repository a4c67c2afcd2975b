package io.kop.coordinator;

import io.kop.topic.BrokerLookup.KafkaNode;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.util.List;
import java.util.Map;
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
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.network.Selector;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.TransactionResult;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.LogContext;

/**
 * Sends transaction markers to other brokers as WriteTxnMarkers requests, over Kafka's own network
 * client with the broker's Kafka client settings ({@link io.kop.security.BrokerKafkaClient}), one
 * request at a time on a thread of its own.
 */
public final class RemoteTxnMarkers implements TxnMarkerRouter.RemoteMarkers, AutoCloseable {
    private static final long CONNECT_TIMEOUT_MS = 10_000;

    private final Time time = Time.SYSTEM;
    private final NetworkClient client;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(
            new DefaultThreadFactory("kop-txn-markers", true));

    public RemoteTxnMarkers(Properties settings) {
        AdminClientConfig config = new AdminClientConfig(settings);
        LogContext logContext = new LogContext("[kop-txn-markers] ");
        Selector selector = new Selector(config.getLong(AdminClientConfig.CONNECTIONS_MAX_IDLE_MS_CONFIG), new Metrics(),
                time, "kop-txn-markers", ClientUtils.createChannelBuilder(config, time, logContext), logContext);
        this.client = new NetworkClient(selector, new ManualMetadataUpdater(), "kop-txn-markers", 1, 50, 1000,
                -1, -1, 30_000, CONNECT_TIMEOUT_MS, 30_000, time, true, new ApiVersions(), logContext,
                MetadataRecoveryStrategy.NONE, BootstrapConfiguration.DISABLED, false);
    }

    @Override
    public CompletableFuture<Void> send(KafkaNode node, TopicPartition partition, long producerId, short producerEpoch,
                                        boolean commit, int coordinatorEpoch) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        thread.execute(() -> {
            try {
                Errors error = sendNow(new Node(node.id(), node.host(), node.port()), partition, producerId,
                        producerEpoch, commit, coordinatorEpoch);
                if (error == Errors.NONE) {
                    done.complete(null);
                } else {
                    done.completeExceptionally(error.exception());
                }
            } catch (IOException e) {
                done.completeExceptionally(new NetworkException("marker not sent to broker " + node.id() + ": "
                        + e.getMessage(), e));
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    private Errors sendNow(Node node, TopicPartition partition, long producerId, short producerEpoch, boolean commit,
                           int coordinatorEpoch) throws IOException {
        if (!NetworkClientUtils.awaitReady(client, node, time, CONNECT_TIMEOUT_MS)) {
            throw new IOException("no connection to " + node);
        }
        WriteTxnMarkersRequest.Builder builder = new WriteTxnMarkersRequest.Builder(List.of(
                new WriteTxnMarkersRequest.TxnMarkerEntry(producerId, producerEpoch, coordinatorEpoch,
                        commit ? TransactionResult.COMMIT : TransactionResult.ABORT, List.of(partition), (short) 0)));
        ClientRequest request = client.newClientRequest(node.idString(), builder, time.milliseconds(), true);
        ClientResponse response = NetworkClientUtils.sendAndReceive(client, request, time);
        if (response.versionMismatch() != null) {
            throw response.versionMismatch();
        }
        Map<TopicPartition, Errors> errors = ((WriteTxnMarkersResponse) response.responseBody()).errorsByProducerId()
                .getOrDefault(producerId, Map.of());
        return errors.getOrDefault(partition, Errors.UNKNOWN_SERVER_ERROR);
    }

    @Override
    public void close() {
        thread.shutdownNow();
        client.close();
    }
}
