package io.kop.storage;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.bookkeeper.mledger.Position;
import org.apache.bookkeeper.mledger.PositionFactory;

/**
 * The transactions of one partition: for each producer with an open transaction the offset of its
 * first record here (the lowest of them is the last stable offset), and the aborted transactions
 * (producer, first offset, marker offset) that read_committed fetches report so consumers drop their
 * records. Kafka keeps the aborted ones in a per-segment index; here the newest {@value #MAX_ABORTED}
 * are kept, in memory and in the producer-state snapshot. The same transactions by ledger position
 * serve Pulsar's dispatchers ({@link KafkaTransactionBuffer}): how far they may read (the entry before
 * the first open transaction's, or before the first one being published) and whether a transactional
 * entry's transaction was aborted. Not thread-safe: the owning log serialises access with its
 * producer lock.
 */
final class TransactionIndex {
    static final int MAX_ABORTED = 10_000;

    /**
     * An aborted transaction: its records lie in [firstOffset, lastOffset), lastOffset is its marker;
     * in the ledger from {@code firstPosition} up to the marker at {@code lastPosition}.
     */
    record Aborted(long producerId, long firstOffset, long lastOffset, Position firstPosition,
                   Position lastPosition) {
        boolean contains(Position p) {
            return firstPosition.compareTo(p) <= 0 && p.compareTo(lastPosition) < 0;
        }
    }

    /** An open transaction here: its first record's offset and entry, and the epoch it was begun with. */
    private record Open(long firstOffset, short epoch, Position firstPosition) {
    }

    private final Map<Long, Open> open = new HashMap<>();
    /**
     * Per producer with a transaction open or about to be: the last entry Pulsar's dispatchers may read
     * on its account. Set to the ledger's last entry when its first batch is published, and to the entry
     * before that batch once it is stored.
     */
    private final Map<Long, Position> readFloors = new HashMap<>();
    /** The lowest of {@link #readFloors}, for dispatchers that read it without the lock. */
    private volatile Position floor;
    /** In marker (lastOffset) order. */
    private final ArrayDeque<Aborted> aborted = new ArrayDeque<>();
    private final Map<Long, List<Aborted>> abortedByProducer = new HashMap<>();

    /** An index that holds Pulsar's dispatchers before the first entry (see {@link #readFloor}). */
    static TransactionIndex holdingAll() {
        TransactionIndex held = new TransactionIndex();
        held.floor = PositionFactory.EARLIEST;
        return held;
    }

    /**
     * A transactional batch of {@code producerId} is being published, while the ledger's last entry is
     * {@code lastConfirmed}: Pulsar's dispatchers stop there until the batch is stored (its transaction
     * may be new).
     */
    void publishing(long producerId, Position lastConfirmed) {
        if (readFloors.putIfAbsent(producerId, lastConfirmed) == null) {
            refloor();
        }
    }

    /** The batch {@link #publishing} announced was not stored. */
    void notPublished(long producerId) {
        if (!open.containsKey(producerId) && readFloors.remove(producerId) != null) {
            refloor();
        }
    }

    /**
     * A transactional batch of {@code producerId} at {@code epoch} was stored at {@code offset}, in the
     * entry at {@code position}; {@code previous} is the entry before it.
     */
    void begin(long producerId, short epoch, long offset, Position position, Position previous) {
        if (open.putIfAbsent(producerId, new Open(offset, epoch, position)) == null) {
            readFloors.put(producerId, previous);
            refloor();
        }
    }

    /** The transaction's marker was stored at {@code markerOffset}, in the entry at {@code markerPosition}. */
    void end(long producerId, boolean commit, long markerOffset, Position markerPosition) {
        Open first = open.remove(producerId);
        if (readFloors.remove(producerId) != null) {
            refloor();
        }
        if (!commit && first != null) {
            Aborted a = new Aborted(producerId, first.firstOffset(), markerOffset, first.firstPosition(),
                    markerPosition);
            aborted.addLast(a);
            abortedByProducer.computeIfAbsent(producerId, p -> new ArrayList<>()).add(a);
            while (aborted.size() > MAX_ABORTED) {
                forget(aborted.pollFirst());
            }
        }
    }

    private void forget(Aborted a) {
        List<Aborted> ofProducer = abortedByProducer.get(a.producerId());
        if (ofProducer != null) {
            ofProducer.remove(a);
            if (ofProducer.isEmpty()) {
                abortedByProducer.remove(a.producerId());
            }
        }
    }

    /**
     * The last entry Pulsar's dispatchers may read: before every open transaction; null when none is
     * open. Safe without the lock.
     */
    Position readFloor() {
        return floor;
    }

    private void refloor() {
        Position lowest = null;
        for (Position p : readFloors.values()) {
            if (lowest == null || p.compareTo(lowest) < 0) {
                lowest = p;
            }
        }
        floor = lowest;
    }

    /** Whether the entry at {@code position}, a transactional batch of {@code producerId}, was aborted. */
    boolean isAborted(long producerId, Position position) {
        List<Aborted> ofProducer = abortedByProducer.get(producerId);
        if (ofProducer != null) {
            for (Aborted a : ofProducer) {
                if (a.contains(position)) {
                    return true;
                }
            }
        }
        return false;
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

    int openCount() {
        return open.size();
    }

    int abortedCount() {
        return aborted.size();
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
            forget(aborted.pollFirst());
        }
    }

    /**
     * As text: {@code pid@first#epoch~ledger:entry,...} for open ones, {@code ;}, then
     * {@code pid@first-last~ledger:entry~ledger:entry,...}.
     */
    String snapshot() {
        StringBuilder sb = new StringBuilder();
        open.forEach((pid, first) -> sb.append(sb.length() == 0 ? "" : ",").append(pid).append('@')
                .append(first.firstOffset()).append('#').append(first.epoch()).append('~')
                .append(position(first.firstPosition())));
        sb.append(';');
        boolean firstOne = true;
        for (Aborted a : aborted) {
            sb.append(firstOne ? "" : ",").append(a.producerId()).append('@').append(a.firstOffset()).append('-')
                    .append(a.lastOffset()).append('~').append(position(a.firstPosition())).append('~')
                    .append(position(a.lastPosition()));
            firstOne = false;
        }
        return sb.toString();
    }

    private static String position(Position p) {
        return p.getLedgerId() + ":" + p.getEntryId();
    }

    private static Position position(String s) {
        int colon = s.indexOf(':');
        return PositionFactory.create(Long.parseLong(s.substring(0, colon)), Long.parseLong(s.substring(colon + 1)));
    }

    /**
     * Replaces the contents with what {@link #snapshot} wrote; false (and nothing changed) if it is not
     * one, or one from before positions were kept (the log then replays its window instead).
     */
    boolean restore(String text, java.util.function.UnaryOperator<Position> previous) {
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
                int tilde = o.indexOf('~', hash);
                if (tilde < 0) {
                    return false;
                }
                readOpen.put(Long.parseLong(o.substring(0, at)), new Open(Long.parseLong(o.substring(at + 1, hash)),
                        Short.parseShort(o.substring(hash + 1, tilde)), position(o.substring(tilde + 1))));
            }
            for (String a : split(text.substring(semi + 1))) {
                int at = a.indexOf('@');
                int dash = a.indexOf('-', at);
                String[] positions = a.substring(dash + 1).split("~");
                if (positions.length != 3) {
                    return false;
                }
                readAborted.addLast(new Aborted(Long.parseLong(a.substring(0, at)),
                        Long.parseLong(a.substring(at + 1, dash)), Long.parseLong(positions[0]),
                        position(positions[1]), position(positions[2])));
            }
        } catch (RuntimeException e) {
            return false;
        }
        open.clear();
        open.putAll(readOpen);
        readFloors.clear();
        open.forEach((pid, o) -> readFloors.put(pid, previous.apply(o.firstPosition())));
        refloor();
        aborted.clear();
        abortedByProducer.clear();
        for (Aborted a : readAborted) {
            aborted.addLast(a);
            abortedByProducer.computeIfAbsent(a.producerId(), p -> new ArrayList<>()).add(a);
        }
        return true;
    }

    private static String[] split(String s) {
        return s.isEmpty() ? new String[0] : s.split(",");
    }
}
