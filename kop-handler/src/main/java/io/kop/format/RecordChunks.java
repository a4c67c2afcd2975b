package io.kop.format;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordsSend;

/**
 * A fetch answer's record set as buffers of whole Kafka batches, one after the other. It is written to
 * the response by reference (a gathering send), so a fetch never copies its records into one big buffer.
 *
 * <p>It owns one reference to each buffer (cached batches live in reference-counted slabs): whoever holds
 * it last calls {@link #release}, once the response carrying it is written or dropped. A send to a
 * {@link ByteBufSink} hands the sink references of its own.
 */
public final class RecordChunks implements BaseRecords {
    public static final RecordChunks EMPTY = new RecordChunks(List.of(), 0);

    /** A channel that takes buffers by reference: each one it is given carries a reference it must release. */
    public interface ByteBufSink {
        void add(ByteBuf retained);
    }

    private final ByteBuf[] chunks;
    private final int records;
    private final int sizeInBytes;
    private final AtomicBoolean released = new AtomicBoolean();

    /** @param chunks buffers of whole Kafka batches, in offset order, each with one reference this takes over */
    public RecordChunks(List<ByteBuf> chunks, int records) {
        this.chunks = chunks.toArray(new ByteBuf[0]);
        this.records = records;
        int size = 0;
        for (ByteBuf b : this.chunks) {
            size += b.readableBytes();
        }
        this.sizeInBytes = size;
    }

    public int recordCount() {
        return records;
    }

    @Override
    public int sizeInBytes() {
        return sizeInBytes;
    }

    /** Gives back the buffers' references; later calls do nothing, so a buffer is never released twice. */
    public void release() {
        if (released.compareAndSet(false, true)) {
            for (ByteBuf b : chunks) {
                b.release();
            }
        }
    }

    /**
     * The batches below {@code offset} (the last stable offset of a read_committed fetch), as records of
     * their own; this one is released. Batches never straddle it: it is the first offset of a batch.
     */
    public RecordChunks below(long offset) {
        int[] keptBytes = new int[chunks.length];
        int keptRecords = 0;
        int keptChunks = 0;
        boolean cut = false;
        for (int i = 0; i < chunks.length && !cut; i++) {
            ByteBuf b = chunks[i];
            for (org.apache.kafka.common.record.internal.MutableRecordBatch batch
                    : MemoryRecords.readableRecords(b.nioBuffer()).batches()) {
                if (batch.baseOffset() >= offset) {
                    cut = true;
                    break;
                }
                keptBytes[i] += batch.sizeInBytes();
                keptRecords += (int) (batch.lastOffset() - batch.baseOffset() + 1);
            }
            keptChunks = i + 1;
        }
        if (!cut) {
            return this;
        }
        // Slices only once the cut is known: a slice taken is a reference someone must give back.
        List<ByteBuf> kept = new ArrayList<>(keptChunks);
        for (int i = 0; i < keptChunks; i++) {
            if (keptBytes[i] > 0) {
                kept.add(chunks[i].retainedSlice(chunks[i].readerIndex(), keptBytes[i]));
            }
        }
        release();
        return new RecordChunks(kept, keptRecords);
    }

    /** The batches, in offset order, for the broker's own use; valid until {@link #release}. */
    public List<org.apache.kafka.common.record.internal.MutableRecordBatch> batches() {
        List<org.apache.kafka.common.record.internal.MutableRecordBatch> out = new ArrayList<>();
        for (ByteBuf b : chunks) {
            MemoryRecords.readableRecords(b.nioBuffer()).batches().forEach(out::add);
        }
        return out;
    }

    /** The records, for the broker's own scans (timestamp lookups); valid until {@link #release}. */
    public List<Record> toList() {
        List<Record> out = new ArrayList<>(records);
        for (ByteBuf b : chunks) {
            MemoryRecords.readableRecords(b.nioBuffer()).records().forEach(out::add);
        }
        return out;
    }

    @Override
    public RecordsSend<RecordChunks> toSend() {
        return new RecordsSend<>(this, sizeInBytes) {
            private ByteBuffer[] views;

            @Override
            protected int writeTo(TransferableChannel channel, int previouslyWritten, int remaining)
                    throws IOException {
                if (channel instanceof ByteBufSink sink && previouslyWritten == 0) {
                    for (ByteBuf b : chunks) {
                        sink.add(b.retainedDuplicate());
                    }
                    return sizeInBytes;
                }
                if (views == null) {
                    views = new ByteBuffer[chunks.length];
                    for (int i = 0; i < views.length; i++) {
                        views[i] = chunks[i].nioBuffer();
                    }
                }
                return (int) channel.write(views);
            }
        };
    }
}
