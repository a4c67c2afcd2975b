package io.kop.coordinator.bridge;

import io.kop.format.KafkaEntryFormat;
import io.kop.storage.Ledgers;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.bookkeeper.mledger.Entry;
import org.apache.bookkeeper.mledger.ManagedCursor;
import org.apache.bookkeeper.mledger.ManagedLedger;
import org.apache.bookkeeper.mledger.ManagedLedgerException;
import org.apache.bookkeeper.mledger.Position;
import org.apache.bookkeeper.mledger.PositionFactory;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.coordinator.transaction.TransactionLog;
import org.apache.kafka.coordinator.transaction.TransactionMetadata;
import org.apache.kafka.coordinator.transaction.TxnTransitMetadata;
import org.apache.kafka.server.common.TransactionVersion;
import org.apache.pulsar.broker.service.BrokerService;
import org.apache.pulsar.broker.service.persistent.PersistentTopic;
import org.apache.pulsar.common.naming.TopicName;

/**
 * One {@code __transaction_state} partition on its owner: the transactions it holds, read back from
 * the managed ledger when the broker takes it over, and the records of their transitions, in Kafka's
 * transaction-log format ({@link TransactionLog}), appended to it. Only the owner can append (opening
 * the ledger fences the previous owner's writes). Every {@value #SNAPSHOT_EVERY} writes, when none is
 * in flight, the state of every transaction is written as one snapshot entry, the managed-ledger
 * property {@value #SNAPSHOT_PROPERTY} points the next load at it, and the durable cursor
 * {@value #CURSOR} moves up to it, so Pulsar deletes the ledgers before it.
 */
final class TransactionLogPartition {
    static final String SNAPSHOT_PROPERTY = "kop.txn.snapshot";
    static final String CURSOR = "kop-txn-log";
    static final int SNAPSHOT_EVERY = 1000;
    private static final int READ_BATCH = 100;

    final int partition;
    final int coordinatorEpoch;
    private final ManagedLedger ledger;
    private final ManagedCursor retention;
    /** Touched only on the coordinator's thread. */
    final Map<String, TransactionMetadata> transactions;
    private int writesSinceSnapshot;
    private int inFlight;

    private TransactionLogPartition(int partition, int coordinatorEpoch, ManagedLedger ledger, ManagedCursor retention,
                                    Map<String, TransactionMetadata> transactions) {
        this.partition = partition;
        this.coordinatorEpoch = coordinatorEpoch;
        this.ledger = ledger;
        this.retention = retention;
        this.transactions = transactions;
    }

    /** Opens the partition's topic and reads its transactions, decoding on {@code executor}. */
    static CompletableFuture<TransactionLogPartition> load(BrokerService brokers, TopicName name, int partition,
                                                           int coordinatorEpoch, Executor executor) {
        return brokers.getTopic(name, true, null).thenCompose(opt -> {
            if (opt.isEmpty() || !(opt.get() instanceof PersistentTopic topic)) {
                throw new IllegalStateException("cannot open " + name);
            }
            ManagedLedger ledger = topic.getManagedLedger();
            // The retention cursor first: with it Pulsar keeps everything after the last snapshot.
            return Ledgers.openDurableCursor(ledger, CURSOR).thenCompose(cursor -> {
                Map<String, TransactionMetadata> read = new HashMap<>();
                return readAll(ledger, read, executor).thenApply(v ->
                        new TransactionLogPartition(partition, coordinatorEpoch, ledger, cursor, read));
            });
        });
    }

    private static CompletableFuture<Void> readAll(ManagedLedger ledger, Map<String, TransactionMetadata> into,
                                                   Executor executor) {
        if (ledger.getNumberOfEntries() == 0) {
            return CompletableFuture.completedFuture(null);
        }
        String snapshot = ledger.getProperties().get(SNAPSHOT_PROPERTY);
        Position from = snapshot == null ? PositionFactory.EARLIEST
                : ledger.getPreviousPosition(parsePosition(snapshot));
        ManagedCursor cursor;
        try {
            cursor = ledger.newNonDurableCursor(from, "kop-txn-load-" + UUID.randomUUID());
        } catch (ManagedLedgerException e) {
            return CompletableFuture.failedFuture(e);
        }
        return readFrom(cursor, into, executor).whenComplete((v, t) -> Ledgers.deleteCursor(ledger, cursor));
    }

    private static CompletableFuture<Void> readFrom(ManagedCursor cursor, Map<String, TransactionMetadata> into,
                                                    Executor executor) {
        if (!cursor.hasMoreEntries()) {
            return CompletableFuture.completedFuture(null);
        }
        return Ledgers.read(cursor, READ_BATCH).thenApplyAsync(entries -> {
            try {
                for (Entry entry : entries) {
                    apply(entry.getDataBuffer(), into);
                }
            } finally {
                entries.forEach(Entry::release);
            }
            return null;
        }, executor).thenCompose(v -> readFrom(cursor, into, executor));
    }

    /** A snapshot entry replaces what was read so far; a record entry updates one transaction. */
    private static void apply(ByteBuf entry, Map<String, TransactionMetadata> into) {
        if (KafkaEntryFormat.isSnapshot(entry)) {
            into.clear();
        }
        for (Record r : KafkaEntryFormat.snapshotRecords(entry).records()) {
            if (!r.hasKey()) {
                continue; // the placeholder of an empty snapshot
            }
            TransactionLog.ReadResult result = TransactionLog.read(r.key(), r.value());
            if (result instanceof TransactionLog.TxnRecord record) {
                into.put(record.transactionId(), record.metadata());
            } else if (result instanceof TransactionLog.TxnTombstone tombstone) {
                into.remove(tombstone.transactionId());
            }
        }
    }

    /** Appends a transaction's next state; completes once it is stored. */
    CompletableFuture<Void> write(String transactionalId, TxnTransitMetadata transit) {
        return append(transactionalId, TransactionLog.valueToBytes(transit, transit.clientTransactionVersion()));
    }

    /** Appends a transactional id's tombstone (it expired); completes once it is stored. */
    CompletableFuture<Void> writeTombstone(String transactionalId) {
        return append(transactionalId, null);
    }

    private CompletableFuture<Void> append(String transactionalId, byte[] value) {
        MemoryRecords records = MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(
                System.currentTimeMillis(), TransactionLog.keyToBytes(transactionalId), value));
        ByteBuf entry = KafkaEntryFormat.encode(records, 1, "kop-txn-coordinator", 0);
        inFlight++;
        writesSinceSnapshot++;
        return Ledgers.addWithoutOffsets(ledger, entry).whenComplete((p, t) -> entry.release())
                .thenApply(p -> null);
    }

    /** A write has been answered (called on the coordinator's thread). */
    void written() {
        inFlight--;
    }

    /**
     * Writes a snapshot if enough records were written since the last and none is in flight (a snapshot
     * taken while one is would miss it, and the next load would start after it). On the coordinator's
     * thread; the states are encoded before it returns.
     */
    CompletableFuture<Void> maybeSnapshot() {
        if (writesSinceSnapshot < SNAPSHOT_EVERY || inFlight > 0) {
            return CompletableFuture.completedFuture(null);
        }
        writesSinceSnapshot = 0;
        List<SimpleRecord> records = new ArrayList<>();
        long now = System.currentTimeMillis();
        transactions.forEach((id, md) -> records.add(new SimpleRecord(now, TransactionLog.keyToBytes(id),
                TransactionLog.valueToBytes(md.prepareNoTransit(), md.clientTransactionVersion()))));
        if (records.isEmpty()) {
            records.add(new SimpleRecord(now, (byte[]) null, (byte[]) null)); // an empty state still needs an entry
        }
        ByteBuf entry = KafkaEntryFormat.encodeSnapshot(
                MemoryRecords.withRecords(Compression.NONE, records.toArray(new SimpleRecord[0])), records.size());
        return Ledgers.addWithoutOffsets(ledger, entry).whenComplete((p, t) -> entry.release())
                .thenCompose(position -> Ledgers.setProperty(ledger, SNAPSHOT_PROPERTY,
                                position.getLedgerId() + ":" + position.getEntryId())
                        .thenCompose(v -> Ledgers.markDelete(retention, ledger.getPreviousPosition(position))
                                .exceptionally(t -> null))); // the ledgers stay until a later snapshot
    }

    private static Position parsePosition(String s) {
        String[] p = s.split(":");
        return PositionFactory.create(Long.parseLong(p[0]), Long.parseLong(p[1]));
    }
}
