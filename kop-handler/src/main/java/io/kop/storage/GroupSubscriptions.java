package io.kop.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
 * Finding that entry is a binary search over the ledger, reading entries from storage, so it is done
 * only when the group's offset has moved or someone else moved the subscription.
 */
final class GroupSubscriptions {
    /** Marks subscriptions KoP created for Kafka groups, so Pulsar users' own subscriptions are left alone. */
    static final String GROUP_SUBSCRIPTION_PROPERTY = "kafka.consumer.group";

    private final PersistentTopic topic;
    private final ManagedLedgerImpl ledger;
    private final Map<String, Mirrored> mirrored = new ConcurrentHashMap<>();

    /** A group's committed offset and where its subscription was moved for it. */
    private record Mirrored(long offset, Position markDeleted) {
    }

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
                mirrored.remove(name);
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
            steps.add(sub.thenCompose(s -> {
                Mirrored last = mirrored.get(group);
                if (last != null && last.offset() == offset
                        && last.markDeleted().equals(s.getCursor().getMarkDeletedPosition())) {
                    return CompletableFuture.completedFuture(null);
                }
                return acknowledgeUpTo(s, offset).thenAccept(found -> {
                    if (found) {
                        mirrored.put(group, new Mirrored(offset, s.getCursor().getMarkDeletedPosition()));
                    }
                });
            }));
        });
        return FutureUtil.waitForAll(steps);
    }

    /**
     * Everything below {@code offset} acknowledged: the subscription's backlog is the group's lag. False
     * when the search for the entry failed, so the next round tries again.
     */
    private CompletableFuture<Boolean> acknowledgeUpTo(PersistentSubscription sub, long offset) {
        CompletableFuture<Position> found =
                Ledgers.findFirstNotBefore(ledger, entry -> StoredEntries.lastIndex(entry) < offset);
        return found.thenCompose(next -> {
            if (next == null) {
                return CompletableFuture.completedFuture(false);
            }
            ManagedCursor cursor = sub.getCursor();
            Position target = ledger.getPreviousPosition(next);
            int cmp = target.compareTo(cursor.getMarkDeletedPosition());
            if (cmp == 0) {
                return CompletableFuture.completedFuture(true);
            }
            CompletableFuture<Void> moved = cmp < 0
                    ? sub.resetCursor(next) // the group's offset went back (a reset)
                    : Ledgers.markDelete(cursor, target);
            return moved.thenApply(v -> true);
        });
    }
}
