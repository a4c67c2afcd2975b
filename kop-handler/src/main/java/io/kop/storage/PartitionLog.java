package io.kop.storage;

import io.kop.format.RecordChunks;
import java.util.concurrent.CompletableFuture;
import io.kop.config.EntryFormat;
import org.apache.kafka.common.record.internal.MutableRecordBatch;

/** One Kafka partition's log: append, read and offset queries over a Pulsar topic partition. */
public interface PartitionLog {

    /** Result of an append: the offset of the batch's first record and the broker time used. */
    record AppendResult(long baseOffset, long logAppendTime) {
    }

    /** Offsets bounding the log: first offset still stored, and the offset the next record gets. */
    record LogOffsets(long logStartOffset, long highWatermark) {
    }

    record OffsetAndTimestamp(long offset, long timestamp) {
    }

    /**
     * Appends one validated magic-2 batch.
     *
     * @param logAppendTime true to stamp records with the broker's time (LogAppendTime topics)
     * @param format        how to store it
     * @param arrivedNanos  when its request reached the broker ({@link System#nanoTime})
     * @param transactionV2 the request is a transactions v2 producer's: a transactional batch that is its
     *                      transaction's first here must start at sequence 0
     */
    CompletableFuture<AppendResult> append(MutableRecordBatch batch, int numRecords, boolean logAppendTime,
                                           EntryFormat format, long arrivedNanos, boolean transactionV2);

    /** An aborted transaction with records here, from its first one on, as read_committed fetches report it. */
    record AbortedTransaction(long producerId, long firstOffset) {
    }

    /**
     * WriteTxnMarkers: ends the producer's transaction here with a commit or abort marker (a control
     * batch); the marker's offset. A marker older than the producer's epoch is refused
     * (INVALID_PRODUCER_EPOCH).
     */
    CompletableFuture<Long> appendMarker(long producerId, short producerEpoch, boolean commit, int coordinatorEpoch);

    /** The offset below which no record belongs to an open transaction (the high watermark when none is open). */
    CompletableFuture<Long> lastStableOffset();

    /** The aborted transactions with records in [from, upTo). */
    java.util.List<AbortedTransaction> abortedTransactions(long from, long upTo);

    /** Whether the producer has a transaction open here at {@code epoch} (or a batch of it accepted at that epoch). */
    boolean inTransaction(long producerId, short epoch);

    /** The first offset of the producer's open transaction here, or -1. */
    long openTransactionStart(long producerId);

    /** DescribeProducers: the idempotent producers this partition's state knows. */
    java.util.List<ProducerStateTable.ActiveProducer> activeProducers();

    /** This partition's current leader epoch ({@link LeaderEpochs}), started when this broker took it over. */
    int leaderEpoch();

    /** OffsetsForLeaderEpoch: the end of {@code epoch} in this partition's epoch history. */
    CompletableFuture<LeaderEpochs.EndOffset> endOffsetForEpoch(int epoch);

    /** Reads records from {@code offset}: at least one batch if any exists, then up to maxBytes. */
    CompletableFuture<RecordChunks> read(long offset, int maxBytes);

    CompletableFuture<LogOffsets> offsets();

    /**
     * DeleteRecords: moves the log start offset up to {@code offset} (-1: the high watermark) and
     * returns the new log start offset; OFFSET_OUT_OF_RANGE beyond the high watermark. Records below
     * it are no longer served, and the ledgers wholly below it are deleted.
     */
    CompletableFuture<Long> deleteRecordsBefore(long offset);

    /** The first record with timestamp >= {@code timestamp}; offset -1 when there is none. */
    CompletableFuture<OffsetAndTimestamp> offsetForTimestamp(long timestamp);

    /** The record with the largest timestamp (the earliest of equal ones); offset -1 when empty. */
    CompletableFuture<OffsetAndTimestamp> maxTimestamp();

    /**
     * Makes this partition's Pulsar subscriptions mirror Kafka consumer groups: for each group a durable
     * subscription named after it, acknowledged up to the group's committed offset; KoP-made
     * subscriptions of groups that no longer have an offset here are removed.
     */
    CompletableFuture<Void> mirrorGroups(java.util.Map<String, Long> committedOffsets);

    /**
     * Runs {@code callback} once, as soon as anyone (Kafka or Pulsar producer) appends the next entry.
     * Returns an action that withdraws the callback.
     */
    Runnable onNextAppend(Runnable callback);
}
