package io.kop.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.apache.pulsar.common.api.proto.MessageMetadata;
import org.apache.pulsar.common.protocol.Commands;
import org.junit.jupiter.api.Test;

class EntryBufferTest {

    private static MessageMetadata metadata(int payloadSize) {
        MessageMetadata md = new MessageMetadata().setProducerName("kafka").setSequenceId(0)
                .setPublishTime(1234567890123L).setNumMessagesInBatch(3);
        md.addProperty().setKey("k").setValue("v");
        return md.setUncompressedSize(payloadSize);
    }

    private static void assertSameAsPulsars(int capacity, String payloadText) {
        byte[] payload = payloadText.getBytes(StandardCharsets.UTF_8);
        EntryBuffer entry = new EntryBuffer(metadata(0).getSerializedSize() + 6, capacity);
        entry.payload().writeBytes(payload);
        ByteBuf ours = entry.finish(metadata(payload.length));
        ByteBuf pulsars = Commands.serializeMetadataAndPayload(Commands.ChecksumType.Crc32c,
                metadata(payload.length), Unpooled.wrappedBuffer(payload));
        try {
            assertEquals(ByteBufUtil.hexDump(pulsars), ByteBufUtil.hexDump(ours));
            assertTrue(Commands.hasChecksum(ours.duplicate()));
        } finally {
            ours.release();
            pulsars.release();
        }
    }

    @Test
    void theEntryIsByteForByteWhatPulsarWritesWithTheSameChecksum() {
        assertSameAsPulsars(64, "three messages' worth of payload");
    }

    @Test
    void aPayloadBeyondItsExpectedSizeGrowsTheBufferAndKeepsTheHeaderRoom() {
        assertSameAsPulsars(4, "x".repeat(100_000)); // the uncompressed size takes a 3-byte varint, not 1
    }
}
