package io.kop.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.record.internal.BaseRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordsSend;

/**
 * A fetch answer's record set as the decoded entries' buffers, one after the other. It is written to the
 * response by reference (a gathering send), so a fetch never copies its records into one big buffer.
 */
public final class RecordChunks implements BaseRecords {
    public static final RecordChunks EMPTY = new RecordChunks(List.of(), 0);

    private final List<ByteBuffer> chunks;
    private final int records;
    private final int sizeInBytes;

    /** @param chunks buffers of whole Kafka batches, in offset order */
    public RecordChunks(List<ByteBuffer> chunks, int records) {
        this.chunks = List.copyOf(chunks);
        this.records = records;
        int size = 0;
        for (ByteBuffer b : this.chunks) {
            size += b.remaining();
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

    /** The records, for the broker's own scans (timestamp lookups). */
    public List<Record> toList() {
        List<Record> out = new ArrayList<>(records);
        for (ByteBuffer b : chunks) {
            MemoryRecords.readableRecords(b.duplicate()).records().forEach(out::add);
        }
        return out;
    }

    @Override
    public RecordsSend<RecordChunks> toSend() {
        ByteBuffer[] buffers = new ByteBuffer[chunks.size()];
        for (int i = 0; i < buffers.length; i++) {
            buffers[i] = chunks.get(i).duplicate();
        }
        return new RecordsSend<>(this, sizeInBytes) {
            @Override
            protected int writeTo(TransferableChannel channel, int previouslyWritten, int remaining)
                    throws IOException {
                return (int) channel.write(buffers);
            }
        };
    }
}
