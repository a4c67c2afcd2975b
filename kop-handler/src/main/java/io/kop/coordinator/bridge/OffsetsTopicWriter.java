package io.kop.coordinator.bridge;

import io.kop.format.KafkaEntryFormat;
import io.kop.storage.IndexedPublish;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.coordinator.common.runtime.PartitionWriter;
import org.apache.kafka.storage.internals.log.LogConfig;
import org.apache.kafka.storage.internals.log.VerificationGuard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka's coordinator writes its record batches here. {@code append} runs on the coordinator's event
 * thread and must return the log end offset at once; the write reaches BookKeeper asynchronously and
 * the high watermark listener hears of it when Pulsar confirms it. Offsets are the broker entry index
 * (one per record), checked against the expected offsets on every confirmation: any disagreement or
 * failed write reloads the partition from the log.
 */
final class OffsetsTopicWriter implements PartitionWriter {
    private static final Logger log = LoggerFactory.getLogger(OffsetsTopicWriter.class);

    private final Map<Integer, OffsetsPartition> partitions = new ConcurrentHashMap<>();
    private final LogConfig logConfig;
    private final IntConsumer reload;
    private final OffsetsCompactor compactor;
    private final AtomicLong sequence = new AtomicLong();

    /** @param reload called with a partition whose log and in-memory state may have diverged */
    OffsetsTopicWriter(int maxMessageBytes, IntConsumer reload, OffsetsCompactor compactor) {
        this.compactor = compactor;
        this.logConfig = new LogConfig(Map.of("max.message.bytes", Integer.toString(maxMessageBytes),
                "cleanup.policy", "compact"));
        this.reload = reload;
    }

    void loaded(OffsetsPartition p) {
        partitions.put(p.partition, p);
    }

    void unloaded(int partition) {
        partitions.remove(partition);
    }

    @Override
    public void registerListener(TopicPartition tp, Listener listener) {
        OffsetsPartition p = partitions.get(tp.partition());
        if (p != null) {
            p.listener = listener;
        }
    }

    @Override
    public void deregisterListener(TopicPartition tp, Listener listener) {
        OffsetsPartition p = partitions.get(tp.partition());
        if (p != null && p.listener == listener) {
            p.listener = null;
        }
    }

    @Override
    public LogConfig config(TopicPartition tp) {
        return logConfig;
    }

    @Override
    public long append(TopicPartition tp, VerificationGuard guard, MemoryRecords records, short transactionVersion)
            throws KafkaException {
        OffsetsPartition p = partitions.get(tp.partition());
        if (p == null || p.failed) {
            throw new NotLeaderOrFollowerException(tp + " is not loaded on this broker");
        }
        int count = 0;
        for (MutableRecordBatch batch : records.batches()) {
            count += (int) (batch.lastOffset() - batch.baseOffset() + 1);
        }
        long base = p.nextOffset;
        KafkaEntryFormat.assignOffsets(records, base);
        List<OpenTransactions.Open> ending = new ArrayList<>();
        for (MutableRecordBatch batch : records.batches()) {
            if (batch.isTransactional() && batch.isControlBatch()) {
                OpenTransactions.Open o = p.openTransactions.ending(batch.producerId());
                if (o != null) {
                    ending.add(o);
                }
            } else if (batch.isTransactional()) {
                p.openTransactions.data(batch.producerId(), batch.baseOffset());
            }
        }
        ByteBuf entry = KafkaEntryFormat.encode(records, count, "kop-group-coordinator", 0);
        long expectedLast = base + count - 1;
        try {
            p.topic.publishMessage(entry, new Publish(p, tp, count, expectedLast, ending));
        } finally {
            entry.release();
        }
        p.nextOffset = expectedLast + 1;
        return p.nextOffset;
    }

    private final class Publish extends IndexedPublish {
        private final OffsetsPartition partition;
        private final TopicPartition tp;
        private final long expectedLast;
        private final List<OpenTransactions.Open> ending;

        Publish(OffsetsPartition partition, TopicPartition tp, int count, long expectedLast,
                List<OpenTransactions.Open> ending) {
            super(count, "kop-group-coordinator-" + tp.partition(), sequence.incrementAndGet());
            this.partition = partition;
            this.tp = tp;
            this.expectedLast = expectedLast;
            this.ending = ending;
        }

        @Override
        protected void onComplete(Exception e, long index) {
            if (e != null || index != expectedLast) {
                log.warn("{}: write failed or landed at offset {} instead of {} ({}); reloading the partition",
                        tp, index, expectedLast, e == null ? "offset mismatch" : e.toString());
                if (!partition.failed) {
                    partition.failed = true;
                    reload.accept(tp.partition());
                }
                return;
            }
            partition.confirmedEnd = expectedLast + 1;
            ending.forEach(partition.openTransactions::ended);
            Listener listener = partition.listener;
            if (listener != null) {
                listener.onHighWatermarkUpdated(tp, expectedLast + 1);
            }
            compactor.maybeCompact(tp, partition);
        }
    }

    @Override
    public CompletableFuture<VerificationGuard> maybeStartTransactionVerification(TopicPartition tp,
            String transactionalId, long producerId, short producerEpoch, int apiVersion) {
        return CompletableFuture.completedFuture(VerificationGuard.SENTINEL);
    }

    @Override
    public CompletableFuture<Void> deleteRecords(TopicPartition tp, long deleteBeforeOffset) {
        // Only the share coordinator deletes records; share groups are not served.
        return CompletableFuture.failedFuture(new UnsupportedVersionException("deleteRecords is not supported"));
    }
}
