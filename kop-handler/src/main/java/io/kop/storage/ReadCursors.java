package io.kop.storage;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.bookkeeper.mledger.AsyncCallbacks;
import org.apache.bookkeeper.mledger.ManagedCursor;
import org.apache.bookkeeper.mledger.ManagedLedger;
import org.apache.bookkeeper.mledger.ManagedLedgerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Non-durable cursors parked between fetches, keyed by the offset they will read next. A consumer reading
 * sequentially takes its cursor back on the next fetch and skips the offset lookup. A cursor is used by
 * one read at a time: it is taken out of the map while the read runs.
 */
final class ReadCursors {
    private static final Logger log = LoggerFactory.getLogger(ReadCursors.class);

    private final ManagedLedger ledger;
    private final Map<Long, List<Parked>> parked = new ConcurrentHashMap<>();

    private record Parked(ManagedCursor cursor, long since) {
    }

    ReadCursors(ManagedLedger ledger) {
        this.ledger = ledger;
    }

    ManagedCursor take(long offset) {
        ManagedCursor[] found = new ManagedCursor[1];
        parked.computeIfPresent(offset, (k, list) -> {
            found[0] = list.remove(list.size() - 1).cursor();
            return list.isEmpty() ? null : list;
        });
        return found[0];
    }

    void park(long nextOffset, ManagedCursor cursor) {
        parked.compute(nextOffset, (k, list) -> {
            List<Parked> l = list == null ? new ArrayList<>(1) : list;
            l.add(new Parked(cursor, System.currentTimeMillis()));
            return l;
        });
    }

    /** Deletes cursors parked longer than {@code maxIdleMs}, so they stop holding entries in the cache. */
    void expire(long maxIdleMs) {
        long cutoff = System.currentTimeMillis() - maxIdleMs;
        for (Long offset : parked.keySet()) {
            List<ManagedCursor> expired = new ArrayList<>();
            parked.computeIfPresent(offset, (k, list) -> {
                list.removeIf(p -> {
                    if (p.since() < cutoff) {
                        expired.add(p.cursor());
                        return true;
                    }
                    return false;
                });
                return list.isEmpty() ? null : list;
            });
            expired.forEach(this::delete);
        }
    }

    void closeAll() {
        expire(-1);
    }

    void delete(ManagedCursor cursor) {
        ledger.asyncDeleteCursor(cursor.getName(), new AsyncCallbacks.DeleteCursorCallback() {
            @Override
            public void deleteCursorComplete(Object ctx) {
            }

            @Override
            public void deleteCursorFailed(ManagedLedgerException exception, Object ctx) {
                log.debug("[{}] could not delete read cursor {}: {}", ledger.getName(), cursor.getName(),
                        exception.getMessage());
            }
        }, null);
    }
}
