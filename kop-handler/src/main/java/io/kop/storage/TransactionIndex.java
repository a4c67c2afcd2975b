package io.kop.storage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The transactions of one partition: for each producer with an open transaction the offset of its
 * first record here (the lowest of them is the last stable offset), and the aborted transactions
 * (producer, first offset, marker offset) that read_committed fetches report so consumers drop their
 * records. Kafka keeps the aborted ones in a per-segment index; here the newest {@value #MAX_ABORTED}
 * are kept, in memory and in the producer-state snapshot. Not thread-safe: the owning log serialises
 * access with its producer lock.
 */
final class TransactionIndex {
    static final int MAX_ABORTED = 10_000;

    /** An aborted transaction: its records lie in [firstOffset, lastOffset), lastOffset is its marker. */
    record Aborted(long producerId, long firstOffset, long lastOffset) {
    }

    /** An open transaction here: the offset of its first record and the producer epoch it was begun with. */
    private record Open(long firstOffset, short epoch) {
    }

    private final Map<Long, Open> open = new HashMap<>();
    /** In marker (lastOffset) order. */
    private final ArrayDeque<Aborted> aborted = new ArrayDeque<>();

    /** A transactional batch of {@code producerId} at {@code epoch} was stored at {@code offset}. */
    void begin(long producerId, short epoch, long offset) {
        open.putIfAbsent(producerId, new Open(offset, epoch));
    }

    /** The transaction's marker was stored at {@code markerOffset}. */
    void end(long producerId, boolean commit, long markerOffset) {
        Open first = open.remove(producerId);
        if (!commit && first != null) {
            aborted.addLast(new Aborted(producerId, first.firstOffset(), markerOffset));
            while (aborted.size() > MAX_ABORTED) {
                aborted.pollFirst();
            }
        }
    }

    /** The first offset of the producer's open transaction here, or -1. */
    long openTransactionStart(long producerId) {
        Open first = open.get(producerId);
        return first == null ? -1 : first.firstOffset();
    }

    /** Whether the producer has a transaction open here that it began at {@code epoch}. */
    boolean isOpen(long producerId, short epoch) {
        Open first = open.get(producerId);
        return first != null && first.epoch() == epoch;
    }

    /** Records below this offset belong to no open transaction: the lowest first offset of one, capped at {@code end}. */
    long lastStableOffset(long end) {
        long lso = end;
        for (Open first : open.values()) {
            lso = Math.min(lso, first.firstOffset());
        }
        return lso;
    }

    boolean hasOpen() {
        return !open.isEmpty();
    }

    /** The aborted transactions with records in [from, upTo), as read_committed fetches report them. */
    List<Aborted> abortedBetween(long from, long upTo) {
        List<Aborted> out = new ArrayList<>();
        for (Aborted a : aborted) {
            if (a.lastOffset() >= from && a.firstOffset() < upTo) {
                out.add(a);
            }
        }
        return out;
    }

    /** Forgets aborted transactions wholly below the log start. */
    void dropBelow(long logStart) {
        while (!aborted.isEmpty() && aborted.peekFirst().lastOffset() < logStart) {
            aborted.pollFirst();
        }
    }

    /** As text: {@code pid@first#epoch,...} for open ones, {@code ;}, then {@code pid@first-last,...}. */
    String snapshot() {
        StringBuilder sb = new StringBuilder();
        open.forEach((pid, first) -> sb.append(sb.length() == 0 ? "" : ",").append(pid).append('@')
                .append(first.firstOffset()).append('#').append(first.epoch()));
        sb.append(';');
        boolean firstOne = true;
        for (Aborted a : aborted) {
            sb.append(firstOne ? "" : ",").append(a.producerId()).append('@').append(a.firstOffset()).append('-')
                    .append(a.lastOffset());
            firstOne = false;
        }
        return sb.toString();
    }

    /** Replaces the contents with what {@link #snapshot} wrote; false (and nothing changed) if it is not one. */
    boolean restore(String text) {
        int semi = text.indexOf(';');
        if (semi < 0) {
            return false;
        }
        Map<Long, Open> readOpen = new HashMap<>();
        ArrayDeque<Aborted> readAborted = new ArrayDeque<>();
        try {
            for (String o : split(text.substring(0, semi))) {
                int at = o.indexOf('@');
                int hash = o.indexOf('#', at);
                readOpen.put(Long.parseLong(o.substring(0, at)), new Open(Long.parseLong(o.substring(at + 1, hash)),
                        Short.parseShort(o.substring(hash + 1))));
            }
            for (String a : split(text.substring(semi + 1))) {
                int at = a.indexOf('@');
                int dash = a.indexOf('-', at);
                readAborted.addLast(new Aborted(Long.parseLong(a.substring(0, at)),
                        Long.parseLong(a.substring(at + 1, dash)), Long.parseLong(a.substring(dash + 1))));
            }
        } catch (RuntimeException e) {
            return false;
        }
        open.clear();
        open.putAll(readOpen);
        aborted.clear();
        aborted.addAll(readAborted);
        return true;
    }

    private static String[] split(String s) {
        return s.isEmpty() ? new String[0] : s.split(",");
    }
}
