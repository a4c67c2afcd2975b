package io.kop.coordinator.bridge;

import io.kop.format.KafkaEntryFormat;
import io.kop.format.KafkaEntryFormat.StoredBatches;
import io.kop.storage.Ledgers;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.IntFunction;
import org.apache.bookkeeper.mledger.Entry;
import org.apache.bookkeeper.mledger.ManagedCursor;
import org.apache.bookkeeper.mledger.ManagedLedgerException;
import org.apache.bookkeeper.mledger.PositionFactory;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.requests.TransactionResult;
import org.apache.kafka.coordinator.common.runtime.CoordinatorLoader;
import org.apache.kafka.coordinator.common.runtime.CoordinatorPlayback;
import org.apache.kafka.coordinator.common.runtime.CoordinatorRecord;
import org.apache.kafka.coordinator.common.runtime.Deserializer;
import org.apache.kafka.coordinator.group.GroupCoordinatorRecordSerde;
import org.apache.pulsar.broker.intercept.ManagedLedgerInterceptorImpl;
import org.apache.pulsar.broker.service.BrokerService;
import org.apache.pulsar.broker.service.persistent.PersistentTopic;
import org.apache.pulsar.common.naming.TopicName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays a {@code __consumer_offsets} partition into the coordinator when this broker takes it over:
 * a non-durable cursor reads every entry, each Kafka record is replayed at its offset, transaction
 * markers as markers. Then the partition is handed to the writer at the offset after the last entry.
 */
final class OffsetsTopicLoader implements CoordinatorLoader<CoordinatorRecord> {
    private final io.kop.metrics.CoordinatorLoads loads;
    private static final Logger log = LoggerFactory.getLogger(OffsetsTopicLoader.class);
    private static final int READ_BATCH = 100;

    private final BrokerService brokerService;
    private final IntFunction<TopicName> partitionName;
    private final OffsetsTopicWriter writer;
    private final ExecutorService loaderThread;
    /** The loader's thread; once it is shut down, the caller's. */
    private final java.util.concurrent.Executor executor;
    private final GroupCoordinatorRecordSerde serde = new GroupCoordinatorRecordSerde();

    OffsetsTopicLoader(BrokerService brokerService, IntFunction<TopicName> partitionName, OffsetsTopicWriter writer,
                       ExecutorService executor, io.kop.metrics.CoordinatorLoads loads) {
        this.loads = loads;
        this.brokerService = brokerService;
        this.partitionName = partitionName;
        this.writer = writer;
        this.loaderThread = executor;
        this.executor = io.kop.storage.Ledgers.inlineOnceShutDown(executor);
    }

    @Override
    public CompletableFuture<LoadSummary> load(TopicPartition tp, CoordinatorPlayback<CoordinatorRecord> playback) {
        long start = System.currentTimeMillis();
        TopicName name = partitionName.apply(tp.partition());
        return brokerService.getTopic(name, true, null).thenComposeAsync(opt -> {
            if (opt.isEmpty() || !(opt.get() instanceof PersistentTopic topic)) {
                throw new IllegalStateException("cannot load " + name);
            }
            Load load = new Load(tp, topic, playback);
            // The compaction cursor comes first: with it, Pulsar keeps everything not yet compacted.
            return Ledgers.openDurableCursor(topic.getManagedLedger(), OffsetsCompactor.CURSOR)
                    .thenCompose(cursor -> load.run().thenApply(v -> cursor)).thenApply(cursor -> {
                writer.loaded(new OffsetsPartition(tp.partition(), topic, load.nextOffset, load.compactedUpTo, cursor,
                        load.openTransactions));
                log.info("{}: loaded {} records ({} bytes) in {} ms, next offset {}", tp, load.records, load.bytes,
                        System.currentTimeMillis() - start, load.nextOffset);
                loads.loaded("group", System.currentTimeMillis() - start, load.records);
                return new LoadSummary(start, System.currentTimeMillis(), 0, load.records, load.bytes);
            });
        }, executor);
    }

    private final class Load {
        final TopicPartition tp;
        final PersistentTopic topic;
        final CoordinatorPlayback<CoordinatorRecord> playback;
        long nextOffset;
        long compactedUpTo;
        long lastWritten;
        long records;
        long bytes;
        final OpenTransactions openTransactions = new OpenTransactions();

        Load(TopicPartition tp, PersistentTopic topic, CoordinatorPlayback<CoordinatorRecord> playback) {
            this.tp = tp;
            this.topic = topic;
            this.playback = playback;
        }

        CompletableFuture<Void> run() {
            var ledger = (org.apache.bookkeeper.mledger.impl.ManagedLedgerImpl) topic.getManagedLedger();
            nextOffset = ((ManagedLedgerInterceptorImpl) ledger.getManagedLedgerInterceptor()).getIndex() + 1;
            if (ledger.getNumberOfEntries() == 0) {
                return finish();
            }
            var snapshot = OffsetsCompactor.Snapshot.of(ledger);
            CompletableFuture<Void> compacted = snapshot.map(s -> Ledgers.readOne(ledger, s.position())
                    .thenAcceptAsync(entry -> {
                        try {
                            replaySnapshot(entry);
                        } finally {
                            entry.release();
                        }
                        compactedUpTo = s.upTo();
                    }, executor)).orElse(CompletableFuture.completedFuture(null));
            return compacted
                    .thenCompose(ignored -> {
                        ManagedCursor cursor;
                        try {
                            cursor = ledger.newNonDurableCursor(snapshot.isEmpty() ? PositionFactory.EARLIEST
                                    : ledger.getPreviousPosition(snapshot.get().resume()),
                                    "kop-offsets-load-" + UUID.randomUUID());
                        } catch (ManagedLedgerException e) {
                            return CompletableFuture.failedFuture(e);
                        }
                        return readAll(cursor).whenComplete((v, t) -> Ledgers.deleteCursor(ledger, cursor));
                    }).thenCompose(v -> finish());
        }

        /** The compacted prefix: records at their own offsets, all below the snapshot's end. */
        private void replaySnapshot(Entry entry) {
            bytes += entry.getLength();
            for (MutableRecordBatch batch : KafkaEntryFormat.snapshotRecords(entry.getDataBuffer()).batches()) {
                for (Record record : batch) {
                    replayRecord(record.offset(), batch, record);
                }
            }
        }

        private CompletableFuture<Void> finish() {
            advanceTo(nextOffset);
            if (nextOffset > 0) {
                playback.updateLastCommittedOffset(nextOffset);
            }
            return CompletableFuture.completedFuture(null);
        }

        private void replayRecord(long offset, MutableRecordBatch batch, Record record) {
            try {
                CoordinatorRecord r = serde.deserialize(record.key(), record.value());
                playback.replay(offset, batch.producerId(), batch.producerEpoch(), r);
                records++;
            } catch (Deserializer.UnknownRecordTypeException e) {
                log.debug("{}: skipping record of unknown type {} at offset {}", tp, e.unknownType(), offset);
            }
        }

        /** The coordinator requires a strictly rising last written offset (an empty log stays at 0). */
        private void advanceTo(long offset) {
            if (offset > lastWritten) {
                playback.updateLastWrittenOffset(offset);
                lastWritten = offset;
            }
            nextOffset = Math.max(nextOffset, offset);
        }

        private CompletableFuture<Void> readAll(ManagedCursor cursor) {
            if (!cursor.hasMoreEntries()) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<List<Entry>> read = Ledgers.read(cursor, READ_BATCH);
            return read.thenApplyAsync(entries -> {
                try {
                    entries.forEach(this::replay);
                } finally {
                    entries.forEach(Entry::release);
                }
                return null;
            }, executor).thenCompose(v -> readAll(cursor));
        }

        private void replay(Entry entry) {
            if (KafkaEntryFormat.isSnapshot(entry.getDataBuffer())) {
                return; // an older or the current snapshot: read through the property, not in log order
            }
            StoredBatches stored = KafkaEntryFormat.decode(entry.getDataBuffer());
            bytes += entry.getLength();
            long offset = stored.baseOffset();
            for (MutableRecordBatch batch : stored.records().batches()) {
                if (batch.isTransactional() && batch.isControlBatch()) {
                    OpenTransactions.Open o = openTransactions.ending(batch.producerId());
                    if (o != null) {
                        openTransactions.ended(o);
                    }
                } else if (batch.isTransactional()) {
                    openTransactions.data(batch.producerId(), offset);
                }
                if (batch.isControlBatch()) {
                    EndTransactionMarker marker = EndTransactionMarker.deserialize(batch.iterator().next());
                    playback.replayEndTransactionMarker(batch.producerId(), batch.producerEpoch(),
                            marker.controlType() == ControlRecordType.COMMIT
                                    ? TransactionResult.COMMIT : TransactionResult.ABORT);
                    offset++;
                    continue;
                }
                for (Record record : batch) {
                    replayRecord(offset, batch, record);
                    offset++;
                }
            }
            advanceTo(stored.baseOffset() + stored.numRecords());
        }
    }

    @Override
    public void close() {
        loaderThread.shutdown();
    }
}
