package io.kop.api;

import io.kop.coordinator.CoordinatorTopic;
import io.kop.coordinator.GroupCoordinators;
import io.kop.storage.PartitionLogManager;
import io.kop.storage.StorageErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarker;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData.WritableTxnMarkerTopic;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerPartitionResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerResult;
import org.apache.kafka.common.message.WriteTxnMarkersResponseData.WritableTxnMarkerTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.WriteTxnMarkersRequest;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * WriteTxnMarkers (API 27), which a transaction coordinator on another broker sends to the owner of a
 * partition: a commit or abort marker appended to each named partition this broker owns, or handed to
 * the tenant's group coordinator for {@code __consumer_offsets}. Each partition gets its own error
 * (NOT_LEADER_OR_FOLLOWER when it lives elsewhere: the coordinator looks it up again).
 */
final class WriteTxnMarkersHandler implements ApiHandler<WriteTxnMarkersRequest> {
    private final GroupCoordinators groups;
    private final PartitionLogManager logs;

    WriteTxnMarkersHandler(GroupCoordinators groups, PartitionLogManager logs) {
        this.groups = groups;
        this.logs = logs;
    }

    @Override
    public CompletableFuture<WriteTxnMarkersResponseData> handle(RequestContext ctx, WriteTxnMarkersRequest request) {
        WriteTxnMarkersResponseData response = new WriteTxnMarkersResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (WritableTxnMarker marker : request.data().markers()) {
            WritableTxnMarkerResult result = new WritableTxnMarkerResult().setProducerId(marker.producerId());
            response.markers().add(result);
            for (WritableTxnMarkerTopic topic : marker.topics()) {
                WritableTxnMarkerTopicResult topicResult = new WritableTxnMarkerTopicResult().setName(topic.name());
                result.topics().add(topicResult);
                for (int partition : topic.partitionIndexes()) {
                    WritableTxnMarkerPartitionResult r = new WritableTxnMarkerPartitionResult()
                            .setPartitionIndex(partition);
                    topicResult.partitions().add(r);
                    pending.add(write(ctx, marker, topic.name(), partition).handle((v, t) -> {
                        r.setErrorCode(t == null ? Errors.NONE.code()
                                : Errors.forException(StorageErrors.toKafka(FutureUtil.unwrapCompletionException(t)))
                                        .code());
                        return null;
                    }));
                }
            }
        }
        return FutureUtil.waitForAll(pending).thenApply(v -> response);
    }

    private CompletableFuture<Void> write(RequestContext ctx, WritableTxnMarker marker, String topic, int partition) {
        if (topic.equals(CoordinatorTopic.OFFSETS)) {
            return groups.of(ctx).thenCompose(t -> t.groups().completeTransaction(partition, marker.producerId(),
                    marker.producerEpoch(), marker.coordinatorEpoch(), marker.transactionResult(),
                    marker.transactionVersion()));
        }
        return ctx.topics().partition(topic, partition).thenCompose(logs::get)
                .thenCompose(log -> log.appendMarker(marker.producerId(), marker.producerEpoch(),
                        marker.transactionResult(), marker.coordinatorEpoch()))
                .thenApply(offset -> null);
    }
}
