package io.kop.storage;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.apache.kafka.common.errors.FencedLeaderEpochException;
import org.apache.kafka.common.errors.UnknownLeaderEpochException;
import org.junit.jupiter.api.Test;

class LeaderEpochsTest {
    @Test
    void eachTakeOverStartsTheNextEpochAtTheLogEnd() {
        LeaderEpochs h = LeaderEpochs.NONE.next(0).next(100).next(100).next(250);
        assertEquals(3, h.latest());
        assertEquals("0:0,1:100,2:100,3:250", h.format());
        assertEquals(h.format(), LeaderEpochs.parse(h.format()).format());
    }

    @Test
    void endOffsetsFollowKafkasRules() {
        LeaderEpochs h = LeaderEpochs.parse("2:10,3:100,5:250");
        assertEquals(new LeaderEpochs.EndOffset(5, 400), h.endOffsetFor(5, 400), "current epoch: log end");
        assertEquals(new LeaderEpochs.EndOffset(3, 250), h.endOffsetFor(3, 400), "next epoch's start");
        assertEquals(new LeaderEpochs.EndOffset(3, 250), h.endOffsetFor(4, 400), "largest known epoch below");
        assertEquals(new LeaderEpochs.EndOffset(1, 10), h.endOffsetFor(1, 400), "before the history");
        assertEquals(new LeaderEpochs.EndOffset(-1, -1), h.endOffsetFor(6, 400), "newer than any");
        assertEquals(new LeaderEpochs.EndOffset(-1, -1), LeaderEpochs.NONE.endOffsetFor(0, 400));
    }

    @Test
    void recordsBelongToTheEpochTheyWereWrittenIn() {
        LeaderEpochs h = LeaderEpochs.parse("2:10,3:100,4:100,5:250");
        assertEquals(-1, h.epochAt(9));
        assertEquals(2, h.epochAt(10));
        assertEquals(2, h.epochAt(99));
        assertEquals(4, h.epochAt(100), "an epoch in which nothing was written is skipped");
        assertEquals(5, h.epochAt(10_000));
    }

    @Test
    void historyKeepsTheNewestEntries() {
        LeaderEpochs h = LeaderEpochs.NONE;
        for (int i = 0; i < LeaderEpochs.MAX_ENTRIES + 5; i++) {
            h = h.next(i * 10L);
        }
        assertEquals(LeaderEpochs.MAX_ENTRIES + 4, h.latest());
        assertEquals(LeaderEpochs.MAX_ENTRIES, h.format().split(",").length);
        assertEquals("5:50", h.format().split(",")[0]);
    }

    @Test
    void unreadablePropertyStartsAfresh() {
        assertEquals(-1, LeaderEpochs.parse("garbage").latest());
        assertEquals(-1, LeaderEpochs.parse(null).latest());
        assertEquals(0, LeaderEpochs.parse("x:y").next(7).latest());
    }

    @Test
    void olderEpochsAreFencedNewerOnesUnknown() {
        assertThrows(FencedLeaderEpochException.class, () -> LeaderEpochs.check(3, 4, "t-0"));
        assertThrows(UnknownLeaderEpochException.class, () -> LeaderEpochs.check(5, 4, "t-0"));
        assertDoesNotThrow(() -> LeaderEpochs.check(4, 4, "t-0"));
        assertDoesNotThrow(() -> LeaderEpochs.check(-1, 4, "t-0"));
    }
}
