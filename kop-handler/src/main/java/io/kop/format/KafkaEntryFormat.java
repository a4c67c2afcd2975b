package io.kop.format;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.pulsar.common.api.proto.BrokerEntryMetadata;
import org.apache.pulsar.common.api.proto.KeyValue;
import org.apache.pulsar.common.api.proto.MessageMetadata;
import org.apache.pulsar.common.protocol.Commands;

/**
 * The {@code kafka} entry format: Kafka record batches stored as they are, behind a small Pulsar
 * header that counts the records (so the broker entry index advances by one per record). Used for
 * {@code __consumer_offsets} and for data topics with {@code kop.entry.format=kafka}: no per-record
 * conversion on either path, batches stay compressed, but Pulsar consumers cannot read them.
 * Base offsets are patched on read from the broker entry index (the batch CRC does not cover them).
 */
public final class KafkaEntryFormat {
    static final String PROP_FORMAT = "kafka.entry.format";
    /** Marks an entry holding a compacted copy of earlier records (at their own offsets), not new records. */
    static final String PROP_SNAPSHOT = "kop.offsets.snapshot";

    private KafkaEntryFormat() {
    }

    static boolean isKafkaFormat(MessageMetadata md) {
        for (KeyValue kv : md.getPropertiesList()) {
            if (kv.getKey().equals(PROP_FORMAT) && kv.getValue().equals("kafka")) {
                return true;
            }
        }
        return false;
    }

    /** Copies the entry's batches with offset >= {@code fromOffset} into the fetch output; returns records. */
    static int copyTo(BrokerEntryMetadata bem, MessageMetadata md, ByteBuf payload, long fromOffset,
                      FetchRecordsBuilder out) {
        int n = md.getNumMessagesInBatch();
        long baseOffset = bem.getIndex() - n + 1;
        if (baseOffset + n <= fromOffset) {
            return 0;
        }
        out.appendBatches(payload.nioBuffer(), baseOffset, n);
        return n;
    }

    /** The idempotent-producer fields of the stored batch, or null when it has none. */
    static PulsarEntryFormat.ProducerBatch producerBatch(ByteBuf entry) {
        StoredBatches stored = decode(entry);
        MutableRecordBatch batch = stored.records().batches().iterator().next();
        if (!batch.hasProducerId()) {
            return null;
        }
        org.apache.kafka.common.record.internal.ControlRecordType control = batch.isControlBatch()
                ? org.apache.kafka.common.record.internal.ControlRecordType.parse(batch.iterator().next().key())
                : null;
        return new PulsarEntryFormat.ProducerBatch(batch.producerId(), batch.producerEpoch(), batch.baseSequence(),
                batch.lastSequence(), stored.baseOffset(), batch.isTransactional(), control);
    }

    /** Wraps batches for storage (the offsets topic sets their base offsets first; data topics on read). */
    public static ByteBuf encode(MemoryRecords records, int numRecords, String producerName, long sequenceId) {
        return encode(records, numRecords, producerName, sequenceId, false);
    }

    /** Wraps one producer batch for storage, copying it once, straight into the entry. */
    public static ByteBuf encode(RecordBatch batch, int numRecords, String producerName) {
        MessageMetadata metadata = metadata(numRecords, producerName, 0, false);
        if (batch.isTransactional()) {
            PulsarEntryFormat.transactional(metadata, batch);
        }
        return encode(batch, metadata);
    }

    private static ByteBuf encode(RecordBatch batch, MessageMetadata metadata) {
        EntryBuffer entry = new EntryBuffer(metadata.getSerializedSize(), batch.sizeInBytes());
        ByteBuf payload = entry.payload();
        batch.writeTo(payload.nioBuffer(payload.writerIndex(), batch.sizeInBytes()));
        payload.writerIndex(payload.writerIndex() + batch.sizeInBytes());
        return entry.finish(metadata);
    }

    /**
     * Wraps a transaction marker (a control batch) for storage. The entry is marked as a Pulsar marker,
     * which Pulsar's dispatchers never deliver to Pulsar consumers; Kafka fetches return the batch.
     */
    public static ByteBuf encodeControl(RecordBatch batch, String producerName) {
        MessageMetadata metadata = metadata(1, producerName, 0, false);
        metadata.setMarkerType(org.apache.pulsar.common.api.proto.MarkerType.UNKNOWN_MARKER.getValue());
        return encode(batch, metadata);
    }

    /** Wraps a compacted copy of records that keep their original offsets (see {@link #isSnapshot}). */
    public static ByteBuf encodeSnapshot(MemoryRecords records, int numRecords) {
        return encode(records, numRecords, "kop-offsets-compactor", 0, true);
    }

    /** The records of a snapshot entry, at their own offsets (such entries carry no broker entry index). */
    public static MemoryRecords snapshotRecords(ByteBuf entry) {
        ByteBuf buf = entry.duplicate();
        Commands.skipBrokerEntryMetadataIfExist(buf);
        Commands.parseMessageMetadata(buf);
        return MemoryRecords.readableRecords(buf.nioBuffer());
    }

    /** True for an entry written by {@link #encodeSnapshot}: its records are not new log records. */
    public static boolean isSnapshot(ByteBuf entry) {
        ByteBuf buf = entry.duplicate();
        Commands.skipBrokerEntryMetadataIfExist(buf);
        for (KeyValue kv : Commands.parseMessageMetadata(buf).getPropertiesList()) {
            if (kv.getKey().equals(PROP_SNAPSHOT)) {
                return true;
            }
        }
        return false;
    }

    private static ByteBuf encode(MemoryRecords records, int numRecords, String producerName, long sequenceId,
                                  boolean snapshot) {
        return EntryBuffer.of(metadata(numRecords, producerName, sequenceId, snapshot),
                Unpooled.wrappedBuffer(records.buffer().duplicate()));
    }

    private static MessageMetadata metadata(int numRecords, String producerName, long sequenceId, boolean snapshot) {
        MessageMetadata metadata = new MessageMetadata()
                .setProducerName(producerName)
                .setSequenceId(sequenceId)
                .setPublishTime(System.currentTimeMillis())
                .setNumMessagesInBatch(numRecords);
        metadata.addProperty().setKey(PROP_FORMAT).setValue("kafka");
        if (snapshot) {
            metadata.addProperty().setKey(PROP_SNAPSHOT).setValue("true");
        }
        return metadata;
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
        if (bem == null || !bem.hasIndex() || !isKafkaFormat(md)) {
            throw new IllegalStateException("not a kafka-format entry with a broker entry index");
        }
        int n = md.getNumMessagesInBatch();
        return new StoredBatches(bem.getIndex() - n + 1, n, MemoryRecords.readableRecords(buf.nioBuffer()));
    }
}
