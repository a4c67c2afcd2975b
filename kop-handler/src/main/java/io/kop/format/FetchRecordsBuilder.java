package io.kop.format;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.ByteBufferOutputStream;
import org.apache.pulsar.common.allocator.PulsarByteBufAllocator;

/**
 * Builds the Kafka batches of one stored entry in one pooled direct buffer, which a fetch answer sends
 * to the socket as it is (Netty copies every heap buffer into direct memory before a socket write).
 */
public final class FetchRecordsBuilder {
    private final ByteBufferOutputStream stream;
    private final ByteBuf direct;
    /** What the stream writes into while the records fit {@code direct}. */
    private final ByteBuffer directView;
    private int records;
    private int batchStart;
    private byte[] scratch = new byte[0];

    /**
     * A builder for the records of a stored entry of {@code entryLength} bytes, into a pooled direct
     * buffer the caller owns until {@link #buildBuffer} or {@link #discard}. A Kafka record takes at most
     * a few bytes more than the Pulsar message it comes from (wider varints), and a batch header is 61
     * bytes; should the records still outgrow the buffer, Kafka's stream moves them to the heap, and
     * {@link #buildBuffer} answers with a heap buffer.
     */
    public static FetchRecordsBuilder forEntry(int entryLength) {
        int capacity = entryLength + entryLength / 8 + 1024;
        return new FetchRecordsBuilder(PulsarByteBufAllocator.DEFAULT.directBuffer(capacity, capacity));
    }

    /** A builder into {@code direct}, whose reference it takes over. */
    FetchRecordsBuilder(ByteBuf direct) {
        this.direct = direct;
        this.directView = direct.nioBuffer(0, direct.capacity());
        this.stream = new ByteBufferOutputStream(directView);
    }

    /** The producer of a transactional batch, which the rebuilt batch names as the stored one did. */
    record Producer(long id, short epoch, int baseSequence) {
    }

    /** {@code producer}: the batch's transactional producer, or null for a plain batch. */
    MemoryRecordsBuilder startBatch(long baseOffset, TimestampType timestampType, long logAppendTime,
                                    Producer producer) {
        batchStart = stream.position();
        return new MemoryRecordsBuilder(stream, RecordBatch.MAGIC_VALUE_V2, Compression.NONE, timestampType,
                baseOffset, timestampType == TimestampType.LOG_APPEND_TIME ? logAppendTime : RecordBatch.NO_TIMESTAMP,
                producer == null ? RecordBatch.NO_PRODUCER_ID : producer.id(),
                producer == null ? RecordBatch.NO_PRODUCER_EPOCH : producer.epoch(),
                producer == null ? RecordBatch.NO_SEQUENCE : producer.baseSequence(),
                producer != null, false, RecordBatch.NO_PARTITION_LEADER_EPOCH, Integer.MAX_VALUE);
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

    /** The batches, with the one reference to their buffer, which the caller then owns. */
    public ByteBuf buildBuffer() {
        if (stream.buffer() == directView) {
            return direct.writerIndex(stream.position());
        }
        discard();
        ByteBuffer heap = stream.buffer().duplicate();
        heap.flip();
        return Unpooled.wrappedBuffer(heap);
    }

    /** Gives back the direct buffer of a builder that will not be built. */
    public void discard() {
        direct.release();
    }
}
