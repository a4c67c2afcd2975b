package io.kop.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.bookkeeper.mledger.Position;
import org.apache.bookkeeper.mledger.PositionFactory;
import org.junit.jupiter.api.Test;

/** The transactions of a partition by offset (Kafka readers) and by ledger position (Pulsar dispatchers). */
class TransactionIndexTest {
    private static Position at(long entry) {
        return PositionFactory.create(7, entry);
    }

    @Test
    void dispatchersStopBeforeTheFirstOpenTransactionFromTheMomentItsBatchIsPublished() {
        TransactionIndex index = new TransactionIndex();
        assertNull(index.readFloor(), "nothing open: read all");
        index.publishing(1, at(4)); // producer 1's first batch goes out while entry 4 is the last stored
        assertEquals(at(4), index.readFloor());
        index.begin(1, (short) 0, 100, at(6), at(5)); // stored as entry 6 (5 was another producer's)
        assertEquals(at(5), index.readFloor());
        index.publishing(2, at(6));
        index.begin(2, (short) 0, 105, at(7), at(6));
        assertEquals(at(5), index.readFloor(), "the lowest of the open ones");
        assertEquals(100, index.lastStableOffset(200));
        index.end(1, true, 110, at(8));
        assertEquals(at(6), index.readFloor());
        index.end(2, false, 111, at(9));
        assertNull(index.readFloor());
    }

    @Test
    void aBatchThatWasNotStoredReleasesItsHold() {
        TransactionIndex index = new TransactionIndex();
        index.publishing(1, at(4));
        index.notPublished(1);
        assertNull(index.readFloor());
    }

    @Test
    void abortedEntriesAreTheProducersBetweenItsFirstBatchAndItsMarker() {
        TransactionIndex index = new TransactionIndex();
        index.begin(1, (short) 3, 10, at(2), at(1));
        index.begin(2, (short) 0, 11, at(3), at(2));
        index.end(1, false, 20, at(5)); // producer 1 aborts: entries 2..4 of its own
        index.end(2, true, 21, at(6));
        assertTrue(index.isAborted(1, at(2)));
        assertTrue(index.isAborted(1, at(4)));
        assertFalse(index.isAborted(1, at(5)), "the marker itself is not a record");
        assertFalse(index.isAborted(2, at(3)), "another producer's committed entry in between");
        index.begin(1, (short) 3, 30, at(10), at(9)); // the same producer and epoch again (transactions v1)
        index.end(1, true, 31, at(11));
        assertFalse(index.isAborted(1, at(10)), "its next transaction was committed");
    }

    @Test
    void positionsSurviveTheSnapshotAndOldSnapshotsAreRefused() {
        TransactionIndex index = new TransactionIndex();
        index.begin(1, (short) 0, 10, at(2), at(1));
        index.end(1, false, 20, at(5));
        index.begin(2, (short) 4, 30, at(8), at(7));
        TransactionIndex restored = new TransactionIndex();
        assertTrue(restored.restore(index.snapshot(), p -> PositionFactory.create(p.getLedgerId(), p.getEntryId() - 1)));
        assertTrue(restored.isAborted(1, at(3)));
        assertEquals(at(7), restored.readFloor());
        assertEquals(30, restored.lastStableOffset(100));
        assertEquals(index.snapshot(), restored.snapshot());
        assertFalse(new TransactionIndex().restore("2@30#4;1@10-20", p -> p), "a snapshot without positions");
    }

    @Test
    void anIndexHoldingAllLetsNothingThrough() {
        assertEquals(PositionFactory.EARLIEST, TransactionIndex.holdingAll().readFloor());
    }
}
