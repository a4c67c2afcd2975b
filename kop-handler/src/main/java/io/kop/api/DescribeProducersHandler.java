package io.kop.api;

import io.kop.storage.PartitionLogManager;
import io.kop.storage.StorageErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.DescribeProducersRequestData.TopicRequest;
import org.apache.kafka.common.message.DescribeProducersResponseData;
import org.apache.kafka.common.message.DescribeProducersResponseData.PartitionResponse;
import org.apache.kafka.common.message.DescribeProducersResponseData.ProducerState;
import org.apache.kafka.common.message.DescribeProducersResponseData.TopicResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeProducersRequest;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * DescribeProducers (API 61), what {@code kafka-transactions describe-producers} asks: the idempotent
 * producers a partition's owner knows, with their epoch, last sequence and last batch timestamp (-1
 * for a producer only read back from storage since the partition moved), and the first offset of its
 * open transaction here (-1 when none is open). The coordinator epoch is not kept (-1).
 */
final class DescribeProducersHandler implements ApiHandler<DescribeProducersRequest> {
    private final PartitionLogManager logs;

    DescribeProducersHandler(PartitionLogManager logs) {
        this.logs = logs;
    }

    @Override
    public CompletableFuture<DescribeProducersResponseData> handle(RequestContext ctx,
                                                                   DescribeProducersRequest request) {
        DescribeProducersResponseData response = new DescribeProducersResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        for (TopicRequest topic : request.data().topics()) {
            TopicResponse topicResponse = new TopicResponse().setName(topic.name());
            response.topics().add(topicResponse);
            for (int index : topic.partitionIndexes()) {
                PartitionResponse r = new PartitionResponse().setPartitionIndex(index);
                topicResponse.partitions().add(r);
                pending.add(ctx.topics().partition(topic.name(), index)
                        .thenCompose(logs::get)
                        .handle((log, t) -> {
                            if (t != null) {
                                Throwable kafka = StorageErrors.toKafka(FutureUtil.unwrapCompletionException(t));
                                r.setErrorCode(Errors.forException(kafka).code()).setErrorMessage(kafka.getMessage());
                            } else {
                                log.activeProducers().forEach(p -> r.activeProducers().add(new ProducerState()
                                        .setProducerId(p.producerId()).setProducerEpoch(p.epoch())
                                        .setLastSequence(p.lastSequence()).setLastTimestamp(p.lastTimestamp())
                                        .setCoordinatorEpoch(-1)
                                        .setCurrentTxnStartOffset(log.openTransactionStart(p.producerId()))));
                            }
                            return null;
                        }));
            }
        }
        return FutureUtil.waitForAll(pending).thenApply(v -> response);
    }
}
