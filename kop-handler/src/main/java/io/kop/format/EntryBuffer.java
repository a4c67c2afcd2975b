package io.kop.format;

import io.netty.buffer.ByteBuf;
import java.util.zip.CRC32C;
import org.apache.pulsar.common.allocator.PulsarByteBufAllocator;
import org.apache.pulsar.common.api.proto.MessageMetadata;
import org.apache.pulsar.common.protocol.Commands;

/**
 * A Pulsar entry ({@code [magic][crc32c][metadata size][metadata][payload]}, what a Pulsar producer
 * sends) built in one buffer, payload first: the payload is written behind room for the largest header
 * its metadata can take, and the header is put right in front of it at the end. So the records are
 * copied once, where {@link Commands#serializeMetadataAndPayload} copies a finished payload again.
 * Every entry KoP writes is framed here; a payload that already exists (a compressed body, the
 * offsets topic's records) is copied in with {@link #of}.
 */
final class EntryBuffer {
    private static final int FIXED_HEADER = 2 + 4 + 4; // magic, checksum, metadata size

    private final ByteBuf buf;
    private final int payloadStart;

    /**
     * @param maxMetadataSize the most bytes the metadata will take once complete
     * @param payloadCapacity the expected payload size; the buffer grows if it is exceeded
     */
    EntryBuffer(int maxMetadataSize, int payloadCapacity) {
        payloadStart = FIXED_HEADER + maxMetadataSize;
        buf = PulsarByteBufAllocator.DEFAULT.directBuffer(payloadStart + payloadCapacity);
        buf.writerIndex(payloadStart);
        buf.readerIndex(payloadStart);
    }

    /** An entry of {@code metadata} (complete) and a copy of {@code payload}. */
    static ByteBuf of(MessageMetadata metadata, ByteBuf payload) {
        EntryBuffer entry = new EntryBuffer(metadata.getSerializedSize(), payload.readableBytes());
        entry.payload().writeBytes(payload, payload.readerIndex(), payload.readableBytes());
        return entry.finish(metadata);
    }

    /** Where the payload is written; its readable bytes are the payload so far. */
    ByteBuf payload() {
        return buf;
    }

    /** Puts the header of {@code metadata} before the payload and returns the entry (the caller owns it). */
    ByteBuf finish(MessageMetadata metadata) {
        int size = metadata.getSerializedSize();
        int start = payloadStart - FIXED_HEADER - size;
        if (start < 0) {
            release();
            throw new IllegalStateException("metadata of " + size + " bytes exceeds the room reserved for it");
        }
        int end = buf.writerIndex();
        buf.readerIndex(start).writerIndex(start);
        buf.writeShort(Commands.magicCrc32c).writeInt(0).writeInt(size);
        metadata.writeTo(buf);
        buf.writerIndex(end);
        CRC32C crc = new CRC32C(); // over the metadata size, the metadata and the payload
        crc.update(buf.nioBuffer(start + 6, end - start - 6));
        buf.setInt(start + 2, (int) crc.getValue());
        return buf;
    }

    void release() {
        buf.release();
    }
}
