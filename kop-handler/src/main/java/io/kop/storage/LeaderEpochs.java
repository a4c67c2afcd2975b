package io.kop.storage;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.errors.FencedLeaderEpochException;
import org.apache.kafka.common.errors.UnknownLeaderEpochException;

/**
 * A partition's leader epochs: each broker that takes the partition over starts a new epoch at the
 * log end it found, so epochs rise with every ownership change (and every reload) and clients can
 * tell a stale leader from the current one. Kept, newest last, in the managed ledger's property
 * {@value #PROPERTY} as {@code epoch:startOffset,...}; only the owner of a managed ledger can write its
 * properties, so two brokers never start the same epoch. Pulsar never truncates acknowledged data, so
 * an epoch's end is simply the start of the next one.
 */
public final class LeaderEpochs {
    public static final String PROPERTY = "kop.leader.epochs";
    /** Epochs kept; older ones only matter to a consumer that has not read for that many moves. */
    static final int MAX_ENTRIES = 32;
    public static final int UNDEFINED = -1;

    /** One epoch: its number and the first offset written in it. */
    public record Entry(int epoch, long startOffset) {
    }

    /** The answer to OffsetsForLeaderEpoch: the largest epoch not above the one asked for, and its end. */
    public record EndOffset(int epoch, long endOffset) {
    }

    public static final LeaderEpochs NONE = new LeaderEpochs(List.of());

    private final List<Entry> entries;

    private LeaderEpochs(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /** The history in {@code value} (the property); NONE for null, empty or unreadable values. */
    public static LeaderEpochs parse(String value) {
        if (value == null || value.isBlank()) {
            return NONE;
        }
        List<Entry> out = new ArrayList<>();
        try {
            for (String item : value.split(",")) {
                int colon = item.indexOf(':');
                out.add(new Entry(Integer.parseInt(item.substring(0, colon).trim()),
                        Long.parseLong(item.substring(colon + 1).trim())));
            }
        } catch (RuntimeException e) {
            return NONE; // never written by KoP: start afresh rather than refuse the partition
        }
        return new LeaderEpochs(out);
    }

    public String format() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(e.epoch()).append(':').append(e.startOffset());
        }
        return sb.toString();
    }

    /** The current epoch, UNDEFINED when no broker has led the partition through KoP yet. */
    public int latest() {
        return entries.isEmpty() ? UNDEFINED : entries.get(entries.size() - 1).epoch();
    }

    /** This history plus a new epoch, one above the latest, starting at {@code logEndOffset}. */
    public LeaderEpochs next(long logEndOffset) {
        List<Entry> out = new ArrayList<>(entries);
        out.add(new Entry(latest() + 1, logEndOffset));
        while (out.size() > MAX_ENTRIES) {
            out.remove(0);
        }
        return new LeaderEpochs(out);
    }

    /** The epoch the record at {@code offset} was written in; UNDEFINED before the history's start. */
    public int epochAt(long offset) {
        int epoch = UNDEFINED;
        for (Entry e : entries) {
            if (e.startOffset() > offset) {
                break;
            }
            epoch = e.epoch();
        }
        return epoch;
    }

    /**
     * Kafka's rule for OffsetsForLeaderEpoch: for the current epoch, the log end; for an older one, the
     * start of the first epoch above it, with the largest known epoch not above it (or the requested one
     * when it predates the history); UNDEFINED for an epoch newer than any known.
     */
    public EndOffset endOffsetFor(int requested, long logEndOffset) {
        if (requested == UNDEFINED || entries.isEmpty()) {
            return new EndOffset(UNDEFINED, -1);
        }
        if (requested == latest()) {
            return new EndOffset(requested, logEndOffset);
        }
        Entry floor = null;
        for (Entry e : entries) {
            if (e.epoch() > requested) {
                return new EndOffset(floor == null ? requested : floor.epoch(), e.startOffset());
            }
            floor = e;
        }
        return new EndOffset(UNDEFINED, -1);
    }

    /**
     * A request's view of the leader epoch against the current one ({@code currentLeaderEpoch} of
     * Fetch, ListOffsets, OffsetsForLeaderEpoch): an older epoch is fenced (the client talks to a
     * leader it should have left), a newer one unknown here (this broker is behind); -1 skips the check.
     */
    public static void check(int requested, int current, String partition) {
        if (requested < 0 || current < 0 || requested == current) {
            return;
        }
        if (requested < current) {
            throw new FencedLeaderEpochException("leader epoch " + requested + " of " + partition
                    + " is older than the current " + current);
        }
        throw new UnknownLeaderEpochException("leader epoch " + requested + " of " + partition
                + " is newer than this broker's " + current);
    }
}
