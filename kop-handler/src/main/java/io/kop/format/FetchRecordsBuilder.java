package io.kop.format;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.ByteBufferOutputStream;

/** Collects the Kafka batches of one partition's fetch answer into one buffer. */
public final class FetchRecordsBuilder {
    private final ByteBufferOutputStream stream;
    private int records;
    private int batchStart;

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
    void appendBatches(java.nio.ByteBuffer batches, long baseOffset, int numRecords) {
        int start = stream.position();
        stream.write(batches.duplicate());
        java.nio.ByteBuffer written = stream.buffer().duplicate();
        written.position(start).limit(stream.position());
        KafkaEntryFormat.assignOffsets(MemoryRecords.readableRecords(written.slice()), baseOffset);
        records += numRecords;
    }

    public int sizeInBytes() {
        return stream.position();
    }

    public int records() {
        return records;
    }

    public MemoryRecords build() {
        java.nio.ByteBuffer buffer = stream.buffer().duplicate();
        buffer.flip();
        return MemoryRecords.readableRecords(buffer.slice());
    }
}
