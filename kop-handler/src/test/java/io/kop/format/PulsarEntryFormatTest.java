package io.kop.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.pulsar.common.intercept.AppendIndexMetadataInterceptor;
import org.apache.pulsar.common.intercept.BrokerEntryMetadataInterceptor;
import org.apache.pulsar.common.protocol.Commands;
import org.junit.jupiter.api.Test;

class PulsarEntryFormatTest {

    @Test
    void recordsRoundTripThroughAPulsarBatch() throws Exception {
        List<SimpleRecord> sent = List.of(
                new SimpleRecord(1000L, null, "v0".getBytes(StandardCharsets.UTF_8)),
                new SimpleRecord(1001L, "k1".getBytes(StandardCharsets.UTF_8), null,
                        new Header[] {new RecordHeader("a", new byte[] {(byte) 0xff, 0}), new RecordHeader("n", null)}),
                new SimpleRecord(1002L, new byte[] {(byte) 0xc3, 0x28}, new byte[0]),
                new SimpleRecord(1003L, null, "v3".getBytes(StandardCharsets.UTF_8)));
        MemoryRecords records = MemoryRecords.withRecords(Compression.NONE, sent.toArray(new SimpleRecord[0]));
        MutableRecordBatch batch = records.batches().iterator().next();

        ByteBuf entry = withIndex(PulsarEntryFormat.encode(batch, 4, 5000L, -1), 13); // offsets 10..13
        FetchRecordsBuilder out = FetchRecordsBuilder.forEntry(entry.readableBytes());
        assertEquals(3, PulsarEntryFormat.decode(entry, 11, out));
        List<Record> got = new ArrayList<>();
        built(out).records().forEach(got::add);

        assertEquals(3, got.size());
        assertNull(got.get(2).key(), "a null key after a non-null one stays null");
        assertNull(got.get(2).headers().length == 0 ? null : "headers leaked from the previous record");
        assertEquals(11, got.get(0).offset());
        assertEquals(1001L, got.get(0).timestamp());
        assertArrayEquals("k1".getBytes(StandardCharsets.UTF_8), bytes(got.get(0).key()));
        assertNull(got.get(0).value());
        assertEquals(2, got.get(0).headers().length);
        assertArrayEquals(new byte[] {(byte) 0xff, 0}, got.get(0).headers()[0].value());
        assertNull(got.get(0).headers()[1].value());
        assertArrayEquals(new byte[] {(byte) 0xc3, 0x28}, bytes(got.get(1).key()));
        assertArrayEquals(new byte[0], bytes(got.get(1).value()));

        FetchRecordsBuilder all = FetchRecordsBuilder.forEntry(entry.readableBytes());
        PulsarEntryFormat.decode(entry, 0, all);
        Record first = built(all).records().iterator().next();
        assertEquals(10, first.offset());
        assertNull(first.key());
    }

    @Test
    void logAppendTimeReplacesProducerTimestamps() throws Exception {
        MemoryRecords records = MemoryRecords.withRecords(Compression.NONE,
                new SimpleRecord(1L, null, "a".getBytes(StandardCharsets.UTF_8)));
        MutableRecordBatch batch = records.batches().iterator().next();
        ByteBuf entry = withIndex(PulsarEntryFormat.encode(batch, 1, 7777L, 7777L), 3);
        FetchRecordsBuilder out = FetchRecordsBuilder.forEntry(entry.readableBytes());
        PulsarEntryFormat.decode(entry, 0, out);
        MutableRecordBatch fetched = built(out).batches().iterator().next();
        assertEquals(TimestampType.LOG_APPEND_TIME, fetched.timestampType());
        assertEquals(7777L, fetched.maxTimestamp());
        assertEquals(7777L, fetched.iterator().next().timestamp());
    }

    @Test
    void nonConsecutiveRecordOffsetsAreRefused() {
        ByteBuffer buf = ByteBuffer.allocate(1024);
        MemoryRecordsBuilder b = MemoryRecords.builder(buf, Compression.NONE, TimestampType.CREATE_TIME, 0L);
        b.appendWithOffset(0, 1L, null, "a".getBytes(StandardCharsets.UTF_8));
        b.appendWithOffset(5, 1L, null, "b".getBytes(StandardCharsets.UTF_8));
        MutableRecordBatch batch = b.build().batches().iterator().next();
        assertThrows(InvalidRecordException.class, () -> PulsarEntryFormat.encode(batch, 2, 1L, -1));
    }

    private static ByteBuf withIndex(ByteBuf entry, long lastIndex) {
        return withIndex(entry, lastIndex, 4);
    }

    /** The entry behind the broker entry index the broker adds: its last record at {@code lastIndex}. */
    static ByteBuf withIndex(ByteBuf entry, long lastIndex, int records) {
        AppendIndexMetadataInterceptor index = new AppendIndexMetadataInterceptor();
        index.recoveryIndexGenerator(lastIndex - records);
        Set<BrokerEntryMetadataInterceptor> interceptors = Set.of(index);
        return Commands.addBrokerEntryMetadata(entry, interceptors, records);
    }

    /** The built batches, copied to the heap so the builder's buffer can be given back at once. */
    private static MemoryRecords built(FetchRecordsBuilder out) {
        ByteBuf batches = out.buildBuffer();
        ByteBuffer copy = ByteBuffer.allocate(batches.readableBytes());
        batches.readBytes(copy);
        batches.release();
        return MemoryRecords.readableRecords(copy.flip());
    }

    private static byte[] bytes(ByteBuffer b) {
        if (b == null) {
            return null;
        }
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
