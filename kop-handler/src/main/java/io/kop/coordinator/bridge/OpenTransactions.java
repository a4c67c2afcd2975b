package io.kop.coordinator.bridge;

import java.util.ArrayList;
import java.util.List;

/**
 * The transactions with offset commits in one {@code __consumer_offsets} partition that have not ended
 * yet: each producer's first transactional record, until its marker is stored. Compaction stays below
 * the first of them, so a pending offset never replaces a committed one in the snapshot.
 */
final class OpenTransactions {
    /** A transaction of {@code producerId} from {@code firstOffset}; {@code ending} once its marker is written. */
    static final class Open {
        final long producerId;
        final long firstOffset;
        boolean ending;

        Open(long producerId, long firstOffset) {
            this.producerId = producerId;
            this.firstOffset = firstOffset;
        }
    }

    private final List<Open> open = new ArrayList<>();

    /** A transactional record batch of the producer at {@code offset}. */
    synchronized void data(long producerId, long offset) {
        for (Open o : open) {
            if (o.producerId == producerId && !o.ending) {
                return;
            }
        }
        open.add(new Open(producerId, offset));
    }

    /** The producer's marker is being written; the transaction counts as open until {@link #ended}. */
    synchronized Open ending(long producerId) {
        for (Open o : open) {
            if (o.producerId == producerId && !o.ending) {
                o.ending = true;
                return o;
            }
        }
        return null;
    }

    /** The marker is stored. */
    synchronized void ended(Open transaction) {
        open.remove(transaction);
    }

    /** The first offset of an open transaction, or Long.MAX_VALUE. */
    synchronized long firstOffset() {
        long first = Long.MAX_VALUE;
        for (Open o : open) {
            first = Math.min(first, o.firstOffset);
        }
        return first;
    }
}
