package io.kop.coordinator;

import io.kop.topic.BrokerLookup;
import io.kop.topic.KafkaTopicNames;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransaction;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AddPartitionsToTxnRequest;
import org.apache.kafka.common.requests.AddPartitionsToTxnResponse;

/**
 * Transactions v2 (KIP-890): the client no longer adds partitions to its transaction; the owner of a
 * partition does, when a transaction's first batch (or, for {@code __consumer_offsets}, its first
 * TxnOffsetCommit) arrives. This asks the tenant's transaction coordinator, here or on another broker
 * (AddPartitionsToTxn v5 in the brokers' batched form), and answers its error.
 */
public final class TxnPartitionAdder {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TxnPartitionAdder.class);
    private final CoordinatorTopic txnTopic;
    private final TransactionService service;
    private final KafkaTopicNames names;
    private final BrokerLookup brokers;
    private final String listenerName;
    private final BrokerChannel channel;

    /** @param channel to other brokers; null when this broker has no listener it can use as a client */
    public TxnPartitionAdder(CoordinatorTopic txnTopic, TransactionService service, KafkaTopicNames names,
                             BrokerLookup brokers, String listenerName, BrokerChannel channel) {
        this.txnTopic = txnTopic;
        this.service = service;
        this.names = names;
        this.brokers = brokers;
        this.listenerName = listenerName;
        this.channel = channel;
    }

    /** Adds {@code tp} (named as the coordinator names topics) to the producer's open transaction. */
    public CompletableFuture<Errors> add(String transactionalId, long producerId, short epoch, TopicPartition tp) {
        return ask(transactionalId, producerId, epoch, tp, false);
    }

    /**
     * KIP-890 part 1, for transactions v1 clients: whether {@code tp} is in the producer's open
     * transaction (NONE), as its client should have added it, or not (INVALID_TXN_STATE).
     */
    public CompletableFuture<Errors> verify(String transactionalId, long producerId, short epoch, TopicPartition tp) {
        return ask(transactionalId, producerId, epoch, tp, true);
    }

    private CompletableFuture<Errors> ask(String transactionalId, long producerId, short epoch, TopicPartition tp,
                                          boolean verifyOnly) {
        return brokers.leader(txnTopic.partition(service.partitionFor(transactionalId)), listenerName)
                .thenCompose(node -> {
                    if (node.id() == brokers.self(listenerName).id()) {
                        return verifyOnly
                                ? service.verifyPartitions(transactionalId, producerId, epoch, Set.of(tp))
                                        .thenApply(errors -> errors.getOrDefault(tp, Errors.INVALID_TXN_STATE))
                                : service.addPartitions(transactionalId, producerId, epoch, Set.of(tp), 2);
                    }
                    if (channel == null) {
                        return CompletableFuture.completedFuture(Errors.COORDINATOR_NOT_AVAILABLE);
                    }
                    // A data topic by its full Pulsar name: the coordinator's broker reads names in its own view.
                    String topic = tp.topic().equals(CoordinatorTopic.OFFSETS) ? tp.topic()
                            : names.toPulsar(tp.topic()).toString();
                    AddPartitionsToTxnTopicCollection topics = new AddPartitionsToTxnTopicCollection();
                    topics.add(new AddPartitionsToTxnTopic().setName(topic).setPartitions(List.of(tp.partition())));
                    AddPartitionsToTxnTransactionCollection txns = new AddPartitionsToTxnTransactionCollection();
                    txns.add(new AddPartitionsToTxnTransaction().setTransactionalId(transactionalId)
                            .setProducerId(producerId).setProducerEpoch(epoch).setVerifyOnly(verifyOnly)
                            .setTopics(topics));
                    return channel.send(node, AddPartitionsToTxnRequest.Builder.forBroker(txns)).thenApply(r -> {
                        AddPartitionsToTxnResponse response = (AddPartitionsToTxnResponse) r;
                        if (response.data().errorCode() != Errors.NONE.code()) {
                            return Errors.forCode(response.data().errorCode()); // the whole request failed
                        }
                        Map<TopicPartition, Errors> errors = response.errors().getOrDefault(transactionalId, Map.of());
                        Errors error = errors.values().stream().findFirst().orElse(Errors.UNKNOWN_SERVER_ERROR);
                        if (error == Errors.UNKNOWN_SERVER_ERROR) {
                            LOG.warn("{} {} in transaction {} at broker {}: {}", verifyOnly ? "verifying" : "adding",
                                    tp, transactionalId, node.id(), response.data());
                        }
                        return error;
                    });
                });
    }
}
