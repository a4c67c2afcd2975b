package io.kop.coordinator.bridge;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.metadata.PartitionRecord;
import org.apache.kafka.common.metadata.RemoveTopicRecord;
import org.apache.kafka.common.metadata.TopicRecord;
import org.apache.kafka.image.MetadataDelta;
import org.apache.kafka.image.MetadataImage;
import org.apache.kafka.image.MetadataProvenance;

/**
 * The coordinator learns topics (names, ids, partition counts) as a KRaft metadata image. This builds
 * the next image and its delta from a snapshot of the Kafka-visible topics.
 */
final class TopicsImage {
    /** A topic as the coordinator needs it. */
    record TopicInfo(Uuid id, int partitions) {
    }

    /** The next image and what changed; null delta when nothing did. */
    record Update(MetadataDelta delta, MetadataImage image) {
    }

    private final int nodeId;
    private MetadataImage image = MetadataImage.EMPTY;
    private Map<String, TopicInfo> topics = Map.of();
    private long version;

    TopicsImage(int nodeId) {
        this.nodeId = nodeId;
    }

    synchronized Update update(Map<String, TopicInfo> current) {
        MetadataDelta delta = new MetadataDelta.Builder().setImage(image).build();
        boolean changed = false;
        for (Map.Entry<String, TopicInfo> e : topics.entrySet()) {
            TopicInfo now = current.get(e.getKey());
            if (now == null || !now.id().equals(e.getValue().id())) {
                delta.replay(new RemoveTopicRecord().setTopicId(e.getValue().id()));
                changed = true;
            }
        }
        for (Map.Entry<String, TopicInfo> e : current.entrySet()) {
            TopicInfo before = topics.get(e.getKey());
            TopicInfo now = e.getValue();
            int from = 0;
            if (before == null || !before.id().equals(now.id())) {
                delta.replay(new TopicRecord().setName(e.getKey()).setTopicId(now.id()));
            } else {
                from = before.partitions();
            }
            for (int p = from; p < now.partitions(); p++) {
                delta.replay(new PartitionRecord().setPartitionId(p).setTopicId(now.id())
                        .setReplicas(List.of(nodeId)).setIsr(List.of(nodeId)).setLeader(nodeId)
                        .setLeaderEpoch(0).setPartitionEpoch(0));
                changed = true;
            }
            changed |= from == 0 && now.partitions() == 0;
        }
        if (!changed) {
            return null;
        }
        image = delta.apply(new MetadataProvenance(++version, 0, System.currentTimeMillis(), true));
        topics = new HashMap<>(current);
        return new Update(delta, image);
    }
}
