package io.kop.storage;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LogCleanerTest {
    private static final long DAY = 86_400_000L;
    private static final LogCleaner.Policy KAFKA_DEFAULTS =
            new LogCleaner.Policy(DAY, 0, Long.MAX_VALUE, 0.5, 7 * DAY, 1L << 30);

    private static ManagedLedgerPartitionLog.Dirt dirt(long clean, long dirty, long bytes, long since) {
        return new ManagedLedgerPartitionLog.Dirt(clean, dirty, bytes, since);
    }

    @Test
    void nothingDirtyIsNeverCleaned() {
        assertFalse(LogCleaner.due(dirt(10, 0, 0, 0), KAFKA_DEFAULTS, 10 * DAY));
    }

    @Test
    void aPartitionNeverCleanedIsCleanedAtOnce() {
        assertTrue(LogCleaner.due(dirt(0, 5, 100, 0), KAFKA_DEFAULTS, System.currentTimeMillis()));
    }

    @Test
    void theNewestRecordsWaitASegmentsTimeOrSize() {
        long now = 100 * DAY;
        assertFalse(LogCleaner.due(dirt(10, 90, 1000, now - DAY), KAFKA_DEFAULTS, now), "a day since the last run");
        assertTrue(LogCleaner.due(dirt(10, 90, 1000, now - 8 * DAY), KAFKA_DEFAULTS, now), "a segment.ms later");
        assertTrue(LogCleaner.due(dirt(10, 90, 2L << 30, now - DAY), KAFKA_DEFAULTS, now), "a segment.bytes later");
    }

    @Test
    void belowTheDirtyRatioOnlyMaxCompactionLagForcesARun() {
        long now = 100 * DAY;
        assertFalse(LogCleaner.due(dirt(90, 10, 1000, now - 8 * DAY), KAFKA_DEFAULTS, now));
        LogCleaner.Policy maxLag = new LogCleaner.Policy(DAY, 0, 2 * DAY, 0.5, 7 * DAY, 1L << 30);
        assertTrue(LogCleaner.due(dirt(90, 10, 1000, now - 8 * DAY), maxLag, now));
    }
}
