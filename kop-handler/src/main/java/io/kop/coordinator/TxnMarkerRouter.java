package io.kop.coordinator;

import io.kop.storage.PartitionLogManager;
import io.kop.topic.BrokerLookup;
import io.kop.topic.BrokerLookup.KafkaNode;
import io.kop.topic.TopicResolver;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.TransactionResult;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.kafka.common.requests.WriteTxnMarkersResponse;
import org.apache.pulsar.common.naming.TopicName;

/**
 * Takes each transaction marker of a tenant's coordinator to the broker that owns its partition: a
 * data partition's log here, this tenant's group coordinator for a {@code __consumer_offsets}
 * partition, or another broker through {@link RemoteMarkers} (WriteTxnMarkers, as Kafka's brokers send
 * them to each other). Topic names are the tenant coordinator's Kafka names.
 */
public final class TxnMarkerRouter implements TransactionService.MarkerWriter {

    /** Sends one marker to another broker as a WriteTxnMarkers request. */
    @FunctionalInterface
    public interface RemoteMarkers {
        CompletableFuture<Void> send(KafkaNode node, TopicPartition partition, long producerId, short producerEpoch,
                                     boolean commit, int coordinatorEpoch, int transactionVersion);
    }

    /** Markers to other brokers through {@code channel}; the partition's error fails the send. */
    public static RemoteMarkers over(BrokerChannel channel) {
        return (node, tp, producerId, epoch, commit, coordinatorEpoch, transactionVersion) -> channel.send(node,
                new WriteTxnMarkersRequest.Builder(List.of(new WriteTxnMarkersRequest.TxnMarkerEntry(producerId, epoch,
                        coordinatorEpoch, commit ? TransactionResult.COMMIT : TransactionResult.ABORT, List.of(tp),
                        (short) transactionVersion)))).thenApply(response -> {
                            Errors error = ((WriteTxnMarkersResponse) response).errorsByProducerId()
                                    .getOrDefault(producerId, Map.of()).getOrDefault(tp, Errors.UNKNOWN_SERVER_ERROR);
                            if (error != Errors.NONE) {
                                throw error.exception();
                            }
                            return null;
                        });
    }

    private final TopicResolver topics;
    private final CoordinatorTopic offsetsTopic;
    private final Supplier<GroupService> groups;
    private final PartitionLogManager logs;
    private final BrokerLookup brokers;
    private final String listenerName;
    private final RemoteMarkers remote;

    public TxnMarkerRouter(TopicResolver topics, CoordinatorTopic offsetsTopic, Supplier<GroupService> groups,
                           PartitionLogManager logs, BrokerLookup brokers, String listenerName, RemoteMarkers remote) {
        this.topics = topics;
        this.offsetsTopic = offsetsTopic;
        this.groups = groups;
        this.logs = logs;
        this.brokers = brokers;
        this.listenerName = listenerName;
        this.remote = remote;
    }

    @Override
    public CompletableFuture<Void> write(TopicPartition tp, long producerId, short producerEpoch, boolean commit,
                                        int coordinatorEpoch, int transactionVersion) {
        boolean offsets = tp.topic().equals(CoordinatorTopic.OFFSETS);
        CompletableFuture<TopicName> partition = offsets
                ? CompletableFuture.completedFuture(offsetsTopic.partition(tp.partition()))
                : topics.partition(tp.topic(), tp.partition());
        return partition.thenCompose(name -> brokers.leader(name, listenerName).thenCompose(node -> {
            if (node.id() != brokers.self(listenerName).id()) {
                // A data topic by its full Pulsar name: the receiving broker's view of short names may differ.
                TopicPartition named = offsets ? tp
                        : new TopicPartition(topics.pulsarName(tp.topic()).toString(), tp.partition());
                return remote.send(node, named, producerId, producerEpoch, commit, coordinatorEpoch,
                        transactionVersion);
            }
            if (offsets) {
                return groups.get().completeTransaction(tp.partition(), producerId, producerEpoch, coordinatorEpoch,
                        commit, transactionVersion);
            }
            return logs.get(name).thenCompose(log -> log.appendMarker(producerId, producerEpoch, commit,
                    coordinatorEpoch)).thenApply(offset -> null);
        }));
    }
}
