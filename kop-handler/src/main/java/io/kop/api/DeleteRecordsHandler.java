package io.kop.api;

import io.kop.storage.PartitionLogManager;
import io.kop.storage.StorageErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsPartition;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsTopic;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsPartitionResult;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * DeleteRecords (API 21): moves each partition's log start offset (kept in the managed ledger, so it
 * survives restarts and moves); earlier offsets then answer OFFSET_OUT_OF_RANGE and ListOffsets
 * earliest follows. An offset beyond the high watermark is OFFSET_OUT_OF_RANGE and changes nothing.
 * The records' storage is freed by Pulsar's retention, not at once.
 */
final class DeleteRecordsHandler implements ApiHandler<DeleteRecordsRequest> {
    private final PartitionLogManager logs;

    DeleteRecordsHandler(PartitionLogManager logs) {
        this.logs = logs;
    }

    @Override
    public CompletableFuture<DeleteRecordsResponseData> handle(RequestContext ctx, DeleteRecordsRequest request) {
        DeleteRecordsResponseData response = new DeleteRecordsResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (DeleteRecordsTopic topic : request.data().topics()) {
            DeleteRecordsTopicResult topicResult = new DeleteRecordsTopicResult().setName(topic.name());
            response.topics().add(topicResult);
            for (DeleteRecordsPartition p : topic.partitions()) {
                DeleteRecordsPartitionResult r = new DeleteRecordsPartitionResult()
                        .setPartitionIndex(p.partitionIndex()).setLowWatermark(-1);
                topicResult.partitions().add(r);
                pending.add(ctx.topics().partition(topic.name(), p.partitionIndex())
                        .thenCompose(logs::get)
                        .thenCompose(log -> log.deleteRecordsBefore(p.offset()))
                        .handle((lowWatermark, t) -> {
                            if (t != null) {
                                Throwable kafka = StorageErrors.toKafka(FutureUtil.unwrapCompletionException(t));
                                r.setErrorCode(Errors.forException(kafka).code());
                            } else {
                                r.setLowWatermark(lowWatermark);
                            }
                            return null;
                        }));
            }
        }
        return FutureUtil.waitForAll(pending).thenApply(v -> response);
    }
}
