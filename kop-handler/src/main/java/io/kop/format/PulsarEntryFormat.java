package io.kop.format;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.internals.BufferSupplier;
import org.apache.kafka.common.utils.internals.CloseableIterator;
import org.apache.pulsar.common.api.proto.BrokerEntryMetadata;
import org.apache.pulsar.common.api.proto.KeyValue;
import org.apache.pulsar.common.api.proto.MessageMetadata;
import org.apache.pulsar.common.api.proto.SingleMessageMetadata;
import org.apache.pulsar.common.compression.CompressionCodec;
import org.apache.pulsar.common.compression.CompressionCodecProvider;
import org.apache.pulsar.common.protocol.Commands;

/**
 * The {@code pulsar} entry format: one Kafka record batch becomes one Pulsar batch message (one
 * ManagedLedger entry) with one Pulsar message per Kafka record, so Pulsar consumers read Kafka-written
 * data natively and Kafka consumers read Pulsar-written data.
 *
 * <p>Mapping: key -> partition key (base64 when not UTF-8), value -> payload (null -> null_value),
 * timestamp -> event time, headers -> properties ({@link HeaderMapping}). The Kafka producer id, epoch
 * and base sequence travel in the batch metadata so producer state can be rebuilt from the log.
 */
public final class PulsarEntryFormat {
    public static final String PRODUCER_NAME = "kafka";
    static final String PROP_PRODUCER_ID = "kafka.producer.id";
    static final String PROP_PRODUCER_EPOCH = "kafka.producer.epoch";
    static final String PROP_BASE_SEQUENCE = "kafka.base.sequence";
    static final String PROP_LOG_APPEND_TIME = "kafka.log.append.time";
    static final String PROP_TRANSACTIONAL = "kafka.transactional";

    private PulsarEntryFormat() {
    }

    /**
     * Marks a transactional batch's entry as a Pulsar transaction's (producer id, epoch), so Pulsar's
     * dispatchers ask the topic's transaction buffer whether it was aborted (see KafkaTransactionBuffer).
     */
    static void transactional(MessageMetadata metadata, RecordBatch batch) {
        metadata.setTxnidMostBits(batch.producerId()).setTxnidLeastBits(batch.producerEpoch());
    }

    /**
     * Encodes a validated Kafka batch (magic 2) into the Pulsar message bytes to publish.
     *
     * @param logAppendTime the broker time to use as record timestamps, or -1 to keep the producer's
     */
    public static ByteBuf encode(RecordBatch batch, int numRecords, long publishTime, long logAppendTime) {
        MessageMetadata metadata = new MessageMetadata()
                .setProducerName(PRODUCER_NAME)
                .setSequenceId(0)
                .setPublishTime(publishTime)
                .setNumMessagesInBatch(numRecords);
        if (batch.hasProducerId()) {
            metadata.addProperty().setKey(PROP_PRODUCER_ID).setValue(Long.toString(batch.producerId()));
            metadata.addProperty().setKey(PROP_PRODUCER_EPOCH).setValue(Short.toString(batch.producerEpoch()));
            metadata.addProperty().setKey(PROP_BASE_SEQUENCE).setValue(Integer.toString(batch.baseSequence()));
            if (batch.isTransactional()) {
                metadata.addProperty().setKey(PROP_TRANSACTIONAL).setValue("true");
                transactional(metadata, batch);
            }
        }
        if (logAppendTime >= 0) {
            metadata.addProperty().setKey(PROP_LOG_APPEND_TIME).setValue("true");
        }
        org.apache.pulsar.common.api.proto.CompressionType codec = pulsarCodec(batch.compressionType());
        boolean compressed = codec != org.apache.pulsar.common.api.proto.CompressionType.NONE;
        // Pulsar's per-message framing is a few bytes more than Kafka's per record; keys and headers
        // that need base64 grow the buffer. Compressed batches build their payload here, then compress.
        EntryBuffer entry = new EntryBuffer(metadata.getSerializedSize() + UNCOMPRESSED_SIZE_FIELD_MAX,
                compressed ? 0 : batch.sizeInBytes() + numRecords * 8);
        ByteBuf payload = entry.payload();
        boolean done = false;
        try {
            writeMessages(batch, numRecords, logAppendTime, payload);
            metadata.setUncompressedSize(payload.readableBytes());
            if (compressed) {
                ByteBuf body = CompressionCodecProvider.getCompressionCodec(codec).encode(payload);
                try {
                    metadata.setCompression(codec);
                    return EntryBuffer.of(metadata, body);
                } finally {
                    body.release();
                }
            }
            done = true;
            return entry.finish(metadata);
        } finally {
            if (!done) {
                entry.release();
            }
        }
    }

    /** Tag and largest varint of {@code uncompressed_size}, set once the payload is written. */
    private static final int UNCOMPRESSED_SIZE_FIELD_MAX = 1 + 5;

    /** One Pulsar message per record, as a Pulsar batch lays them out: size, single-message metadata, value. */
    private static void writeMessages(RecordBatch batch, int numRecords, long logAppendTime, ByteBuf payload) {
        SingleMessageMetadata smm = new SingleMessageMetadata();
        try (CloseableIterator<Record> records = batch.streamingIterator(BufferSupplier.NO_CACHING)) {
            long expectedOffset = batch.baseOffset();
            while (records.hasNext()) {
                Record r = records.next();
                if (r.offset() != expectedOffset++) {
                    throw new InvalidRecordException("record offsets in a batch must be consecutive from "
                            + batch.baseOffset() + ", found " + r.offset());
                }
                smm.clear();
                if (r.hasKey()) {
                    byte[] key = bytes(r.key());
                    String text = HeaderMapping.strictUtf8(key);
                    if (text != null) {
                        smm.setPartitionKey(text);
                    } else {
                        smm.setPartitionKey(Base64.getEncoder().encodeToString(key));
                        smm.setPartitionKeyB64Encoded(true);
                    }
                }
                long ts = logAppendTime >= 0 ? logAppendTime : r.timestamp();
                if (ts > 0) {
                    smm.setEventTime(ts);
                }
                HeaderMapping.toProperties(r.headers(), (k, v) -> smm.addProperty().setKey(k).setValue(v));
                ByteBuffer value = r.hasValue() ? r.value() : null;
                if (value == null) {
                    smm.setNullValue(true);
                }
                smm.setPayloadSize(value == null ? 0 : value.remaining());
                payload.writeInt(smm.getSerializedSize());
                smm.writeTo(payload);
                if (value != null) {
                    payload.writeBytes(value);
                }
            }
            if (expectedOffset - batch.baseOffset() != numRecords) {
                throw new InvalidRecordException("batch header counts " + numRecords + " records, found "
                        + (expectedOffset - batch.baseOffset()));
            }
        }
    }

    /** Kafka codecs map to the Pulsar codec of the same family (gzip -> zlib), so storage stays compact. */
    private static org.apache.pulsar.common.api.proto.CompressionType pulsarCodec(CompressionType kafka) {
        return switch (kafka) {
            case NONE -> org.apache.pulsar.common.api.proto.CompressionType.NONE;
            case GZIP -> org.apache.pulsar.common.api.proto.CompressionType.ZLIB;
            case SNAPPY -> org.apache.pulsar.common.api.proto.CompressionType.SNAPPY;
            case LZ4 -> org.apache.pulsar.common.api.proto.CompressionType.LZ4;
            case ZSTD -> org.apache.pulsar.common.api.proto.CompressionType.ZSTD;
        };
    }

    /** What the head of an entry says about its offsets and time, without decoding the messages. */
    public record EntryInfo(long baseOffset, long lastOffset, long publishTime) {
    }

    /**
     * The producer fields of a Kafka-written entry; {@code control} is the transaction marker it holds
     * (a control batch: sequences -1), or null for records.
     */
    public record ProducerBatch(long producerId, short epoch, int baseSequence, int lastSequence, long baseOffset,
                                boolean transactional, org.apache.kafka.common.record.internal.ControlRecordType control) {
    }

    /** The producer fields stored with a Kafka batch, or null for entries of non-idempotent or Pulsar producers. */
    public static ProducerBatch producerBatch(ByteBuf entry) {
        int start = entry.readerIndex();
        try {
            BrokerEntryMetadata bem = Commands.parseBrokerEntryMetadataIfExist(entry);
            MessageMetadata md = Commands.parseMessageMetadata(entry);
            long pid = -1;
            short epoch = -1;
            int seq = -1;
            boolean transactional = false;
            for (KeyValue kv : md.getPropertiesList()) {
                switch (kv.getKey()) {
                    case PROP_PRODUCER_ID -> pid = Long.parseLong(kv.getValue());
                    case PROP_PRODUCER_EPOCH -> epoch = Short.parseShort(kv.getValue());
                    case PROP_BASE_SEQUENCE -> seq = Integer.parseInt(kv.getValue());
                    case PROP_TRANSACTIONAL -> transactional = true;
                    default -> { }
                }
            }
            if (pid < 0 || bem == null) {
                return null;
            }
            int n = md.hasNumMessagesInBatch() ? md.getNumMessagesInBatch() : 1;
            return new ProducerBatch(pid, epoch, seq, seq + n - 1, bem.getIndex() - n + 1, transactional, null);
        } finally {
            entry.readerIndex(start);
        }
    }

    /** Reads an entry's offsets (from the broker entry index) and publish time. */
    public static EntryInfo info(ByteBuf entry) {
        int start = entry.readerIndex();
        try {
            BrokerEntryMetadata bem = Commands.parseBrokerEntryMetadataIfExist(entry);
            if (bem == null || !bem.hasIndex()) {
                throw new IllegalStateException("entry has no broker entry index; is "
                        + "AppendIndexMetadataInterceptor configured?");
            }
            MessageMetadata md = Commands.parseMessageMetadata(entry);
            int n = md.hasNumMessagesInBatch() ? md.getNumMessagesInBatch() : 1;
            return new EntryInfo(bem.getIndex() - n + 1, bem.getIndex(), md.getPublishTime());
        } finally {
            entry.readerIndex(start);
        }
    }

    /**
     * Appends the records of one entry with offset >= {@code fromOffset} to the fetch output as one Kafka
     * batch. Returns the number of records written.
     */
    public static int decode(ByteBuf entry, long fromOffset, FetchRecordsBuilder out) throws IOException {
        ByteBuf buf = entry.duplicate();
        BrokerEntryMetadata bem = Commands.parseBrokerEntryMetadataIfExist(buf);
        return decode(bem, Commands.parseMessageMetadata(buf), buf, fromOffset, out);
    }

    /** The same, for an entry whose headers the caller parsed; {@code entry} is positioned at the payload. */
    static int decode(BrokerEntryMetadata bem, MessageMetadata md, ByteBuf entry, long fromOffset,
                      FetchRecordsBuilder out) throws IOException {
        ByteBuf uncompressed = null;
        try {
            if (md.hasMarkerType() || (md.hasNumChunksFromMsg() && md.getNumChunksFromMsg() > 1)) {
                return 0; // transaction/replication markers and chunks of large messages are not records
            }
            boolean batched = md.hasNumMessagesInBatch();
            int n = batched ? md.getNumMessagesInBatch() : 1;
            long baseOffset = bem.getIndex() - n + 1;
            if (baseOffset + n <= fromOffset) {
                return 0;
            }
            boolean logAppendTime = false;
            boolean transactional = false;
            long producerId = RecordBatch.NO_PRODUCER_ID;
            short producerEpoch = RecordBatch.NO_PRODUCER_EPOCH;
            int baseSequence = RecordBatch.NO_SEQUENCE;
            for (KeyValue kv : md.getPropertiesList()) {
                switch (kv.getKey()) {
                    case PROP_LOG_APPEND_TIME -> logAppendTime = true;
                    case PROP_TRANSACTIONAL -> transactional = true;
                    case PROP_PRODUCER_ID -> producerId = Long.parseLong(kv.getValue());
                    case PROP_PRODUCER_EPOCH -> producerEpoch = Short.parseShort(kv.getValue());
                    case PROP_BASE_SEQUENCE -> baseSequence = Integer.parseInt(kv.getValue());
                    default -> { }
                }
            }
            // A transactional batch keeps its producer: read_committed consumers drop aborted ones by it.
            FetchRecordsBuilder.Producer producer = transactional
                    ? new FetchRecordsBuilder.Producer(producerId, producerEpoch, baseSequence) : null;
            ByteBuf payload = entry;
            if (md.hasCompression() && md.getCompression() != org.apache.pulsar.common.api.proto.CompressionType.NONE) {
                CompressionCodec codec = CompressionCodecProvider.getCompressionCodec(md.getCompression());
                uncompressed = codec.decode(entry, md.getUncompressedSize());
                payload = uncompressed;
            }
            MemoryRecordsBuilder builder = out.startBatch(baseOffset,
                    logAppendTime ? TimestampType.LOG_APPEND_TIME : TimestampType.CREATE_TIME, md.getPublishTime(),
                    producer);
            int written = 0;
            if (!batched) {
                long offset = baseOffset;
                if (offset >= fromOffset) {
                    long ts = md.hasEventTime() && md.getEventTime() > 0 ? md.getEventTime() : md.getPublishTime();
                    byte[] key = md.hasPartitionKey()
                            ? keyBytes(md.getPartitionKey(), md.isPartitionKeyB64Encoded()) : null;
                    byte[] value = md.hasNullValue() && md.isNullValue() ? null : bytes(payload);
                    builder.appendWithOffset(offset, ts, key, value, HeaderMapping.fromProperties(md.getPropertiesList()));
                    written++;
                }
            } else {
                SingleMessageMetadata smm = new SingleMessageMetadata();
                for (int i = 0; i < n; i++) {
                    // A batch lays out each message as [metadata size][metadata][payload], as
                    // Commands.deSerializeSingleMessageInBatch reads it; read in place, without a
                    // reference-counted slice per message.
                    smm.clear(); // parseFrom does not reset fields absent from the next message
                    smm.parseFrom(payload, payload.readInt());
                    int valueStart = payload.readerIndex();
                    payload.skipBytes(smm.getPayloadSize());
                    long offset = baseOffset + i;
                    if (offset < fromOffset || smm.isCompactedOut()) {
                        continue;
                    }
                    long ts = smm.hasEventTime() && smm.getEventTime() > 0 ? smm.getEventTime() : md.getPublishTime();
                    byte[] key = smm.hasPartitionKey()
                            ? keyBytes(smm.getPartitionKey(), smm.isPartitionKeyB64Encoded()) : null;
                    ByteBuffer value = smm.hasNullValue() && smm.isNullValue()
                            ? null : out.heapView(payload, valueStart, smm.getPayloadSize());
                    Header[] headers = HeaderMapping.fromProperties(smm.getPropertiesList());
                    builder.appendWithOffset(offset, ts, key == null ? null : ByteBuffer.wrap(key), value, headers);
                    written++;
                }
            }
            out.endBatch(builder);
            return written;
        } finally {
            if (uncompressed != null) {
                uncompressed.release();
            }
        }
    }

    private static byte[] keyBytes(String key, boolean base64) {
        return base64 ? Base64.getDecoder().decode(key) : key.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(ByteBuf buf) {
        byte[] out = new byte[buf.readableBytes()];
        buf.getBytes(buf.readerIndex(), out);
        return out;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] out = new byte[buffer.remaining()];
        buffer.duplicate().get(out);
        return out;
    }
}
