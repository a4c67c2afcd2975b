package io.kop.storage;

import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.apache.bookkeeper.mledger.AsyncCallbacks;
import org.apache.bookkeeper.mledger.Entry;
import org.apache.bookkeeper.mledger.ManagedCursor;
import org.apache.bookkeeper.mledger.ManagedLedger;
import org.apache.bookkeeper.mledger.ManagedLedgerException;
import org.apache.bookkeeper.mledger.ManagedLedgerFactory;
import org.apache.bookkeeper.mledger.ManagedLedgerInfo;
import org.apache.bookkeeper.mledger.Position;
import org.apache.bookkeeper.mledger.PositionFactory;
import org.apache.pulsar.common.api.proto.CommandSubscribe;

/** Managed-ledger callbacks as futures. */
public final class Ledgers {
    private Ledgers() {
    }

    /**
     * An executor that runs a task on the caller's thread once {@code executor} refuses it (it was shut
     * down): work on entries read from storage then still runs and releases them, rather than leaving
     * them to the garbage collector when a coordinator closes while a read is in flight.
     */
    public static java.util.concurrent.Executor inlineOnceShutDown(java.util.concurrent.Executor executor) {
        return task -> {
            try {
                executor.execute(task);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                task.run();
            }
        };
    }

    public static CompletableFuture<ManagedCursor> openDurableCursor(ManagedLedger ledger, String name) {
        CompletableFuture<ManagedCursor> f = new CompletableFuture<>();
        ledger.asyncOpenCursor(name, CommandSubscribe.InitialPosition.Earliest, new AsyncCallbacks.OpenCursorCallback() {
            @Override
            public void openCursorComplete(ManagedCursor cursor, Object ctx) {
                f.complete(cursor);
            }

            @Override
            public void openCursorFailed(ManagedLedgerException exception, Object ctx) {
                f.completeExceptionally(exception);
            }
        }, null);
        return f;
    }

    public static CompletableFuture<List<Entry>> read(ManagedCursor cursor, int maxEntries) {
        return read(cursor, maxEntries, Long.MAX_VALUE);
    }

    /** At most {@code maxEntries} entries and, beyond the first, about {@code maxBytes}. */
    public static CompletableFuture<List<Entry>> read(ManagedCursor cursor, int maxEntries, long maxBytes) {
        CompletableFuture<List<Entry>> f = new CompletableFuture<>();
        cursor.asyncReadEntries(maxEntries, maxBytes, new AsyncCallbacks.ReadEntriesCallback() {
            @Override
            public void readEntriesComplete(List<Entry> entries, Object ctx) {
                for (Entry e : entries) {
                    e.getDataBuffer().touch(cursor.getName()); // names the reader in leak reports
                }
                f.complete(entries);
            }

            @Override
            public void readEntriesFailed(ManagedLedgerException exception, Object ctx) {
                f.completeExceptionally(exception);
            }
        }, null, PositionFactory.LATEST);
        return f;
    }

    public static CompletableFuture<Entry> readOne(ManagedLedger ledger, Position position) {
        CompletableFuture<Entry> f = new CompletableFuture<>();
        ledger.asyncReadEntry(position, new AsyncCallbacks.ReadEntryCallback() {
            @Override
            public void readEntryComplete(Entry entry, Object ctx) {
                entry.getDataBuffer().touch("single read of " + ledger.getName()); // for leak reports
                f.complete(entry);
            }

            @Override
            public void readEntryFailed(ManagedLedgerException exception, Object ctx) {
                f.completeExceptionally(exception);
            }
        }, null);
        return f;
    }

    /**
     * The position after the last entry that matches {@code before} (the entries that match are a prefix
     * of the ledger), found by binary search. The search hands each entry it reads to the condition and
     * does not release it (Pulsar's own callers release it there), so the condition here does.
     */
    public static CompletableFuture<Position> findFirstNotBefore(ManagedLedger ledger, Predicate<Entry> before) {
        return ledger.asyncFindPosition(entry -> {
            try {
                return before.test(entry);
            } finally {
                entry.release();
            }
        });
    }

    /** Appends an entry that takes no offsets: the broker entry index does not move. */
    public static CompletableFuture<Position> addWithoutOffsets(ManagedLedger ledger, ByteBuf entry) {
        CompletableFuture<Position> f = new CompletableFuture<>();
        ledger.asyncAddEntry(entry, 0, new AsyncCallbacks.AddEntryCallback() {
            @Override
            public void addComplete(Position position, ByteBuf entryData, Object ctx) {
                f.complete(position);
            }

            @Override
            public void addFailed(ManagedLedgerException exception, Object ctx) {
                f.completeExceptionally(exception);
            }
        }, null);
        return f;
    }

    public static CompletableFuture<Void> setProperty(ManagedLedger ledger, String key, String value) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        ledger.asyncSetProperty(key, value, new AsyncCallbacks.UpdatePropertiesCallback() {
            @Override
            public void updatePropertiesComplete(Map<String, String> properties, Object ctx) {
                f.complete(null);
            }

            @Override
            public void updatePropertiesFailed(ManagedLedgerException exception, Object ctx) {
                f.completeExceptionally(exception);
            }
        }, null);
        return f;
    }

    /** The stored metadata of a managed ledger (ledgers, properties), without opening it. */
    public static CompletableFuture<ManagedLedgerInfo> info(ManagedLedgerFactory factory, String name) {
        CompletableFuture<ManagedLedgerInfo> f = new CompletableFuture<>();
        factory.asyncGetManagedLedgerInfo(name, new AsyncCallbacks.ManagedLedgerInfoCallback() {
            @Override
            public void getInfoComplete(ManagedLedgerInfo info, Object ctx) {
                f.complete(info);
            }

            @Override
            public void getInfoFailed(ManagedLedgerException exception, Object ctx) {
                f.completeExceptionally(exception);
            }
        }, null);
        return f;
    }

    /** Deletes a cursor in the background; a failure only leaves an idle cursor behind. */
    public static void deleteCursor(ManagedLedger ledger, ManagedCursor cursor) {
        ledger.asyncDeleteCursor(cursor.getName(), new AsyncCallbacks.DeleteCursorCallback() {
            @Override
            public void deleteCursorComplete(Object ctx) {
            }

            @Override
            public void deleteCursorFailed(ManagedLedgerException exception, Object ctx) {
            }
        }, null);
    }

    public static CompletableFuture<Void> markDelete(ManagedCursor cursor, Position position) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        cursor.asyncMarkDelete(position, new AsyncCallbacks.MarkDeleteCallback() {
            @Override
            public void markDeleteComplete(Object ctx) {
                f.complete(null);
            }

            @Override
            public void markDeleteFailed(ManagedLedgerException exception, Object ctx) {
                f.completeExceptionally(exception);
            }
        }, null);
        return f;
    }
}
