package io.kop.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.bookkeeper.mledger.Entry;
import org.apache.bookkeeper.mledger.ManagedCursor;
import org.apache.bookkeeper.mledger.ManagedLedger;

/**
 * Non-durable cursors parked between fetches, keyed by the offset they will read next. A consumer reading
 * sequentially takes its cursor back on the next fetch and skips the offset lookup; the read for that
 * next fetch is already under way when it is parked (read-ahead), so the BookKeeper round trip overlaps
 * with the client's. A cursor is used by one read at a time: it is out of the map while that runs.
 */
final class ReadCursors {
    private final ManagedLedger ledger;
    private final Map<Long, List<Parked>> parked = new ConcurrentHashMap<>();

    /** A parked cursor and the read of its next entries, already started. */
    record Parked(ManagedCursor cursor, CompletableFuture<List<Entry>> readAhead, long since) {
    }

    ReadCursors(ManagedLedger ledger) {
        this.ledger = ledger;
    }

    Parked take(long offset) {
        Parked[] found = new Parked[1];
        parked.computeIfPresent(offset, (k, list) -> {
            found[0] = list.remove(list.size() - 1);
            return list.isEmpty() ? null : list;
        });
        return found[0];
    }

    void park(long nextOffset, ManagedCursor cursor, CompletableFuture<List<Entry>> readAhead) {
        parked.compute(nextOffset, (k, list) -> {
            List<Parked> l = list == null ? new ArrayList<>(1) : list;
            l.add(new Parked(cursor, readAhead, System.currentTimeMillis()));
            return l;
        });
    }

    /** Deletes cursors parked longer than {@code maxIdleMs}, so they stop holding entries in the cache. */
    void expire(long maxIdleMs) {
        long cutoff = System.currentTimeMillis() - maxIdleMs;
        for (Long offset : parked.keySet()) {
            List<Parked> expired = new ArrayList<>();
            parked.computeIfPresent(offset, (k, list) -> {
                list.removeIf(p -> {
                    if (p.since() < cutoff) {
                        expired.add(p);
                        return true;
                    }
                    return false;
                });
                return list.isEmpty() ? null : list;
            });
            expired.forEach(this::discard);
        }
    }

    void closeAll() {
        expire(-1);
    }

    /** Releases what the read-ahead got, then deletes the cursor. */
    void discard(Parked p) {
        if (p.readAhead() == null) {
            delete(p.cursor());
            return;
        }
        p.readAhead().whenComplete((entries, t) -> {
            if (entries != null) {
                entries.forEach(Entry::release);
            }
            delete(p.cursor());
        });
    }

    void delete(ManagedCursor cursor) {
        Ledgers.deleteCursor(ledger, cursor);
    }
}
