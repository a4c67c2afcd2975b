package io.kop.api;

import io.kop.coordinator.GroupCoordinators;
import io.kop.topic.KafkaTopicNames;

/**
 * Topic names between a client and its tenant's transaction coordinator, which stores them as the
 * tenant's view names them: a client naming topics from another default namespace (its SASL username)
 * still ends the same transactions.
 */
final class TransactionNames {
    private TransactionNames() {
    }

    /** The coordinator's name for a topic the client named; IllegalArgumentException if it is not valid. */
    static String toCoordinator(RequestContext ctx, GroupCoordinators.Transactions txns, String clientName) {
        return txns.names().toKafka(ctx.topics().names().toPulsar(clientName));
    }

    /** The client's name for a topic the coordinator stored. */
    static String toClient(RequestContext ctx, GroupCoordinators.Transactions txns, String coordinatorName) {
        KafkaTopicNames client = ctx.topics().names();
        return client.toKafka(txns.names().toPulsar(coordinatorName));
    }
}
