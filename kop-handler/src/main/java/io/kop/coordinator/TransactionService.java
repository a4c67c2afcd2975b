package io.kop.coordinator;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.Errors;

/**
 * A tenant's transaction coordinator: the state of every transactional id whose
 * {@code __transaction_state} partition this broker owns. Topic names in partitions are Kafka names as
 * the tenant's coordinator names them (see {@link GroupCoordinators}); {@code transactionVersion} is
 * the protocol the client speaks (1: partitions added by the client, 2: KIP-890, an epoch per
 * transaction).
 */
public interface TransactionService extends AutoCloseable {

    /** Which {@code __transaction_state} partition holds a transactional id. */
    int partitionFor(String transactionalId);

    /** InitProducerId with a transactional id: a producer id and a new epoch, fencing older producers. */
    CompletableFuture<InitProducerIdResponseData> initProducerId(String transactionalId, int timeoutMs,
                                                                 long expectedProducerId, short expectedEpoch);

    /** AddPartitionsToTxn / AddOffsetsToTxn: the error for all the partitions. */
    CompletableFuture<Errors> addPartitions(String transactionalId, long producerId, short epoch,
                                            Set<TopicPartition> partitions, int transactionVersion);

    /** AddPartitionsToTxn with VerifyOnly: for each partition whether the open transaction has it. */
    CompletableFuture<java.util.Map<TopicPartition, Errors>> verifyPartitions(String transactionalId, long producerId,
                                                                             short epoch, Set<TopicPartition> partitions);

    CompletableFuture<EndTxnResponseData> endTxn(String transactionalId, long producerId, short epoch, boolean commit,
                                                 int transactionVersion);

    CompletableFuture<List<DescribeTransactionsResponseData.TransactionState>> describe(List<String> transactionalIds);

    CompletableFuture<ListTransactionsResponseData> list(ListTransactionsRequestData request);

    /** This broker now owns the log partition: load it. */
    void onElection(int partition);

    /** This broker no longer owns the log partition: forget its transactions. */
    void onResignation(int partition);

    @Override
    void close();

    /** Where a coordinator's transaction markers go: the owner of each partition. */
    @FunctionalInterface
    interface MarkerWriter {
        /** Writes one marker; fails with a Kafka exception, retriable or not. */
        CompletableFuture<Void> write(TopicPartition partition, long producerId, short producerEpoch, boolean commit,
                                      int coordinatorEpoch, int transactionVersion);
    }
}
