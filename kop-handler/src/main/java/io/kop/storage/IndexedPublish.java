package io.kop.storage;

import io.netty.buffer.ByteBuf;
import org.apache.bookkeeper.mledger.Position;
import org.apache.bookkeeper.mledger.PositionFactory;
import org.apache.pulsar.broker.service.Topic;
import org.apache.pulsar.common.api.proto.BrokerEntryMetadata;
import org.apache.pulsar.common.protocol.Commands;

/**
 * A publish through {@code PersistentTopic.publishMessage} that learns the broker entry index of the
 * stored entry (the offset of its last record) before Pulsar reports the write complete. Each writer
 * publishes under one producer name with rising sequence ids, so Pulsar's deduplication, when enabled,
 * never mistakes a Kafka batch for a duplicate.
 */
public abstract class IndexedPublish implements Topic.PublishContext {
    private final int numRecords;
    private final String producerName;
    private final long sequenceId;
    private volatile long lastIndex = -1;
    private volatile Position position;

    protected IndexedPublish(int numRecords, String producerName, long sequenceId) {
        this.numRecords = numRecords;
        this.producerName = producerName;
        this.sequenceId = sequenceId;
    }

    /** Called once: {@code error} null and {@code lastIndex} the entry index on success (-1 if missing). */
    protected abstract void onComplete(Exception error, long lastIndex);

    @Override
    public final void setMetadataFromEntryData(ByteBuf entryData) {
        BrokerEntryMetadata m = Commands.peekBrokerEntryMetadataIfExist(entryData);
        if (m != null && m.hasIndex()) {
            lastIndex = m.getIndex();
        }
    }

    @Override
    public final void completed(Exception e, long ledgerId, long entryId) {
        if (e == null) {
            position = PositionFactory.create(ledgerId, entryId);
        }
        onComplete(e, lastIndex);
    }

    /** Where the entry was stored; valid in {@link #onComplete} after a success. */
    protected final Position position() {
        return position;
    }

    @Override
    public final String getProducerName() {
        return producerName;
    }

    @Override
    public final long getSequenceId() {
        return sequenceId;
    }

    @Override
    public final long getNumberOfMessages() {
        return numRecords;
    }
}
