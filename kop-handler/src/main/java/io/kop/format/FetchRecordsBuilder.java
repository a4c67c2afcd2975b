package io.kop.format;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.ByteBufferOutputStream;

/** Builds the Kafka batches of one stored entry (for fetches and timestamp lookups) in one buffer. */
public final class FetchRecordsBuilder {
    private final ByteBufferOutputStream stream;
    private int records;
    private int batchStart;
    private byte[] scratch = new byte[0];

    public FetchRecordsBuilder(int initialCapacity) {
        this.stream = new ByteBufferOutputStream(initialCapacity);
    }

    MemoryRecordsBuilder startBatch(long baseOffset, TimestampType timestampType, long logAppendTime) {
        batchStart = stream.position();
        return new MemoryRecordsBuilder(stream, RecordBatch.MAGIC_VALUE_V2, Compression.NONE, timestampType,
                baseOffset, timestampType == TimestampType.LOG_APPEND_TIME ? logAppendTime : RecordBatch.NO_TIMESTAMP,
                RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH, RecordBatch.NO_SEQUENCE,
                false, false, RecordBatch.NO_PARTITION_LEADER_EPOCH, Integer.MAX_VALUE);
    }

    void endBatch(MemoryRecordsBuilder builder) {
        int n = builder.numRecords();
        if (n > 0) {
            builder.close();
            records += n;
        } else {
            builder.abort();
            stream.position(batchStart); // drop the space reserved for the batch header
        }
    }

    /** Appends stored Kafka batches as they are, with base offsets rewritten to start at {@code baseOffset}. */
    void appendBatches(ByteBuffer batches, long baseOffset, int numRecords) {
        int start = stream.position();
        stream.write(batches.duplicate());
        ByteBuffer written = stream.buffer().duplicate();
        written.position(start).limit(stream.position());
        KafkaEntryFormat.assignOffsets(MemoryRecords.readableRecords(written.slice()), baseOffset);
        records += numRecords;
    }

    /**
     * A heap view of {@code length} bytes of {@code buf} at {@code index}, valid until the next call.
     * Kafka's record writer copies heap buffers in bulk but direct ones (entries read from BookKeeper)
     * one byte per call, which made that loop the largest cost of a fetch; one memcpy into a reused
     * array avoids it.
     */
    ByteBuffer heapView(ByteBuf buf, int index, int length) {
        if (buf.hasArray()) {
            return ByteBuffer.wrap(buf.array(), buf.arrayOffset() + index, length);
        }
        if (scratch.length < length) {
            scratch = new byte[Math.max(length, scratch.length * 2)];
        }
        buf.getBytes(index, scratch, 0, length);
        return ByteBuffer.wrap(scratch, 0, length);
    }

    public int records() {
        return records;
    }

    public MemoryRecords build() {
        ByteBuffer buffer = stream.buffer().duplicate();
        buffer.flip();
        return MemoryRecords.readableRecords(buffer.slice());
    }
}
