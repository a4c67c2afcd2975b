package io.kop.storage;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.protocol.Errors;

/**
 * Idempotent-producer state of one partition: per producer id the current epoch and the last five
 * batches (Kafka's window), so a retried batch is recognised and answered with its original offset,
 * and a gap in sequence numbers is refused. Not thread-safe: the owning log serialises access.
 */
public final class ProducerStateTable {
    static final int BATCH_WINDOW = 5;

    private final Map<Long, ProducerEntry> producers = new HashMap<>();

    private static final class ProducerEntry {
        short epoch;
        /** Known only from a marker: its sequence is not known here, so any is taken (as for an unknown producer). */
        boolean fromMarkerOnly;
        long lastTimestamp = -1;
        final ArrayDeque<BatchMeta> batches = new ArrayDeque<>();
    }

    private record BatchMeta(int firstSeq, int lastSeq, CompletableFuture<Long> baseOffset) {
    }

    /** What to do with a batch: append it, answer it as a duplicate, or refuse it. */
    sealed interface Decision {
    }

    record Append() implements Decision {
    }

    record Duplicate(CompletableFuture<Long> baseOffset) implements Decision {
    }

    record Reject(Errors error, String message) implements Decision {
    }

    private static final Append APPEND = new Append();

    Decision check(long producerId, short epoch, int firstSeq, int lastSeq) {
        return check(producerId, epoch, firstSeq, lastSeq, false);
    }

    /**
     * @param sentToEarlierLog the batch's request reached the broker before this partition's log took
     *                         over from an earlier log of the partition on the same broker
     */
    Decision check(long producerId, short epoch, int firstSeq, int lastSeq, boolean sentToEarlierLog) {
        return check(producerId, epoch, firstSeq, lastSeq, sentToEarlierLog, false);
    }

    /**
     * @param transactionV2 the batch is transactional, from a transactions v2 producer: each of its
     *                      transactions has an epoch of its own, so its first batch on a partition
     *                      starts at sequence 0 even where the producer is unknown
     */
    Decision check(long producerId, short epoch, int firstSeq, int lastSeq, boolean sentToEarlierLog,
                   boolean transactionV2) {
        ProducerEntry entry = producers.get(producerId);
        if (transactionV2 && firstSeq != 0 && (entry == null || entry.epoch != epoch || entry.batches.isEmpty())) {
            // An earlier batch of the transaction failed (it could not join the transaction yet, say)
            // and the client will send it again: this one may not go first.
            return new Reject(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, "the transaction's first batch here starts "
                    + "at sequence 0, got " + firstSeq);
        }
        Decision d = check(entry, epoch, firstSeq, lastSeq);
        // A request sent to the earlier log may follow batches that log refused and the client will
        // retry: an unknown producer (new, or its state expired) may not start midway then, or the
        // retried batches would find a later sequence stored before them; and a gap is answered as
        // the earlier log would have, as a moved partition, so the client retries in order.
        if (sentToEarlierLog && (d == APPEND && firstSeq != 0 && !producers.containsKey(producerId)
                || d instanceof Reject r && r.error() == Errors.OUT_OF_ORDER_SEQUENCE_NUMBER)) {
            return new Reject(Errors.NOT_LEADER_OR_FOLLOWER,
                    "the partition changed hands on this broker while the request waited");
        }
        return d;
    }

    private static Decision check(ProducerEntry e, short epoch, int firstSeq, int lastSeq) {
        if (e == null) {
            return APPEND; // unknown producer (new, or its state expired): any first sequence is accepted
        }
        if (epoch < e.epoch) {
            return new Reject(Errors.INVALID_PRODUCER_EPOCH,
                    "epoch " + epoch + " is older than the current epoch " + e.epoch);
        }
        if (epoch > e.epoch) {
            return firstSeq == 0 ? APPEND : new Reject(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER,
                    "a new epoch must start at sequence 0, got " + firstSeq);
        }
        for (BatchMeta b : e.batches) {
            if (b.firstSeq == firstSeq && b.lastSeq == lastSeq) {
                return new Duplicate(b.baseOffset);
            }
        }
        BatchMeta last = e.batches.peekLast();
        if (last == null && !e.fromMarkerOnly && firstSeq != 0) {
            // A marker began this epoch here (transactions v2 bump the epoch with each commit or abort):
            // its sequences start at 0, as Kafka has them.
            return new Reject(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, "expected sequence 0 of epoch " + epoch
                    + ", got " + firstSeq);
        }
        if (last != null && firstSeq != nextSequence(last.lastSeq)) {
            return new Reject(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER,
                    "expected sequence " + nextSequence(last.lastSeq) + ", got " + firstSeq);
        }
        return APPEND;
    }

    void record(long producerId, short epoch, int firstSeq, int lastSeq, CompletableFuture<Long> baseOffset) {
        record(producerId, epoch, firstSeq, lastSeq, baseOffset, -1);
    }

    /** {@code timestamp}: the batch's largest timestamp, or -1 when not known (state read back). */
    void record(long producerId, short epoch, int firstSeq, int lastSeq, CompletableFuture<Long> baseOffset,
                long timestamp) {
        ProducerEntry e = producers.computeIfAbsent(producerId, id -> new ProducerEntry());
        if (timestamp >= 0) {
            e.lastTimestamp = timestamp;
        }
        if (e.epoch != epoch) {
            e.epoch = epoch;
            e.batches.clear();
        }
        e.fromMarkerOnly = false;
        e.batches.addLast(new BatchMeta(firstSeq, lastSeq, baseOffset));
        while (e.batches.size() > BATCH_WINDOW) {
            e.batches.pollFirst();
        }
    }

    /**
     * The table as text ({@code id:epoch:first-last@offset;...} per producer, {@code /} between
     * producers): the producers whose last batch is at or after {@code minOffset}, with their batches
     * below {@code below} (those the caller knows are stored; later ones it replays).
     */
    String snapshot(long minOffset, long below) {
        StringBuilder sb = new StringBuilder();
        producers.forEach((id, e) -> {
            StringBuilder batches = new StringBuilder();
            long last = -1;
            for (BatchMeta b : e.batches) {
                Long offset = b.baseOffset.isDone() && !b.baseOffset.isCompletedExceptionally()
                        ? b.baseOffset.join() : null;
                if (offset == null || offset >= below) {
                    continue;
                }
                last = offset;
                batches.append(batches.length() == 0 ? "" : ";").append(b.firstSeq).append('-').append(b.lastSeq)
                        .append('@').append(offset);
            }
            if (last >= minOffset) {
                sb.append(sb.length() == 0 ? "" : "/").append(id).append(':').append(e.epoch).append(':')
                        .append(batches);
            }
        });
        return sb.toString();
    }

    /** Adds what {@link #snapshot} wrote; false (and nothing added) if the text is not one. */
    boolean restore(String snapshot) {
        Map<Long, ProducerEntry> read = new HashMap<>();
        try {
            for (String producer : snapshot.isEmpty() ? new String[0] : snapshot.split("/")) {
                String[] parts = producer.split(":", 3);
                ProducerEntry e = new ProducerEntry();
                e.epoch = Short.parseShort(parts[1]);
                for (String batch : parts[2].split(";")) {
                    int dash = batch.indexOf('-', 1);
                    int at = batch.indexOf('@');
                    e.batches.addLast(new BatchMeta(Integer.parseInt(batch.substring(0, dash)),
                            Integer.parseInt(batch.substring(dash + 1, at)),
                            CompletableFuture.completedFuture(Long.parseLong(batch.substring(at + 1)))));
                }
                read.put(Long.parseLong(parts[0]), e);
            }
        } catch (RuntimeException ex) {
            return false;
        }
        producers.putAll(read);
        return true;
    }

    /** A producer as DescribeProducers shows it. */
    public record ActiveProducer(long producerId, short epoch, int lastSequence, long lastTimestamp) {
    }

    /** The producers the table knows, with their last sequence and timestamp. */
    java.util.List<ActiveProducer> active() {
        java.util.List<ActiveProducer> out = new java.util.ArrayList<>();
        producers.forEach((id, e) -> {
            BatchMeta last = e.batches.peekLast();
            out.add(new ActiveProducer(id, e.epoch, last == null ? -1 : last.lastSeq, e.lastTimestamp));
        });
        return out;
    }

    /** Whether batches of the producer at {@code epoch} were taken since its last marker or epoch change. */
    boolean hasBatchesAt(long producerId, short epoch) {
        ProducerEntry e = producers.get(producerId);
        return e != null && e.epoch == epoch && !e.batches.isEmpty();
    }

    /**
     * A transaction marker of the producer at {@code epoch}: null when it may be written (a newer epoch
     * is taken on, with sequences starting over), a refusal when the producer has moved past the epoch.
     */
    Reject marker(long producerId, short epoch) {
        ProducerEntry e = producers.get(producerId);
        if (e != null && epoch < e.epoch) {
            return new Reject(Errors.INVALID_PRODUCER_EPOCH, "marker epoch " + epoch + " is older than the "
                    + "producer's epoch " + e.epoch);
        }
        if (e == null) {
            e = new ProducerEntry();
            e.epoch = epoch;
            e.fromMarkerOnly = true;
            producers.put(producerId, e);
        } else if (epoch > e.epoch) {
            e.epoch = epoch;
            e.batches.clear();
        }
        return null;
    }

    /** After a failed append the producer's position in the log is unknown: start over for it. */
    void forget(long producerId) {
        producers.remove(producerId);
    }

    private static int nextSequence(int seq) {
        return seq == Integer.MAX_VALUE ? 0 : seq + 1;
    }
}
