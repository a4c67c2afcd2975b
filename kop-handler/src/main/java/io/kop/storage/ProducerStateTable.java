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
final class ProducerStateTable {
    static final int BATCH_WINDOW = 5;

    private final Map<Long, ProducerEntry> producers = new HashMap<>();

    private static final class ProducerEntry {
        short epoch;
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
        ProducerEntry e = producers.get(producerId);
        if (e == null) {
            return APPEND; // unknown producer (new, or expired state): any first sequence is accepted
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
        if (last != null && firstSeq != nextSequence(last.lastSeq)) {
            return new Reject(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER,
                    "expected sequence " + nextSequence(last.lastSeq) + ", got " + firstSeq);
        }
        return APPEND;
    }

    void record(long producerId, short epoch, int firstSeq, int lastSeq, CompletableFuture<Long> baseOffset) {
        ProducerEntry e = producers.computeIfAbsent(producerId, id -> new ProducerEntry());
        if (e.epoch != epoch) {
            e.epoch = epoch;
            e.batches.clear();
        }
        e.batches.addLast(new BatchMeta(firstSeq, lastSeq, baseOffset));
        while (e.batches.size() > BATCH_WINDOW) {
            e.batches.pollFirst();
        }
    }

    /** After a failed append the producer's position in the log is unknown: start over for it. */
    void forget(long producerId) {
        producers.remove(producerId);
    }

    private static int nextSequence(int seq) {
        return seq == Integer.MAX_VALUE ? 0 : seq + 1;
    }
}
