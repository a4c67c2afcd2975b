package io.kop.storage;

import io.kop.format.EntryReader;
import io.kop.format.FetchRecordsBuilder;
import io.kop.storage.CursorReader.DecodedEntry;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.bookkeeper.mledger.Entry;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.pulsar.common.api.proto.BrokerEntryMetadata;
import org.apache.pulsar.common.protocol.Commands;

/** Stored entries as Kafka sees them: an entry's last offset, and its records as Kafka batches. */
final class StoredEntries {
    private StoredEntries() {
    }

    /** The offset of the entry's last record (its broker entry index), or -1 without one. */
    static long lastIndex(Entry entry) {
        BrokerEntryMetadata m = Commands.peekBrokerEntryMetadataIfExist(entry.getDataBuffer());
        return m == null || !m.hasIndex() ? -1 : m.getIndex();
    }

    /** Decodes each entry from {@code fromOffset} and stamps leader epochs; the entries are released. */
    static List<DecodedEntry> decode(List<Entry> entries, long fromOffset, LeaderEpochs epochs) {
        List<DecodedEntry> decoded = new ArrayList<>(entries.size());
        try {
            for (Entry entry : entries) {
                DecodedEntry d = decode(entry, fromOffset);
                decoded.add(d);
                stampEpochs(d.batches(), epochs);
            }
            return decoded;
        } catch (RuntimeException e) {
            decoded.forEach(DecodedEntry::release);
            throw e;
        } finally {
            entries.forEach(Entry::release);
        }
    }

    /**
     * Gives each decoded batch the leader epoch it was written in, as Kafka's batches carry it: a
     * consumer remembers the epoch of what it read and, when the leader changes, asks the new one where
     * that epoch ended (OffsetsForLeaderEpoch). The field is outside the batch CRC.
     */
    static void stampEpochs(ByteBuf batches, LeaderEpochs epochs) {
        for (MutableRecordBatch batch : MemoryRecords.readableRecords(
                batches.nioBuffer(batches.readerIndex(), batches.readableBytes())).batches()) {
            batch.setPartitionLeaderEpoch(epochs.epochAt(batch.baseOffset()));
        }
    }

    /** The entry's records from {@code fromOffset} as Kafka batches in a buffer of their own. */
    static DecodedEntry decode(Entry entry, long fromOffset) {
        FetchRecordsBuilder records = FetchRecordsBuilder.forEntry(entry.getLength());
        try {
            long next = EntryReader.decode(entry.getDataBuffer(), fromOffset, records);
            return new DecodedEntry(records.buildBuffer(), records.records(), next);
        } catch (IOException e) {
            records.discard();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            records.discard();
            throw e;
        }
    }
}
