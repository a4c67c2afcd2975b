package io.kop.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

class ProducerStateTableTest {
    private static ProducerStateTable table() {
        ProducerStateTable t = new ProducerStateTable();
        // producer 7: batches at offsets 100, 110, 120 (the last one not stored yet: below 120 only)
        t.record(7, (short) 2, 0, 9, CompletableFuture.completedFuture(100L));
        t.record(7, (short) 2, 10, 19, CompletableFuture.completedFuture(110L));
        t.record(7, (short) 2, 20, 29, CompletableFuture.completedFuture(120L));
        // producer 8: last seen at offset 5, before the window
        t.record(8, (short) 0, 0, 4, CompletableFuture.completedFuture(5L));
        // producer 9: its batch is still being appended
        t.record(9, (short) 0, 0, 0, new CompletableFuture<>());
        return t;
    }

    @Test
    void aRestoredSnapshotRecognisesRetriesAndGaps() {
        String snapshot = table().snapshot(50, 120);
        assertEquals("7:2:0-9@100;10-19@110", snapshot);
        ProducerStateTable restored = new ProducerStateTable();
        assertTrue(restored.restore(snapshot));
        var retry = restored.check(7, (short) 2, 10, 19);
        assertEquals(110L, assertInstanceOf(ProducerStateTable.Duplicate.class, retry).baseOffset().join());
        assertInstanceOf(ProducerStateTable.Append.class, restored.check(7, (short) 2, 20, 29),
                "the batch after the snapshot is replayed from the log or sent anew");
        var gap = assertInstanceOf(ProducerStateTable.Reject.class, restored.check(7, (short) 2, 30, 39));
        assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, gap.error());
        assertInstanceOf(ProducerStateTable.Reject.class, restored.check(7, (short) 1, 0, 0), "older epoch fenced");
        assertInstanceOf(ProducerStateTable.Append.class, restored.check(8, (short) 0, 77, 80),
                "a producer outside the window is unknown again");
    }

    @Test
    void emptyAndBrokenSnapshots() {
        ProducerStateTable t = new ProducerStateTable();
        assertTrue(t.restore(""));
        assertFalse(t.restore("7:x:1-2@3"));
        assertFalse(t.restore("garbage"));
        assertEquals("", t.snapshot(0, Long.MAX_VALUE));
    }

    @Test
    void aRequestSentBeforeTheLogTookOverCannotStartAnUnknownProducerMidway() {
        ProducerStateTable fresh = new ProducerStateTable();
        var moved = assertInstanceOf(ProducerStateTable.Reject.class, fresh.check(7, (short) 0, 860, 1075, true));
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, moved.error());
        assertInstanceOf(ProducerStateTable.Append.class, fresh.check(7, (short) 0, 0, 214, true),
                "its first batch may come");
        assertInstanceOf(ProducerStateTable.Append.class, fresh.check(7, (short) 0, 860, 1075, false),
                "sent again after the take-over, an unknown producer may start anywhere");
        fresh.record(7, (short) 0, 0, 214, CompletableFuture.completedFuture(0L));
        assertInstanceOf(ProducerStateTable.Append.class, fresh.check(7, (short) 0, 215, 400, true),
                "a known producer's next batch");
        assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, assertInstanceOf(ProducerStateTable.Reject.class,
                fresh.check(7, (short) 0, 401, 500, false)).error(), "a gap");
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, assertInstanceOf(ProducerStateTable.Reject.class,
                fresh.check(7, (short) 0, 401, 500, true)).error(), "a gap in a request sent to the earlier log");
        assertInstanceOf(ProducerStateTable.Duplicate.class, fresh.check(7, (short) 0, 0, 214, true));
    }

    @Test
    void aTransactionsV2BatchAfterAFailedFirstOneMayNotGoFirst() {
        ProducerStateTable t = new ProducerStateTable();
        // the batch with sequence 0 could not join the transaction; the next one of the same request stream
        var early = assertInstanceOf(ProducerStateTable.Reject.class, t.check(7, (short) 3, 15, 24, false, true));
        assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, early.error());
        assertInstanceOf(ProducerStateTable.Append.class, t.check(7, (short) 3, 0, 14, false, true));
        t.record(7, (short) 3, 0, 14, CompletableFuture.completedFuture(0L));
        assertTrue(t.hasBatchesAt(7, (short) 3));
        assertInstanceOf(ProducerStateTable.Append.class, t.check(7, (short) 3, 15, 24, false, true));
        assertInstanceOf(ProducerStateTable.Append.class, t.check(8, (short) 3, 15, 24, false, false),
                "without transactions v2 an unknown producer may start anywhere");
    }

    @Test
    void afterAMarkerThatBeganAnEpochSequencesStartAtZero() {
        ProducerStateTable t = new ProducerStateTable();
        t.record(7, (short) 3, 0, 24, CompletableFuture.completedFuture(0L));
        assertEquals(null, t.marker(7, (short) 4)); // transactions v2: the commit bumps the epoch
        assertFalse(t.hasBatchesAt(7, (short) 4));
        var late = assertInstanceOf(ProducerStateTable.Reject.class, t.check(7, (short) 4, 15, 24));
        assertEquals(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER, late.error());
        assertInstanceOf(ProducerStateTable.Append.class, t.check(7, (short) 4, 0, 14));
        // a producer known only from a marker: its sequences are not known here
        assertEquals(null, t.marker(9, (short) 1));
        assertInstanceOf(ProducerStateTable.Append.class, t.check(9, (short) 1, 40, 49));
    }
}
