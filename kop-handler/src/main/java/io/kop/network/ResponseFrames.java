package io.kop.network;

import io.kop.format.RecordChunks;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.network.Send;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.SendBuilder;
import org.apache.kafka.common.requests.ResponseHeader;

/**
 * A response as one Netty buffer, size prefix included, built with kafka-clients' {@link SendBuilder}:
 * record sets (fetch responses) are referenced, not copied into the frame. The frame holds references of
 * its own to the records' buffers, so the body's are given back with {@link #release} once it is framed.
 *
 * <p>The frame is all direct memory: Netty copies a frame with any heap part whole into direct memory
 * before the socket write, so the heap parts (the serialized fields) are copied here instead, and
 * records, already direct (cached batches, and batches decoded from storage), go out as they are.
 */
final class ResponseFrames {
    private ResponseFrames() {
    }

    static ByteBuf frame(ByteBufAllocator alloc, ResponseHeader header, ApiMessage body, short version)
            throws IOException {
        Send send = SendBuilder.buildResponseSend(header, body, version);
        Collector collector = new Collector(alloc);
        try {
            while (!send.completed()) {
                send.writeTo(collector);
            }
        } catch (IOException | RuntimeException e) {
            collector.out.release();
            throw e;
        }
        return collector.out;
    }

    /** Gives back the references a response body holds: the record sets of a fetch response. */
    static void release(ApiMessage body) {
        if (body instanceof FetchResponseData fetch) {
            for (FetchableTopicResponse topic : fetch.responses()) {
                for (PartitionData partition : topic.partitions()) {
                    if (partition.records() instanceof RecordChunks chunks) {
                        chunks.release();
                    }
                }
            }
        }
    }

    /** A "channel" that takes every buffer it is given by reference. */
    private static final class Collector implements TransferableChannel, RecordChunks.ByteBufSink {
        final ByteBufAllocator alloc;
        final CompositeByteBuf out;

        Collector(ByteBufAllocator alloc) {
            this.alloc = alloc;
            this.out = alloc.compositeDirectBuffer(Integer.MAX_VALUE);
        }

        @Override
        public void add(ByteBuf retained) {
            if (retained.isDirect()) {
                out.addComponent(true, retained);
                return;
            }
            try {
                ByteBuf direct = alloc.directBuffer(retained.readableBytes());
                direct.writeBytes(retained, retained.readerIndex(), retained.readableBytes());
                out.addComponent(true, direct);
            } finally {
                retained.release();
            }
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            long written = 0;
            for (int i = offset; i < offset + length; i++) {
                written += write(srcs[i]);
            }
            return written;
        }

        @Override
        public long write(ByteBuffer[] srcs) {
            return write(srcs, 0, srcs.length);
        }

        @Override
        public int write(ByteBuffer src) {
            int n = src.remaining();
            if (n > 0) {
                add(Unpooled.wrappedBuffer(src.slice()));
                src.position(src.limit());
            }
            return n;
        }

        @Override
        public boolean hasPendingWrites() {
            return false;
        }

        @Override
        public long transferFrom(FileChannel fileChannel, long position, long count) throws IOException {
            ByteBuffer copy = ByteBuffer.allocate((int) count);
            fileChannel.read(copy, position);
            copy.flip();
            return write(copy);
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
