package io.kop.format;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import org.apache.pulsar.common.api.proto.MessageMetadata;
import org.apache.pulsar.common.protocol.Commands;

/** Reads any stored entry, whatever format wrote it: topics may hold both, and Pulsar-written entries. */
public final class EntryReader {
    private EntryReader() {
    }

    private static boolean isKafkaFormat(ByteBuf entry) {
        ByteBuf buf = entry.duplicate();
        Commands.skipBrokerEntryMetadataIfExist(buf);
        MessageMetadata md = Commands.parseMessageMetadata(buf);
        return KafkaEntryFormat.isKafkaFormat(md);
    }

    /** Appends the entry's records with offset >= {@code fromOffset}; returns how many. */
    public static int decode(ByteBuf entry, long fromOffset, FetchRecordsBuilder out) throws IOException {
        return isKafkaFormat(entry) ? KafkaEntryFormat.copyTo(entry, fromOffset, out)
                : PulsarEntryFormat.decode(entry, fromOffset, out);
    }

    /** The idempotent-producer fields stored with a Kafka-written entry, or null. */
    public static PulsarEntryFormat.ProducerBatch producerBatch(ByteBuf entry) {
        return isKafkaFormat(entry) ? KafkaEntryFormat.producerBatch(entry) : PulsarEntryFormat.producerBatch(entry);
    }
}
