package io.kop.coordinator.bridge;

import org.apache.bookkeeper.mledger.ManagedCursor;
import org.apache.bookkeeper.mledger.impl.ManagedLedgerImpl;
import org.apache.kafka.coordinator.common.runtime.PartitionWriter;
import org.apache.pulsar.broker.service.persistent.PersistentTopic;

/** One loaded {@code __consumer_offsets} partition: its Pulsar topic and the next offset to write. */
final class OffsetsPartition {
    final int partition;
    final PersistentTopic topic;
    final ManagedLedgerImpl ledger;
    /** Only touched on the coordinator's event thread of this partition (appends) or by the loader before. */
    long nextOffset;
    volatile PartitionWriter.Listener listener;
    volatile boolean failed;
    /** Offset after the last write Pulsar confirmed (an entry boundary). */
    volatile long confirmedEnd;
    /** Records below this offset are in the latest snapshot (see {@link OffsetsCompactor}). */
    volatile long compactedUpTo;
    volatile boolean compacting;
    /** Transactions with pending offset commits here: compaction stays below them. */
    final OpenTransactions openTransactions;
    /** Durable cursor at the compacted prefix: Pulsar keeps what is after it, may drop what is before. */
    final ManagedCursor compactionCursor;

    OffsetsPartition(int partition, PersistentTopic topic, long nextOffset, long compactedUpTo,
                     ManagedCursor compactionCursor, OpenTransactions openTransactions) {
        this.openTransactions = openTransactions;
        this.partition = partition;
        this.topic = topic;
        this.ledger = (ManagedLedgerImpl) topic.getManagedLedger();
        this.nextOffset = nextOffset;
        this.confirmedEnd = nextOffset;
        this.compactedUpTo = compactedUpTo;
        this.compactionCursor = compactionCursor;
    }
}
