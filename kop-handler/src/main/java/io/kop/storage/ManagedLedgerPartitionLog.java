package io.kop.storage;

import io.kop.format.RecordChunks;
import io.kop.format.PulsarEntryFormat;
import io.kop.format.PulsarEntryFormat.EntryInfo;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.apache.bookkeeper.mledger.Entry;
import org.apache.bookkeeper.mledger.ManagedCursor;
import org.apache.bookkeeper.mledger.ManagedLedgerException;
import org.apache.bookkeeper.mledger.Position;
import org.apache.bookkeeper.mledger.impl.ManagedLedgerImpl;
import org.apache.kafka.common.errors.OffsetOutOfRangeException;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.EndTransactionMarker;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import io.kop.config.EntryFormat;
import io.kop.storage.CursorReader.DecodedEntry;
import io.kop.format.KafkaEntryFormat;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.pulsar.broker.intercept.ManagedLedgerInterceptorImpl;
import org.apache.pulsar.broker.service.persistent.PersistentTopic;

/**
 * A Kafka partition stored in a Pulsar topic partition. Appends go through
 * {@link PersistentTopic#publishMessage} (fencing, size limits and Pulsar bookkeeping apply); offsets are
 * the broker entry index; reads use non-durable cursors and decode on {@code decodeExecutor}, never on
 * a BookKeeper thread.
 */
final class ManagedLedgerPartitionLog implements PartitionLog {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ManagedLedgerPartitionLog.class);
    private final PersistentTopic topic;
    private final ManagedLedgerImpl ledger;
    private final Executor decodeExecutor;
    private final int maxReadEntries;
    private final CursorReader.Budget readAheadBudget;
    private final ProducerStateTable producers = new ProducerStateTable();
    /** Open and aborted transactions; guarded by {@code producers}, as the producer state is. */
    private final TransactionIndex transactions = new TransactionIndex();
    private final ProducerStateStore producerState;
    private final ReadCursors cursors;
    private final RecentBatches.Partition recent;
    private final GroupSubscriptions groupSubscriptions;
    private final String producerName = "kafka-" + UUID.randomUUID();
    private final AtomicLong publishSequence = new AtomicLong();
    private volatile LeaderEpochs epochs = LeaderEpochs.NONE;
    private volatile CachedOffset lastEntry;
    private volatile CachedOffset firstEntry;
    private final Set<Runnable> appendListeners = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean waitingOnLedger = new AtomicBoolean();
    /** When this log replaced an earlier log of the partition on this broker; 0 when it did not. */
    private volatile long tookOverAtNanos;
    /** The managed-ledger property that keeps the log start offset DeleteRecords moved to. */
    static final String LOG_START_PROPERTY = "kop.log.start.offset";
    /** The log start offset set by DeleteRecords (-1: none); read from the ledger, so moves keep it. */
    private volatile long deletedBefore;
    /** Offsets below its horizon are served from it; null until the partition is first compacted. */
    private volatile CompactedSegment compacted;
    private final AtomicBoolean compacting = new AtomicBoolean();
    private final LedgerTrimmer trimmer;
    private final TimestampSearch timestamps;

    private record CachedOffset(Position position, long offset) {
    }

    ManagedLedgerPartitionLog(PersistentTopic topic, Executor decodeExecutor, int maxReadEntries,
                              CursorReader.Budget readAheadBudget, RecentBatches.Partition recent) {
        this.topic = topic;
        this.recent = recent;
        this.readAheadBudget = readAheadBudget;
        this.ledger = (ManagedLedgerImpl) topic.getManagedLedger();
        this.decodeExecutor = decodeExecutor;
        this.maxReadEntries = maxReadEntries;
        this.cursors = new ReadCursors(ledger);
        this.groupSubscriptions = new GroupSubscriptions(topic, ledger);
        this.producerState = new ProducerStateStore(ledger, producers, transactions, decodeExecutor);
        this.deletedBefore = parseLogStart(ledger.getProperties().get(LOG_START_PROPERTY));
        this.trimmer = new LedgerTrimmer(ledger);
        this.timestamps = new TimestampSearch(this, ledger);
    }

    private static long parseLogStart(String value) {
        try {
            return value == null ? -1 : Long.parseLong(value);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Makes Pulsar's dispatchers of this topic honour its Kafka transactions (see
     * {@link KafkaTransactionBuffer}); once the producer state is recovered.
     */
    void serveTransactionsToPulsarConsumers() {
        if (!KafkaTransactionBuffer.install(topic, transactions, producers)) {
            LOG.debug("[{}] Pulsar's transaction buffer kept", topic.getName());
        }
    }

    PersistentTopic topic() {
        return topic;
    }

    String topicName() {
        return topic.getName();
    }

    /** This log serves from now on in place of an earlier one of the same partition. */
    void tookOver() {
        tookOverAtNanos = System.nanoTime();
    }

    /** The request reached the broker before this log replaced an earlier one of the partition here. */
    private boolean arrivedBeforeTakeOver(long arrivedNanos) {
        long at = tookOverAtNanos;
        return at != 0 && arrivedNanos - at < 0;
    }

    // ---------------------------------------------------------------- append

    @Override
    public CompletableFuture<AppendResult> append(MutableRecordBatch batch, int numRecords, boolean logAppendTime,
                                                  EntryFormat format, long arrivedNanos, boolean transactionV2) {
        long appendTime = logAppendTime ? System.currentTimeMillis() : -1;
        ByteBuf entry = encode(batch, numRecords, appendTime, format);
        CompletableFuture<Long> baseOffset = new CompletableFuture<>();
        try {
            // Sequence check, state update and publish in one step: the ledger appends in call order.
            synchronized (producers) {
                if (batch.hasProducerId()) {
                    ProducerStateTable.Decision d = producers.check(batch.producerId(), batch.producerEpoch(),
                            batch.baseSequence(), batch.lastSequence(), arrivedBeforeTakeOver(arrivedNanos),
                            transactionV2 && batch.isTransactional());
                    if (d instanceof ProducerStateTable.Duplicate dup) {
                        return dup.baseOffset().thenApply(o -> new AppendResult(o, -1));
                    }
                    if (d instanceof ProducerStateTable.Reject r) {
                        return CompletableFuture.failedFuture(r.error().exception(r.message()));
                    }
                    producers.record(batch.producerId(), batch.producerEpoch(), batch.baseSequence(),
                            batch.lastSequence(), baseOffset, appendTime >= 0 ? appendTime : batch.maxTimestamp());
                    producerState.appended();
                }
                if (batch.isTransactional()) {
                    transactions.publishing(batch.producerId(), ledger.getLastConfirmedEntry());
                }
                try {
                    publish(entry, batch, numRecords, cached -> new Publish(baseOffset, numRecords,
                            publishSequence.incrementAndGet(), cached, appendTime,
                            batch.isTransactional() ? batch.producerId() : -1, batch.producerEpoch(), null));
                } catch (RuntimeException e) {
                    if (batch.isTransactional()) {
                        transactions.notPublished(batch.producerId());
                    }
                    throw e;
                }
            }
        } finally {
            entry.release();
        }
        if (batch.hasProducerId()) {
            long producerId = batch.producerId();
            boolean transactional = batch.isTransactional();
            baseOffset.whenComplete((o, t) -> {
                if (t != null) {
                    synchronized (producers) {
                        producers.forget(producerId);
                        if (transactional) {
                            transactions.notPublished(producerId);
                        }
                    }
                }
            });
        }
        return baseOffset.thenApply(o -> new AppendResult(o, appendTime));
    }

    /**
     * Publishes an entry with the batch's copy reserved in the recent-batches cache; called under the
     * producer lock, so reservations are in append order, which is the ledger's (offset) order.
     */
    private void publish(ByteBuf entry, MutableRecordBatch batch, int numRecords,
                         Function<RecentBatches.Reservation, Publish> publish) {
        RecentBatches.Reservation cached = recent.reserve(batch, numRecords);
        try {
            topic.publishMessage(entry, publish.apply(cached));
        } catch (RuntimeException e) {
            if (cached != null) {
                recent.abandon(cached);
            }
            throw e;
        }
    }

    private ByteBuf encode(MutableRecordBatch batch, int numRecords, long logAppendTime, EntryFormat format) {
        if (format == EntryFormat.PULSAR) {
            return PulsarEntryFormat.encode(batch, numRecords, System.currentTimeMillis(), logAppendTime);
        }
        if (batch.lastOffset() - batch.baseOffset() + 1 != numRecords) {
            throw new InvalidRecordException("batch header counts " + numRecords + " records but spans offsets "
                    + batch.baseOffset() + ".." + batch.lastOffset());
        }
        if (logAppendTime >= 0) {
            batch.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, logAppendTime);
        }
        return KafkaEntryFormat.encode(batch, numRecords, producerName);
    }

    private final class Publish extends IndexedPublish {
        private final CompletableFuture<Long> baseOffset;
        private final int numRecords;
        private final RecentBatches.Reservation cached;
        private final long logAppendTime;
        private final long transactionalProducer;
        private final short epoch;
        private final ControlRecordType marker;

        /**
         * {@code cached}: the batch's copy in {@link RecentBatches}, or null; {@code transactionalProducer}:
         * the producer of a transactional batch or marker, else -1; {@code marker}: what a marker ends
         */
        Publish(CompletableFuture<Long> baseOffset, int numRecords, long sequenceId, RecentBatches.Reservation cached,
                long logAppendTime, long transactionalProducer, short epoch, ControlRecordType marker) {
            super(numRecords, producerName, sequenceId);
            this.baseOffset = baseOffset;
            this.numRecords = numRecords;
            this.cached = cached;
            this.logAppendTime = logAppendTime;
            this.transactionalProducer = transactionalProducer;
            this.epoch = epoch;
            this.marker = marker;
        }

        @Override
        protected void onComplete(Exception e, long lastIndex) {
            if (cached != null && (e != null || lastIndex < 0)) {
                recent.abandon(cached);
            }
            if (e != null) {
                baseOffset.completeExceptionally(StorageErrors.toKafka(e));
            } else if (lastIndex < 0) {
                baseOffset.completeExceptionally(new IllegalStateException("an entry of " + topic.getName()
                        + " has no broker entry index"));
            } else {
                long base = lastIndex - numRecords + 1;
                if (cached != null) {
                    // Before the append is reported, so fetches woken by it already find the batch here.
                    try {
                        recent.commit(cached, base, numRecords, logAppendTime, epochs.latest());
                    } catch (RuntimeException cacheFailure) { // the append stands; only its cached copy is lost
                        LOG.warn("[{}] batch at {} not cached: {}", topic.getName(), base, cacheFailure.toString());
                    }
                }
                if (transactionalProducer >= 0) {
                    // Before the high watermark passes the batch, so the last stable offset never does.
                    synchronized (producers) {
                        if (marker == null) {
                            transactions.begin(transactionalProducer, epoch, base, position(),
                                    ledger.getPreviousPosition(position()));
                        } else {
                            transactions.end(transactionalProducer, marker == ControlRecordType.COMMIT, base,
                                    position());
                        }
                    }
                }
                // Appends complete in ledger order: this entry is the last confirmed one, and the high
                // watermark needs no read of it.
                lastEntry = new CachedOffset(position(), lastIndex + 1);
                baseOffset.complete(base);
            }
        }
    }

    // ---------------------------------------------------------------- transactions

    @Override
    public CompletableFuture<Long> appendMarker(long producerId, short producerEpoch, boolean commit,
                                                int coordinatorEpoch) {
        ControlRecordType type = commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT;
        MemoryRecords records = MemoryRecords.withEndTransactionMarker(0L, System.currentTimeMillis(),
                RecordBatch.NO_PARTITION_LEADER_EPOCH, producerId, producerEpoch,
                new EndTransactionMarker(type, coordinatorEpoch));
        MutableRecordBatch batch = records.batches().iterator().next();
        ByteBuf entry = KafkaEntryFormat.encodeControl(batch, producerName);
        CompletableFuture<Long> offset = new CompletableFuture<>();
        try {
            synchronized (producers) {
                ProducerStateTable.Reject refused = producers.marker(producerId, producerEpoch);
                if (refused != null) {
                    return CompletableFuture.failedFuture(refused.error().exception(refused.message()));
                }
                producerState.appended();
                publish(entry, batch, 1, cached -> new Publish(offset, 1, publishSequence.incrementAndGet(), cached,
                        -1, producerId, producerEpoch, type));
            }
        } finally {
            entry.release();
        }
        return offset;
    }

    @Override
    public CompletableFuture<Long> lastStableOffset() {
        return offsets().thenApply(o -> {
            synchronized (producers) {
                return Math.max(o.logStartOffset(), transactions.lastStableOffset(o.highWatermark()));
            }
        });
    }

    @Override
    public List<AbortedTransaction> abortedTransactions(long from, long upTo) {
        synchronized (producers) {
            return transactions.abortedBetween(from, upTo).stream()
                    .map(a -> new AbortedTransaction(a.producerId(), a.firstOffset())).toList();
        }
    }

    @Override
    public boolean inTransaction(long producerId, short epoch) {
        synchronized (producers) {
            return producers.hasBatchesAt(producerId, epoch) || transactions.isOpen(producerId, epoch);
        }
    }

    @Override
    public long openTransactionStart(long producerId) {
        synchronized (producers) {
            return transactions.openTransactionStart(producerId);
        }
    }

    // ---------------------------------------------------------------- leader epochs

    /**
     * Starts this broker's leader epoch: one above the last in the ledger's history, from the log end.
     * The ledger's properties can only be written by its owner, so this also fails if the partition has
     * moved on.
     */
    CompletableFuture<Void> startEpoch() {
        return offsets().thenCompose(bounds -> {
            LeaderEpochs next = LeaderEpochs.parse(ledger.getProperties().get(LeaderEpochs.PROPERTY))
                    .next(bounds.highWatermark());
            return Ledgers.setProperty(ledger, LeaderEpochs.PROPERTY, next.format()).thenRun(() -> epochs = next);
        });
    }

    @Override
    public java.util.List<ProducerStateTable.ActiveProducer> activeProducers() {
        synchronized (producers) {
            return producers.active();
        }
    }

    @Override
    public int leaderEpoch() {
        return epochs.latest();
    }

    @Override
    public CompletableFuture<LeaderEpochs.EndOffset> endOffsetForEpoch(int epoch) {
        LeaderEpochs current = epochs;
        return offsets().thenApply(bounds -> current.endOffsetFor(epoch, bounds.highWatermark()));
    }

    // ---------------------------------------------------------------- offsets

    @Override
    public CompletableFuture<LogOffsets> offsets() {
        long deleted = deletedBefore;
        CompactedSegment segment = compacted;
        CompletableFuture<LogOffsets> stored = storedOffsets();
        if (segment != null) {
            // The managed ledger below the horizon may be gone: the segment starts the log.
            stored = stored.thenApply(o -> new LogOffsets(Math.min(segment.logStart(), o.highWatermark()),
                    o.highWatermark()));
        }
        if (deleted < 0) {
            return stored;
        }
        return stored.thenApply(o -> o.logStartOffset() >= deleted ? o
                : new LogOffsets(Math.min(deleted, o.highWatermark()), o.highWatermark()));
    }

    @Override
    public CompletableFuture<Long> deleteRecordsBefore(long offset) {
        return offsets().thenCompose(bounds -> {
            long target = offset == -1 ? bounds.highWatermark() : offset;
            if (target < 0 || target > bounds.highWatermark()) {
                throw new OffsetOutOfRangeException("cannot delete records before " + offset + ": the high watermark "
                        + "of " + topic.getName() + " is " + bounds.highWatermark());
            }
            if (target <= bounds.logStartOffset()) {
                return CompletableFuture.completedFuture(bounds.logStartOffset());
            }
            // Only the partition's owner can write the ledger's properties: a moved partition fails here.
            return storageErrors(Ledgers.setProperty(ledger, LOG_START_PROPERTY, Long.toString(target)))
                    .thenApply(v -> {
                        synchronized (this) {
                            deletedBefore = Math.max(deletedBefore, target);
                        }
                        trimBelow(target);
                        return deletedBefore;
                    });
        });
    }

    /** Frees, in the background, the ledgers holding only offsets below {@code offset}. */
    private void trimBelow(long offset) {
        Ledgers.findFirstNotBefore(ledger, entry -> StoredEntries.lastIndex(entry) < offset)
                .thenCompose(position -> {
                    Position first = ledger.getNextValidPosition(ledger.getFirstPosition());
                    if (position == null || position.compareTo(first) <= 0) {
                        return CompletableFuture.completedFuture(null);
                    }
                    return trimmer.trimThrough(ledger.getPreviousPosition(position));
                })
                .exceptionally(t -> {
                    LOG.warn("[{}] ledgers below offset {} not trimmed: {}", topic.getName(), offset, t.toString());
                    return null;
                });
    }

    /** The offsets the ledger holds, before DeleteRecords. */
    private CompletableFuture<LogOffsets> storedOffsets() {
        if (ledger.getNumberOfEntries() == 0) {
            long next = ((ManagedLedgerInterceptorImpl) ledger.getManagedLedgerInterceptor()).getIndex() + 1;
            return CompletableFuture.completedFuture(new LogOffsets(next, next));
        }
        Position last = ledger.getLastConfirmedEntry();
        if (last.getEntryId() < 0) {
            last = ledger.getPreviousPosition(last);
        }
        Position first = ledger.getNextValidPosition(ledger.getFirstPosition());
        CompletableFuture<Long> end = cachedOffset(last, lastEntry, e -> e.lastOffset() + 1,
                c -> lastEntry = c);
        CompletableFuture<Long> start = cachedOffset(first, firstEntry, EntryInfo::baseOffset,
                c -> firstEntry = c);
        return start.thenCombine(end, LogOffsets::new);
    }

    private CompletableFuture<Long> cachedOffset(Position position, CachedOffset cached,
                                                 Function<EntryInfo, Long> offsetOf,
                                                 java.util.function.Consumer<CachedOffset> store) {
        if (cached != null && cached.position().equals(position)) {
            return CompletableFuture.completedFuture(cached.offset());
        }
        return readEntryInfo(position).thenApply(info -> {
            long offset = offsetOf.apply(info);
            store.accept(new CachedOffset(position, offset));
            return offset;
        });
    }

    private CompletableFuture<EntryInfo> readEntryInfo(Position position) {
        return readEntry(position, entry -> PulsarEntryFormat.info(entry.getDataBuffer()));
    }

    /** Reads one entry and applies {@code fn} to it on the storage pool. */
    <T> CompletableFuture<T> readEntry(Position position, Function<Entry, T> fn) {
        return storageErrors(Ledgers.readOne(ledger, position)).thenApplyAsync(entry -> {
            try {
                return fn.apply(entry);
            } finally {
                entry.release();
            }
        }, decodeExecutor);
    }

    private static <T> CompletableFuture<T> storageErrors(CompletableFuture<T> f) {
        return f.exceptionally(t -> {
            throw StorageErrors.toKafkaUnchecked(t);
        });
    }

    // ---------------------------------------------------------------- read

    @Override
    public CompletableFuture<RecordChunks> read(long offset, int maxBytes) {
        return offsets().thenCompose(bounds -> {
            if (offset < bounds.logStartOffset() || offset > bounds.highWatermark()) {
                throw new OffsetOutOfRangeException("offset " + offset + " is outside [" + bounds.logStartOffset()
                        + ", " + bounds.highWatermark() + "] of " + topic.getName());
            }
            if (offset == bounds.highWatermark()) {
                return CompletableFuture.completedFuture(RecordChunks.EMPTY);
            }
            CompactedSegment segment = compacted;
            if (segment != null && offset < segment.horizon()) {
                if (offset <= segment.lastOffset()) {
                    LeaderEpochs e = epochs;
                    return segment.read(offset, maxBytes, decodeExecutor, b -> StoredEntries.stampEpochs(b, e));
                }
                // Nothing survived between here and the horizon: the log goes on there. With nothing there
                // yet, an empty batch up to the horizon moves the consumer past the gap (markers and aborted
                // records end a compacted range of a transactional topic), as compaction's empty batches do.
                long horizon = segment.horizon();
                return read(horizon, maxBytes).thenApply(next -> {
                    if (next.recordCount() > 0) {
                        return next;
                    }
                    next.release();
                    return emptyBatch(offset, horizon - 1);
                });
            }
            RecordChunks cachedBatches = recent.read(offset, maxBytes);
            if (cachedBatches != null) {
                // A reader parked here for this consumer would hold its read-ahead until it expires.
                cursors.discardAt(offset);
                return CompletableFuture.completedFuture(cachedBatches);
            }
            return readAt(offset, maxBytes).thenCompose(served -> {
                // Entries without records (markers, compacted-out messages) hold offsets too:
                // read on, or the client would ask for the same offset forever.
                if (served.records().recordCount() == 0 && served.nextOffset() > offset
                        && served.nextOffset() < bounds.highWatermark()) {
                    served.records().release();
                    return read(served.nextOffset(), maxBytes);
                }
                return CompletableFuture.completedFuture(served.records());
            });
        });
    }

    private record Served(RecordChunks records, long nextOffset) {
    }

    /**
     * A batch without records spanning [from, to]: a Kafka consumer's next fetch starts after its last
     * offset. Counted as one record, so the fetch answers with it.
     */
    private RecordChunks emptyBatch(long from, long to) {
        java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(
                org.apache.kafka.common.record.internal.DefaultRecordBatch.RECORD_BATCH_OVERHEAD);
        org.apache.kafka.common.record.internal.DefaultRecordBatch.writeEmptyHeader(header, RecordBatch.MAGIC_VALUE_V2,
                RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH, RecordBatch.NO_SEQUENCE, from, to,
                epochs.latest(), TimestampType.CREATE_TIME, System.currentTimeMillis(), false, false);
        header.rewind();
        return new RecordChunks(List.of(io.netty.buffer.Unpooled.wrappedBuffer(header)), 1);
    }

    /**
     * Fills the recent-batches cache with about the last {@code maxBytes} of the partition, read from
     * storage, so consumers near the end of a partition that just moved here are answered from memory,
     * as they were by the previous owner. Runs once, in the background, when the log is new; the batches
     * go in only if nothing was appended through this broker yet (the cache holds a partition's batches
     * in offset order). Where to start is estimated from the ledger's average record and entry sizes.
     * Returns the records cached.
     */
    CompletableFuture<Integer> warmRecentBatches(int maxBytes) {
        if (maxBytes <= 0 || ledger.getNumberOfEntries() == 0) {
            return CompletableFuture.completedFuture(0);
        }
        return offsets().thenCompose(bounds -> {
            long records = bounds.highWatermark() - bounds.logStartOffset();
            if (records <= 0) {
                return CompletableFuture.completedFuture(0);
            }
            // At most one read's worth of entries, so the new owner's first answer waits for one
            // BookKeeper read at most.
            double bytesPerRecord = Math.max(1.0, (double) ledger.getTotalSize() / records);
            double recordsPerEntry = Math.max(1.0, (double) records / ledger.getNumberOfEntries());
            long span = (long) Math.min(maxBytes / bytesPerRecord, maxReadEntries * recordsPerEntry);
            long from = Math.max(bounds.logStartOffset(), bounds.highWatermark() - span);
            return warm(from, bounds.highWatermark(), maxBytes, new ArrayList<>());
        });
    }

    private CompletableFuture<Integer> warm(long offset, long end, int budget, List<RecordChunks> read) {
        if (offset >= end || budget <= 0) {
            cursors.discardAt(offset);
            return CompletableFuture.completedFuture(prefill(read));
        }
        return readAt(offset, budget).thenCompose(served -> {
            read.add(served.records());
            if (served.nextOffset() <= offset) {
                cursors.discardAt(served.nextOffset());
                return CompletableFuture.completedFuture(prefill(read));
            }
            return warm(served.nextOffset(), end, budget - Math.max(served.records().sizeInBytes(), 1), read);
        }).whenComplete((n, t) -> {
            if (t != null) {
                read.forEach(RecordChunks::release);
            }
        });
    }

    /** Copies what was read into the cache, unless appends got there first; gives the reads back. */
    private int prefill(List<RecordChunks> read) {
        try {
            List<MutableRecordBatch> batches = new ArrayList<>();
            read.forEach(r -> batches.addAll(r.batches()));
            return recent.prefill(batches);
        } finally {
            read.forEach(RecordChunks::release);
        }
    }

    /** Serves from the reader parked at {@code offset} (with what it read ahead), or from a new cursor. */
    private CompletableFuture<Served> readAt(long offset, int maxBytes) {
        CursorReader parked = cursors.take(offset);
        CompletableFuture<CursorReader> reader = parked != null ? CompletableFuture.completedFuture(parked)
                : newCursorAt(offset).thenApply(c -> new CursorReader(c, offset, this::readDecoded, readAheadBudget));
        return reader.thenCompose(r -> r.next(maxBytes)
                .thenApply(entries -> {
                    Served served = serve(entries, offset);
                    cursors.park(served.nextOffset(), r);
                    return served;
                })
                .whenComplete((served, t) -> {
                    if (t != null) {
                        cursors.discard(r);
                    }
                }));
    }

    private static Served serve(List<DecodedEntry> entries, long offset) {
        List<ByteBuf> chunks = new ArrayList<>(entries.size());
        int records = 0;
        long next = offset;
        for (DecodedEntry e : entries) {
            chunks.add(e.batches());
            records += e.records();
            next = Math.max(next, e.nextOffset());
        }
        return new Served(new RecordChunks(chunks, records), next);
    }

    private CompletableFuture<ManagedCursor> newCursorAt(long offset) {
        return Ledgers.findFirstNotBefore(ledger, entry -> StoredEntries.lastIndex(entry) < offset).thenApply(position -> {
            if (position == null) {
                throw new IllegalStateException("cannot find the entry of offset " + offset + " in " + topic.getName());
            }
            try {
                // A non-durable cursor starts reading after the given position.
                return ledger.newNonDurableCursor(ledger.getPreviousPosition(position),
                        "kop-read-" + UUID.randomUUID());
            } catch (ManagedLedgerException e) {
                throw StorageErrors.toKafkaUnchecked(e);
            }
        });
    }

    /** Reads the cursor's next entries, about {@code maxBytes}, and decodes them on the storage pool. */
    private CompletableFuture<List<DecodedEntry>> readDecoded(ManagedCursor cursor, long fromOffset, int maxBytes) {
        return storageErrors(Ledgers.read(cursor, maxReadEntries, Math.max(1, maxBytes)))
                .thenApplyAsync(entries -> StoredEntries.decode(entries, fromOffset, epochs), decodeExecutor);
    }

    @Override
    public Runnable onNextAppend(Runnable callback) {
        appendListeners.add(callback);
        // One ledger callback per log however many fetches wait: the ledger keeps callbacks until the
        // next append, which on an idle topic may be long after the fetches gave up.
        if (waitingOnLedger.compareAndSet(false, true)) {
            ledger.addWaitingEntryCallBack(this::entriesAvailable);
        }
        return () -> appendListeners.remove(callback);
    }

    private void entriesAvailable() {
        waitingOnLedger.set(false);
        List<Runnable> due = new ArrayList<>(appendListeners);
        appendListeners.removeAll(due);
        due.forEach(Runnable::run);
    }

    // ---------------------------------------------------------------- timestamps

    @Override
    public CompletableFuture<OffsetAndTimestamp> offsetForTimestamp(long timestamp) {
        long deleted = deletedBefore;
        CompletableFuture<OffsetAndTimestamp> found = timestamps.firstAtOrAfter(timestamp);
        if (deleted < 0) {
            return found;
        }
        // Records below the log start offset are gone: the answer is the first one still served.
        return found.thenCompose(f -> f.offset() < 0 || f.offset() >= deleted ? CompletableFuture.completedFuture(f)
                : offsets().thenApply(b -> b.logStartOffset() >= b.highWatermark() ? new OffsetAndTimestamp(-1, -1)
                        : new OffsetAndTimestamp(b.logStartOffset(), f.timestamp())));
    }

    @Override
    public CompletableFuture<OffsetAndTimestamp> maxTimestamp() {
        return timestamps.max();
    }

    // ---------------------------------------------------------------- group subscriptions

    @Override
    public CompletableFuture<Void> mirrorGroups(java.util.Map<String, Long> committedOffsets) {
        return groupSubscriptions.mirror(committedOffsets);
    }

    // ---------------------------------------------------------------- producer state recovery

    /** Rebuilds the producer state ({@link ProducerStateStore#recover}); how many entries it read. */
    CompletableFuture<Long> recoverProducerState(long maxRecords) {
        return offsets().thenCompose(bounds -> producerState.recover(bounds, maxRecords, this::newCursorAt));
    }

    /** Stores the producer state if idempotent batches were appended since the last time. */
    CompletableFuture<Void> snapshotProducerState(long maxRecords) {
        return producerState.changed()
                ? offsets().thenCompose(bounds -> producerState.snapshot(bounds, maxRecords))
                : CompletableFuture.completedFuture(null);
    }

    // ---------------------------------------------------------------- lifecycle

    void expireIdleCursors(long maxIdleMs) {
        cursors.expire(maxIdleMs);
    }

    void close() {
        cursors.closeAll();
        recent.clear();
        CompactedSegment segment = compacted;
        if (segment != null) {
            segment.close();
        }
    }

    // ---------------------------------------------------------------- compaction

    /** Opens the compacted segment the ledger's properties name, if there is one; before the log serves. */
    CompletableFuture<Void> openCompactedSegment(org.apache.bookkeeper.client.api.BookKeeper bk) {
        CompactedSegment.Pointer pointer;
        try {
            pointer = CompactedSegment.Pointer.parse(ledger.getProperties().get(CompactedSegment.PROPERTY));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("bad " + CompactedSegment.PROPERTY
                    + " of " + topic.getName() + ": " + e.getMessage()));
        }
        if (pointer == null) {
            return CompletableFuture.completedFuture(null);
        }
        return CompactedSegment.open(bk, ledger.getConfig(), pointer).thenAccept(s -> compacted = s);
    }

    /**
     * What compaction needs to decide whether to run: records compacted, records (and about the bytes)
     * since, and since when (the last run; for a partition never compacted, its first ledger's close, 0
     * while that ledger is open).
     */
    record Dirt(long cleanRecords, long dirtyRecords, long dirtyBytes, long dirtySinceMs) {
    }

    CompletableFuture<Dirt> dirt() {
        CompactedSegment segment = compacted;
        return storedOffsets().thenApply(o -> {
            long from = segment == null ? o.logStartOffset() : Math.max(segment.horizon(), o.logStartOffset());
            var first = ledger.getLedgersInfo().firstEntry();
            long since = segment != null ? segment.createdAt()
                    : first == null ? System.currentTimeMillis() : first.getValue().getTimestamp();
            return new Dirt(segment == null ? 0 : segment.records(), Math.max(0, o.highWatermark() - from),
                    ledger.getTotalSize(), since);
        });
    }

    /**
     * Compacts the partition once (see {@link LogCompaction}); null when a run is under way. The new
     * segment is named in the ledger's properties (so only the owner can), then serves; the previous
     * segment's ledger is deleted a minute later, when no read can still be using it.
     */
    CompletableFuture<LogCompaction.Result> compact(org.apache.bookkeeper.client.api.BookKeeper bk,
                                                    LogCompaction.Settings settings) {
        if (!compacting.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        CompactedSegment previous = compacted;
        return offsets().thenCombine(lastStableOffset(), (bounds, lso) -> new long[] {bounds.logStartOffset(),
                bounds.highWatermark(), lso}).thenCompose(b -> {
            LogOffsets bounds = new LogOffsets(b[0], b[1]);
            long stable = b[2];
            long from = previous == null ? bounds.logStartOffset()
                    : Math.max(previous.horizon(), bounds.logStartOffset());
            List<TransactionIndex.Aborted> aborted;
            synchronized (producers) {
                aborted = transactions.abortedBetween(from, stable);
            }
            LogCompaction run = new LogCompaction(this, bk, ledger.getConfig(), decodeExecutor, settings,
                    System.currentTimeMillis(), aborted);
            // Only below the last stable offset: an open transaction may still abort.
            return run.run(previous, from, stable, bounds.logStartOffset()).thenCompose(r -> {
                if (r.ledgerId() < 0) {
                    return CompletableFuture.completedFuture(r);
                }
                CompactedSegment.Pointer pointer = new CompactedSegment.Pointer(r.end(), r.ledgerId(),
                        bounds.logStartOffset(), System.currentTimeMillis());
                return Ledgers.setProperty(ledger, CompactedSegment.PROPERTY, pointer.encode())
                        .whenComplete((v, t) -> {
                            if (t != null) {
                                LogCompaction.deleteLedger(bk, r.ledgerId());
                            }
                        })
                        .thenCompose(v -> CompactedSegment.open(bk, ledger.getConfig(), pointer))
                        .thenApply(segment -> {
                            compacted = segment;
                            if (previous != null) {
                                CompletableFuture.delayedExecutor(60, java.util.concurrent.TimeUnit.SECONDS)
                                        .execute(() -> {
                                            previous.close();
                                            LogCompaction.deleteLedger(bk, previous.pointer().ledgerId());
                                        });
                            }
                            trimmer.trimThrough(r.lastEntryBelowEnd()).exceptionally(t -> {
                                LOG.warn("[{}] ledgers below the compaction horizon not trimmed: {}",
                                        topic.getName(), t.toString());
                                return null;
                            });
                            return r;
                        });
            });
        }).whenComplete((r, t) -> compacting.set(false));
    }

    /** A non-durable cursor that reads from the entry holding {@code offset}. */
    CompletableFuture<ManagedCursor> cursorAt(long offset) {
        return newCursorAt(offset);
    }

    void dropCursor(ManagedCursor cursor) {
        Ledgers.deleteCursor(ledger, cursor);
    }
}
