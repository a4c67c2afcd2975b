package io.kop.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.bookkeeper.mledger.ManagedCursor;
import org.apache.bookkeeper.mledger.Position;
import org.apache.bookkeeper.mledger.impl.ManagedLedgerImpl;
import org.apache.pulsar.broker.service.persistent.PersistentSubscription;
import org.apache.pulsar.broker.service.persistent.PersistentTopic;
import org.apache.pulsar.common.api.proto.CommandSubscribe;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * One partition's Pulsar subscriptions that mirror Kafka consumer groups: a durable subscription per
 * group, acknowledged up to the entry before the group's committed offset, so its backlog is the lag.
 */
final class GroupSubscriptions {
    /** Marks subscriptions KoP created for Kafka groups, so Pulsar users' own subscriptions are left alone. */
    static final String GROUP_SUBSCRIPTION_PROPERTY = "kafka.consumer.group";

    private final PersistentTopic topic;
    private final ManagedLedgerImpl ledger;

    GroupSubscriptions(PersistentTopic topic, ManagedLedgerImpl ledger) {
        this.topic = topic;
        this.ledger = ledger;
    }

    /** See {@link PartitionLog#mirrorGroups}. */
    CompletableFuture<Void> mirror(Map<String, Long> committedOffsets) {
        List<CompletableFuture<?>> steps = new ArrayList<>();
        topic.getSubscriptions().forEach((name, sub) -> {
            if (sub.getSubscriptionProperties().containsKey(GROUP_SUBSCRIPTION_PROPERTY)
                    && !committedOffsets.containsKey(name)) {
                steps.add(sub.deleteForcefully());
            }
        });
        committedOffsets.forEach((group, offset) -> {
            PersistentSubscription existing = topic.getSubscription(group);
            if (existing != null && !existing.getSubscriptionProperties().containsKey(GROUP_SUBSCRIPTION_PROPERTY)) {
                return; // a Pulsar application's subscription of the same name: not ours to move
            }
            CompletableFuture<PersistentSubscription> sub = existing != null
                    ? CompletableFuture.completedFuture(existing)
                    : topic.createSubscription(group, CommandSubscribe.InitialPosition.Earliest, false,
                            Map.of(GROUP_SUBSCRIPTION_PROPERTY, "true"))
                            .thenApply(s -> (PersistentSubscription) s);
            steps.add(sub.thenCompose(s -> acknowledgeUpTo(s, offset)));
        });
        return FutureUtil.waitForAll(steps);
    }

    /** Everything below {@code offset} acknowledged: the subscription's backlog is the group's lag. */
    private CompletableFuture<Void> acknowledgeUpTo(PersistentSubscription sub, long offset) {
        return ledger.asyncFindPosition(entry -> ManagedLedgerPartitionLog.lastIndex(entry) < offset).thenCompose(next -> {
            if (next == null) {
                return CompletableFuture.completedFuture(null);
            }
            ManagedCursor cursor = sub.getCursor();
            Position target = ledger.getPreviousPosition(next);
            int cmp = target.compareTo(cursor.getMarkDeletedPosition());
            if (cmp == 0) {
                return CompletableFuture.completedFuture(null);
            }
            if (cmp < 0) {
                return sub.resetCursor(next); // the group's offset went back (a reset)
            }
            return Ledgers.markDelete(cursor, target);
        });
    }

}
