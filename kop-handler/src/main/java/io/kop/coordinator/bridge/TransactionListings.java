package io.kop.coordinator.bridge;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.coordinator.transaction.TransactionMetadata;
import org.apache.kafka.coordinator.transaction.TransactionState;

/**
 * DescribeTransactions and ListTransactions answered from a coordinator's loaded transactions; it
 * only reads them, on the coordinator's thread.
 */
final class TransactionListings {
    private TransactionListings() {
    }

    /** One transaction as DescribeTransactions shows it; {@code md} null: TRANSACTIONAL_ID_NOT_FOUND. */
    static DescribeTransactionsResponseData.TransactionState describe(String id, TransactionMetadata md) {
        DescribeTransactionsResponseData.TransactionState s = new DescribeTransactionsResponseData.TransactionState()
                .setTransactionalId(id).setTransactionState("").setProducerId(-1).setProducerEpoch((short) -1)
                .setTransactionStartTimeMs(-1);
        if (md == null) {
            return s.setErrorCode(Errors.TRANSACTIONAL_ID_NOT_FOUND.code());
        }
        s.setTransactionState(md.state().stateName()).setTransactionTimeoutMs(md.txnTimeoutMs())
                .setTransactionStartTimeMs(md.txnStartTimestamp()).setProducerId(md.producerId())
                .setProducerEpoch(md.producerEpoch());
        Map<String, List<Integer>> byTopic = new TreeMap<>();
        md.topicPartitions().forEach(tp -> byTopic.computeIfAbsent(tp.topic(), k -> new ArrayList<>())
                .add(tp.partition()));
        byTopic.forEach((topic, parts) -> s.topics().add(new DescribeTransactionsResponseData.TopicData()
                .setTopic(topic).setPartitions(parts)));
        return s;
    }

    /** The transactions of {@code partitions} that pass the request's filters. */
    static ListTransactionsResponseData list(ListTransactionsRequestData request,
                                             Collection<TransactionLogPartition> partitions, boolean loading) {
        ListTransactionsResponseData out = new ListTransactionsResponseData();
        Set<String> states = new HashSet<>();
        for (String name : request.stateFilters()) {
            if (TransactionState.fromName(name).isPresent()) {
                states.add(name);
            } else {
                out.unknownStateFilters().add(name);
            }
        }
        Set<Long> producers = new HashSet<>(request.producerIdFilters());
        Pattern pattern = request.transactionalIdPattern() == null || request.transactionalIdPattern().isEmpty()
                ? null : Pattern.compile(request.transactionalIdPattern());
        long now = System.currentTimeMillis();
        if (loading) {
            out.setErrorCode(Errors.COORDINATOR_LOAD_IN_PROGRESS.code());
        }
        for (TransactionLogPartition p : partitions) {
            p.transactions.forEach((id, md) -> {
                boolean matches = (states.isEmpty() || states.contains(md.state().stateName()))
                        && (producers.isEmpty() || producers.contains(md.producerId()))
                        && (request.durationFilter() < 0 || md.state() == TransactionState.ONGOING
                                && now - md.txnStartTimestamp() >= request.durationFilter())
                        && (pattern == null || pattern.matcher(id).matches());
                if (matches) {
                    out.transactionStates().add(new ListTransactionsResponseData.TransactionState()
                            .setTransactionalId(id).setProducerId(md.producerId())
                            .setTransactionState(md.state().stateName()));
                }
            });
        }
        return out;
    }
}
