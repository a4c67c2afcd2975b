package io.kop.topic;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.Uuid;
import org.apache.pulsar.common.naming.TopicName;
import org.apache.pulsar.common.util.FutureUtil;
import org.apache.pulsar.metadata.api.MetadataStore;
import org.apache.pulsar.metadata.api.MetadataStoreException;

/**
 * Topic id -> Pulsar topic, for requests that name topics by id (Fetch v13+, Produce v13+, Metadata v12+,
 * OffsetCommit v10+...). Ids are derived from names ({@link KafkaTopicNames#topicId}), so every broker
 * computes the same id, but the way back needs a table: a client that learned an id from one broker
 * may send it to any other. Each id handed out is written once under {@code /kop/topic-ids} in the
 * cluster's metadata store (as the full Pulsar name, so clients of every tenant read it back in their
 * own view) before the answer naming it is sent; a broker that meets an id it does not know reads it
 * from there.
 */
public final class TopicIdRegistry {
    static final String ROOT = "/kop/topic-ids";

    private final MetadataStore store;
    private final Map<Uuid, TopicName> names = new ConcurrentHashMap<>();
    /** Reads entries written before names were stored whole: those were Kafka names of the default view. */
    private final KafkaTopicNames legacyView;
    /** Ids known to be in the store (written or read by this broker). */
    private final Set<Uuid> stored = ConcurrentHashMap.newKeySet();

    /** {@code store} null: this broker's memory only (unit tests). */
    public TopicIdRegistry(MetadataStore store, KafkaTopicNames legacyView) {
        this.store = store;
        this.legacyView = legacyView;
    }

    /** The topic's id, recorded in the cluster so requests naming it by id find the topic on any broker. */
    public CompletableFuture<Uuid> register(TopicName pulsarName) {
        TopicName topic = TopicName.get(pulsarName.getPartitionedTopicName());
        Uuid id = KafkaTopicNames.topicId(topic);
        names.put(id, topic);
        if (store == null || stored.contains(id)) {
            return CompletableFuture.completedFuture(id);
        }
        // create-if-absent: one round trip whether or not another broker wrote it first
        return store.put(ROOT + "/" + id, topic.toString().getBytes(StandardCharsets.UTF_8), Optional.of(-1L))
                .thenApply(stat -> id)
                .exceptionally(t -> {
                    if (FutureUtil.unwrapCompletionException(t) instanceof MetadataStoreException.BadVersionException) {
                        return id; // already there
                    }
                    throw FutureUtil.wrapToCompletionException(t);
                }).thenApply(written -> {
                    stored.add(written);
                    return written;
                });
    }

    /** The topic of an id handed out by any broker of the cluster; null if none did. */
    public CompletableFuture<TopicName> topic(Uuid id) {
        TopicName known = id == null ? null : names.get(id);
        if (known != null || store == null || id == null) {
            return CompletableFuture.completedFuture(known);
        }
        return store.get(ROOT + "/" + id).thenApply(value -> value.map(v -> {
            String stored = new String(v.getValue(), StandardCharsets.UTF_8);
            TopicName topic = stored.contains("://") ? TopicName.get(stored) : legacyView.toPulsar(stored);
            names.put(id, topic);
            this.stored.add(id);
            return topic;
        }).orElse(null));
    }

    /** The id's topic under the name a client with {@code view} uses for it; null if unknown. */
    public CompletableFuture<String> name(Uuid id, KafkaTopicNames view) {
        return topic(id).thenApply(t -> t == null ? null : view.toKafka(t));
    }

    /** Forgets a deleted topic's id, here and in the cluster. */
    public CompletableFuture<Void> remove(TopicName pulsarName) {
        Uuid id = KafkaTopicNames.topicId(pulsarName);
        names.remove(id);
        stored.remove(id);
        if (store == null) {
            return CompletableFuture.completedFuture(null);
        }
        return store.delete(ROOT + "/" + id, Optional.empty()).exceptionally(t -> {
            if (FutureUtil.unwrapCompletionException(t) instanceof MetadataStoreException.NotFoundException) {
                return null;
            }
            throw FutureUtil.wrapToCompletionException(t);
        });
    }
}
