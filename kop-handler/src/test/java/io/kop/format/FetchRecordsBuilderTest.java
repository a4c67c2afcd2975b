package io.kop.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

class FetchRecordsBuilderTest {

    @Test
    void decodedEntryFitsItsDirectBuffer() throws Exception {
        ByteBuf entry = storedEntry(200, 100);
        FetchRecordsBuilder out = FetchRecordsBuilder.forEntry(entry.readableBytes());
        EntryReader.decode(entry, 0, out);
        ByteBuf batches = out.buildBuffer();
        try {
            assertTrue(batches.isDirect());
            assertRecords(batches, 200, 100);
        } finally {
            assertTrue(batches.release());
            entry.release();
        }
    }

    @Test
    void recordsThatOutgrowTheBufferMoveToTheHeapAndItIsGivenBack() throws Exception {
        ByteBuf entry = storedEntry(200, 100);
        ByteBuf small = PooledByteBufAllocator.DEFAULT.directBuffer(1024, 1024); // of about 22 KiB
        FetchRecordsBuilder out = new FetchRecordsBuilder(small);
        EntryReader.decode(entry, 0, out);
        ByteBuf batches = out.buildBuffer();
        try {
            assertFalse(batches.isDirect());
            assertEquals(0, small.refCnt());
            assertRecords(batches, 200, 100);
        } finally {
            batches.release();
            entry.release();
        }
    }

    @Test
    void discardGivesTheBufferBack() {
        ByteBuf buffer = PooledByteBufAllocator.DEFAULT.directBuffer(1024, 1024);
        new FetchRecordsBuilder(buffer).discard();
        assertEquals(0, buffer.refCnt());
    }

    private static ByteBuf storedEntry(int count, int valueSize) {
        SimpleRecord[] records = new SimpleRecord[count];
        for (int i = 0; i < count; i++) {
            byte[] value = new byte[valueSize];
            value[0] = (byte) i;
            records[i] = new SimpleRecord(1000L + i, null, value);
        }
        MutableRecordBatch batch = MemoryRecords.withRecords(Compression.NONE, records).batches().iterator().next();
        return PulsarEntryFormatTest.withIndex(PulsarEntryFormat.encode(batch, count, 5000L, -1), count - 1, count);
    }

    private static void assertRecords(ByteBuf batches, int count, int valueSize) {
        List<Record> got = new ArrayList<>();
        MemoryRecords.readableRecords(batches.nioBuffer()).records().forEach(got::add);
        assertEquals(count, got.size());
        for (int i = 0; i < count; i++) {
            assertEquals(i, got.get(i).offset());
            assertEquals(1000L + i, got.get(i).timestamp());
            byte[] value = new byte[valueSize];
            value[0] = (byte) i;
            byte[] actual = new byte[valueSize];
            got.get(i).value().get(actual);
            assertArrayEquals(value, actual);
        }
    }
}
