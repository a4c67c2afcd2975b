package io.kop.format;

import io.netty.buffer.ByteBuf;
import java.io.IOException;
import org.apache.pulsar.common.api.proto.BrokerEntryMetadata;
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

    /**
     * Appends the entry's records with offset >= {@code fromOffset}, parsing its headers once; returns
     * the offset after the entry (the next entry's first offset).
     */
    public static long decode(ByteBuf entry, long fromOffset, FetchRecordsBuilder out) throws IOException {
        ByteBuf buf = entry.duplicate();
        BrokerEntryMetadata bem = Commands.parseBrokerEntryMetadataIfExist(buf);
        if (bem == null || !bem.hasIndex()) {
            throw new IllegalStateException("entry has no broker entry index; is AppendIndexMetadataInterceptor "
                    + "configured?");
        }
        MessageMetadata md = Commands.parseMessageMetadata(buf);
        if (KafkaEntryFormat.isKafkaFormat(md)) {
            KafkaEntryFormat.copyTo(bem, md, buf, fromOffset, out);
        } else {
            PulsarEntryFormat.decode(bem, md, buf, fromOffset, out);
        }
        return bem.getIndex() + 1;
    }

    /** The idempotent-producer fields stored with a Kafka-written entry, or null. */
    public static PulsarEntryFormat.ProducerBatch producerBatch(ByteBuf entry) {
        return isKafkaFormat(entry) ? KafkaEntryFormat.producerBatch(entry) : PulsarEntryFormat.producerBatch(entry);
    }
}
