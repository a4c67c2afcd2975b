package io.kop.format;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.pulsar.common.api.proto.BrokerEntryMetadata;
import org.apache.pulsar.common.api.proto.KeyValue;
import org.apache.pulsar.common.api.proto.MessageMetadata;
import org.apache.pulsar.common.protocol.Commands;

/**
 * The {@code kafka} entry format: Kafka record batches stored as they are, behind a small Pulsar
 * header that counts the records (so the broker entry index advances by one per record). Used for
 * {@code __consumer_offsets}, whose only reader is the group coordinator.
 */
public final class KafkaEntryFormat {
    static final String PROP_FORMAT = "kafka.entry.format";

    private KafkaEntryFormat() {
    }

    /** Wraps batches whose base offsets are already set to their place in the log. */
    public static ByteBuf encode(MemoryRecords records, int numRecords, String producerName, long sequenceId) {
        MessageMetadata metadata = new MessageMetadata()
                .setProducerName(producerName)
                .setSequenceId(sequenceId)
                .setPublishTime(System.currentTimeMillis())
                .setNumMessagesInBatch(numRecords);
        metadata.addProperty().setKey(PROP_FORMAT).setValue("kafka");
        ByteBuffer buffer = records.buffer().duplicate();
        return Commands.serializeMetadataAndPayload(Commands.ChecksumType.Crc32c, metadata,
                Unpooled.wrappedBuffer(buffer));
    }

    /** Rewrites the base offsets of the batches so that the first record gets {@code baseOffset}. */
    public static void assignOffsets(MemoryRecords records, long baseOffset) {
        long next = baseOffset;
        for (MutableRecordBatch batch : records.batches()) {
            long delta = batch.lastOffset() - batch.baseOffset();
            batch.setLastOffset(next + delta);
            next += delta + 1;
        }
    }

    /** A stored entry: its records and the offset of the first one (from the broker entry index). */
    public record StoredBatches(long baseOffset, int numRecords, MemoryRecords records) {
    }

    /** Reads a stored entry; the returned records share memory with {@code entry}. */
    public static StoredBatches decode(ByteBuf entry) {
        ByteBuf buf = entry.duplicate();
        BrokerEntryMetadata bem = Commands.parseBrokerEntryMetadataIfExist(buf);
        MessageMetadata md = Commands.parseMessageMetadata(buf);
        boolean kafka = false;
        for (KeyValue kv : md.getPropertiesList()) {
            kafka |= kv.getKey().equals(PROP_FORMAT) && kv.getValue().equals("kafka");
        }
        if (bem == null || !bem.hasIndex() || !kafka) {
            throw new IllegalStateException("not a kafka-format entry with a broker entry index");
        }
        int n = md.getNumMessagesInBatch();
        return new StoredBatches(bem.getIndex() - n + 1, n, MemoryRecords.readableRecords(buf.nioBuffer()));
    }
}
