package io.kop.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.bookkeeper.mledger.ManagedLedger;

/**
 * Cursor readers parked between fetches, keyed by the offset they will serve next. A consumer reading
 * sequentially takes its reader back on the next fetch, skipping the offset lookup and finding what was
 * read ahead for it. A reader is out of the map while a fetch uses it.
 */
final class ReadCursors {
    private final ManagedLedger ledger;
    private final Map<Long, List<CursorReader>> parked = new ConcurrentHashMap<>();

    ReadCursors(ManagedLedger ledger) {
        this.ledger = ledger;
    }

    CursorReader take(long offset) {
        CursorReader[] found = new CursorReader[1];
        parked.computeIfPresent(offset, (k, list) -> {
            found[0] = list.remove(list.size() - 1);
            return list.isEmpty() ? null : list;
        });
        return found[0];
    }

    /** Discards a reader parked at {@code offset}, if there is one. */
    void discardAt(long offset) {
        CursorReader reader = take(offset);
        if (reader != null) {
            discard(reader);
        }
    }

    void park(long nextOffset, CursorReader reader) {
        parked.compute(nextOffset, (k, list) -> {
            List<CursorReader> l = list == null ? new ArrayList<>(1) : list;
            l.add(reader);
            return l;
        });
    }

    /** Deletes readers parked longer than {@code maxIdleMs}, so they stop holding memory and cache. */
    void expire(long maxIdleMs) {
        long cutoff = System.currentTimeMillis() - maxIdleMs;
        for (Long offset : parked.keySet()) {
            List<CursorReader> expired = new ArrayList<>();
            parked.computeIfPresent(offset, (k, list) -> {
                list.removeIf(r -> {
                    if (r.lastUsed() < cutoff) {
                        expired.add(r);
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

    /** Drops the reader's read-ahead and deletes its cursor once no read is under way. */
    void discard(CursorReader reader) {
        reader.close().whenComplete((v, t) -> Ledgers.deleteCursor(ledger, reader.cursor()));
    }
}
