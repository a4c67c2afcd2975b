package io.kop.coordinator.bridge;

import io.kop.format.KafkaEntryFormat;
import io.kop.format.KafkaEntryFormat.StoredBatches;
import io.kop.storage.Ledgers;
import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import org.apache.bookkeeper.mledger.Entry;
import org.apache.bookkeeper.mledger.ManagedCursor;
import org.apache.bookkeeper.mledger.ManagedLedger;
import org.apache.bookkeeper.mledger.ManagedLedgerException;
import org.apache.bookkeeper.mledger.Position;
import org.apache.bookkeeper.mledger.PositionFactory;
import org.apache.bookkeeper.mledger.impl.ManagedLedgerImpl;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.ControlRecordType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code __consumer_offsets} bounded with Kafka's compaction rules: once enough records were
 * written since the last run, the latest record of every key below the confirmed end E (the previous
 * snapshot plus the log since it) is written as one snapshot entry at the log's tail, keeping the
 * records' own offsets; keys whose latest record is a tombstone are dropped (nothing older survives to
 * be shadowed). The snapshot entry takes no offsets (and so has no broker entry index), so the
 * coordinator's offsets stay dense. The managed-ledger property {@value #PROPERTY} points the loader at
 * the snapshot and at the first entry after E; the durable cursor {@value #CURSOR} moves to the last
 * entry before E, so Pulsar drops the ledgers behind it. E stays below the first transactional offset
 * commit whose transaction has not ended; the records of transactions below it are resolved by their
 * markers (read up to the confirmed end): committed ones count as plain commits, aborted ones are
 * dropped, and the markers themselves are not kept.
 */
final class OffsetsCompactor {
    private static final Logger log = LoggerFactory.getLogger(OffsetsCompactor.class);
    static final String PROPERTY = "kop.offsets.snapshot";
    static final String CURSOR = "kop-offsets-compaction";

    private final java.util.concurrent.Executor executor;
    private final long thresholdRecords;

    /**
     * The latest snapshot: it holds the live records below {@code upTo}; the log's records from
     * {@code upTo} on start at entry {@code resume}.
     */
    record Snapshot(long upTo, Position position, Position resume) {
        static Optional<Snapshot> of(ManagedLedger ledger) {
            String value = ledger.getProperties().get(PROPERTY);
            if (value == null) {
                return Optional.empty();
            }
            String[] parts = value.split("\\|");
            return Optional.of(new Snapshot(Long.parseLong(parts[0]), position(parts[1]), position(parts[2])));
        }

        private static Position position(String s) {
            String[] p = s.split(":");
            return PositionFactory.create(Long.parseLong(p[0]), Long.parseLong(p[1]));
        }

        String encode() {
            return upTo + "|" + position.getLedgerId() + ":" + position.getEntryId() + "|"
                    + resume.getLedgerId() + ":" + resume.getEntryId();
        }
    }

    /** How far a scan got: the last entry below {@code upTo}, and where the records from {@code upTo} start. */
    private static final class ScanEnd {
        Position lastBelow;
        Position resume;
    }

    private record LiveRecord(long offset, long timestamp, byte[] key, byte[] value) {
    }

    OffsetsCompactor(ExecutorService executor, long thresholdRecords) {
        this.executor = Ledgers.inlineOnceShutDown(executor);
        this.thresholdRecords = thresholdRecords;
    }

    void maybeCompact(TopicPartition tp, OffsetsPartition p) {
        long confirmed = p.confirmedEnd;
        long upTo = Math.min(confirmed, p.openTransactions.firstOffset());
        if (p.compacting || upTo - p.compactedUpTo < thresholdRecords) {
            return;
        }
        p.compacting = true;
        long start = System.currentTimeMillis();
        executor.execute(() -> compact(p, upTo, confirmed).whenComplete((survivors, t) -> {
            p.compacting = false;
            if (t != null) {
                log.warn("{}: compaction up to {} failed: {}", tp, upTo, t.toString());
            } else {
                log.info("{}: compacted up to offset {}: {} live records, {} ms", tp, upTo, survivors,
                        System.currentTimeMillis() - start);
            }
        }));
    }

    /** Compacts the records below {@code upTo}; markers are read up to {@code confirmed} to resolve them. */
    private CompletableFuture<Integer> compact(OffsetsPartition p, long upTo, long confirmed) {
        ManagedLedgerImpl ledger = p.ledger;
        Map<ByteBuffer, LiveRecord> live = new HashMap<>();
        Optional<Snapshot> previous = Snapshot.of(ledger);
        CompletableFuture<Void> fromSnapshot = previous.map(s -> Ledgers.readOne(ledger, s.position())
                .thenAccept(entry -> {
                    try {
                        absorb(KafkaEntryFormat.snapshotRecords(entry.getDataBuffer()), live, null, true);
                    } finally {
                        entry.release();
                    }
                })).orElse(CompletableFuture.completedFuture(null));
        ScanEnd end = new ScanEnd();
        Map<Long, List<LiveRecord>> staged = new HashMap<>();
        return fromSnapshot
                .thenCompose(v -> scan(ledger, previous.map(Snapshot::resume).orElse(null), upTo, confirmed, live,
                        staged, end))
                .thenCompose(v -> {
                    if (!staged.isEmpty()) {
                        throw new IllegalStateException("transactional offsets of producers " + staged.keySet()
                                + " below offset " + upTo + " have no marker yet");
                    }
                    return writeSnapshot(p, upTo, live, end);
                });
    }

    /**
     * Adds the log's records from entry {@code from} (null: the first) up to {@code upTo} to {@code live},
     * those of transactions once their marker is read (up to {@code confirmed}).
     */
    private CompletableFuture<Void> scan(ManagedLedgerImpl ledger, Position from, long upTo, long confirmed,
                                         Map<ByteBuffer, LiveRecord> live, Map<Long, List<LiveRecord>> staged,
                                         ScanEnd end) {
        ManagedCursor cursor;
        try {
            cursor = ledger.newNonDurableCursor(from == null ? PositionFactory.EARLIEST : ledger.getPreviousPosition(from),
                    "kop-offsets-compact-" + UUID.randomUUID());
        } catch (ManagedLedgerException e) {
            return CompletableFuture.failedFuture(e);
        }
        return scanWith(cursor, upTo, confirmed, live, staged, end)
                .whenComplete((v, t) -> Ledgers.deleteCursor(ledger, cursor));
    }

    private CompletableFuture<Void> scanWith(ManagedCursor cursor, long upTo, long confirmed,
                                             Map<ByteBuffer, LiveRecord> live, Map<Long, List<LiveRecord>> staged,
                                             ScanEnd end) {
        if (!cursor.hasMoreEntries()) {
            if (end.resume == null) {
                end.resume = cursor.getReadPosition();
            }
            return CompletableFuture.completedFuture(null);
        }
        return Ledgers.read(cursor, 100).thenComposeAsync(entries -> {
            boolean done = false;
            try {
                for (Entry entry : entries) {
                    ByteBuf data = entry.getDataBuffer();
                    if (KafkaEntryFormat.isSnapshot(data)) {
                        continue;
                    }
                    StoredBatches stored = KafkaEntryFormat.decode(data);
                    if (stored.baseOffset() >= upTo) {
                        if (end.resume == null) {
                            end.resume = entry.getPosition();
                        }
                        if (staged.isEmpty() || stored.baseOffset() >= confirmed) {
                            done = true;
                            break;
                        }
                        absorb(stored.records(), live, staged, false); // only markers from here on
                        continue;
                    }
                    absorb(stored.records(), live, staged, true);
                    end.lastBelow = entry.getPosition();
                }
            } finally {
                entries.forEach(Entry::release);
            }
            return done ? CompletableFuture.completedFuture(null)
                    : scanWith(cursor, upTo, confirmed, live, staged, end);
        }, executor);
    }

    /**
     * Latest record per key wins; a tombstone keeps its place until the snapshot drops it. Records of a
     * transaction wait in {@code staged} (null: there are none, a snapshot) until its marker: a commit
     * adds them (each still only if it is the latest of its key), an abort drops them. With
     * {@code records} false only markers are taken.
     */
    private static void absorb(MemoryRecords records, Map<ByteBuffer, LiveRecord> live,
                               Map<Long, List<LiveRecord>> staged, boolean takeRecords) {
        for (MutableRecordBatch batch : records.batches()) {
            if (batch.isControlBatch()) {
                List<LiveRecord> pending = staged == null ? null : staged.remove(batch.producerId());
                if (pending != null && ControlRecordType.parse(batch.iterator().next().key()) == ControlRecordType.COMMIT) {
                    pending.forEach(r -> putLatest(live, r));
                }
                continue;
            }
            if (!takeRecords) {
                continue;
            }
            for (Record r : batch) {
                if (!r.hasKey()) {
                    continue;
                }
                byte[] key = bytes(r.key());
                LiveRecord record = new LiveRecord(r.offset(), r.timestamp(), key, r.hasValue() ? bytes(r.value()) : null);
                if (batch.isTransactional() && staged != null) {
                    staged.computeIfAbsent(batch.producerId(), id -> new ArrayList<>()).add(record);
                } else {
                    putLatest(live, record);
                }
            }
        }
    }

    private static void putLatest(Map<ByteBuffer, LiveRecord> live, LiveRecord record) {
        live.merge(ByteBuffer.wrap(record.key()), record, (old, neu) -> neu.offset() > old.offset() ? neu : old);
    }

    private CompletableFuture<Integer> writeSnapshot(OffsetsPartition p, long upTo, Map<ByteBuffer, LiveRecord> live,
                                                     ScanEnd end) {
        List<LiveRecord> survivors = new ArrayList<>();
        live.values().stream().filter(r -> r.value() != null).sorted(Comparator.comparingLong(LiveRecord::offset))
                .forEach(survivors::add);
        int size = survivors.stream().mapToInt(r -> r.key().length + r.value().length + 32).sum() + 128;
        MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(size), RecordBatch.CURRENT_MAGIC_VALUE,
                Compression.NONE, TimestampType.CREATE_TIME, survivors.isEmpty() ? 0 : survivors.get(0).offset());
        survivors.forEach(r -> builder.appendWithOffset(r.offset(), r.timestamp(), r.key(), r.value()));
        ByteBuf entry = KafkaEntryFormat.encodeSnapshot(builder.build(), survivors.size());
        CompletableFuture<Position> added;
        try {
            added = Ledgers.addWithoutOffsets(p.ledger, entry);
        } finally {
            entry.release();
        }
        return added
                .thenCompose(position -> Ledgers.setProperty(p.ledger, PROPERTY,
                        new Snapshot(upTo, position, end.resume).encode()))
                .thenCompose(v -> end.lastBelow == null ? CompletableFuture.completedFuture(null)
                        : Ledgers.markDelete(p.compactionCursor, end.lastBelow))
                .thenApply(v -> {
                    p.compactedUpTo = upTo;
                    return survivors.size();
                });
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
