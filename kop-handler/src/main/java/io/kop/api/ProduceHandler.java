package io.kop.api;

import io.kop.KopServices;
import io.kop.storage.PartitionLog;
import io.kop.storage.PartitionLog.AppendResult;
import io.kop.storage.StorageErrors;
import io.kop.topic.KafkaTopic;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownTopicIdException;
import org.apache.kafka.common.message.ProduceRequestData.PartitionProduceData;
import org.apache.kafka.common.message.ProduceRequestData.TopicProduceData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.message.ProduceResponseData.TopicProduceResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.requests.ProduceRequest;
import org.apache.pulsar.common.util.FutureUtil;

/** Produce (API 0): validates each partition's batch and appends it to the partition log. */
final class ProduceHandler implements ApiHandler<ProduceRequest> {
    private final KopServices services;

    ProduceHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<ProduceResponseData> handle(RequestContext ctx, ProduceRequest request) {
        if (request.transactionalId() != null) {
            throw new InvalidRecordException("transactional produce is not supported by this broker yet");
        }
        ProduceResponseData response = new ProduceResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        List<Runnable> appends = new ArrayList<>();
        List<CompletableFuture<?>> resolutions = new ArrayList<>();
        for (TopicProduceData topic : request.data().topicData()) {
            TopicProduceResponse topicResponse = new TopicProduceResponse().setName(topic.name())
                    .setTopicId(topic.topicId());
            response.responses().add(topicResponse);
            CompletableFuture<String> name = topic.name() == null || topic.name().isEmpty()
                    ? services.topicIds().name(topic.topicId()) : CompletableFuture.completedFuture(topic.name());
            for (PartitionProduceData partition : topic.partitionData()) {
                PartitionProduceResponse p = new PartitionProduceResponse().setIndex(partition.index())
                        .setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1);
                topicResponse.partitionResponses().add(p);
                CompletableFuture<KafkaTopic> kafkaTopic = name.thenCompose(n -> n == null
                        ? CompletableFuture.failedFuture(new UnknownTopicIdException("unknown topic id " + topic.topicId()))
                        : ctx.topics().existingTopic(n, partition.index()));
                CompletableFuture<PartitionLog> log = kafkaTopic
                        .thenCompose(t -> services.logs().get(t.partition(partition.index())));
                resolutions.add(log);
                CompletableFuture<AppendResult> result = new CompletableFuture<>();
                appends.add(() -> append(ctx, log, kafkaTopic, partition).whenComplete((r, t) -> {
                    if (t != null) {
                        result.completeExceptionally(t);
                    } else {
                        result.complete(r);
                    }
                }));
                ScheduledFuture<?> deadline = ctx.connection().schedule(() -> result.completeExceptionally(
                        new TimeoutException("append not confirmed within " + request.timeout() + " ms")),
                        Math.max(1, request.timeout()));
                result.whenComplete((r, t) -> deadline.cancel(false));
                pending.add(result.handle((r, t) -> {
                    if (t != null) {
                        Throwable kafka = StorageErrors.toKafka(FutureUtil.unwrapCompletionException(t));
                        p.setErrorCode(Errors.forException(kafka).code()).setErrorMessage(kafka.getMessage());
                    } else {
                        p.setBaseOffset(r.baseOffset()).setLogAppendTimeMs(r.logAppendTime());
                    }
                    return null;
                }));
            }
        }
        // Logs are looked up in parallel, but batches reach them in the connection's request order.
        CompletableFuture<Void> submitted = new CompletableFuture<>();
        CompletableFuture<Void> turn = ctx.connection().nextAppendTurn(submitted);
        // Record conversion is CPU work: it runs on the storage pool, not on the connection's event loop.
        CompletableFuture.allOf(resolutions.toArray(new CompletableFuture[0])).handle((v, t) -> null)
                .thenCombine(turn, (a, b) -> null)
                .whenCompleteAsync((v, t) -> {
                    try {
                        appends.forEach(Runnable::run);
                    } finally {
                        submitted.complete(null);
                    }
                }, services.logs().executor());
        // The batches point into the request's frame, which is released with the response: so the response
        // also waits for the appends to have run (each copies its batch), when an append timed out as well.
        return FutureUtil.waitForAll(pending).thenCombine(submitted, (a, b) -> response);
    }

    /** Validates the partition's batch and hands it to its log; runs in the connection's append turn. */
    private CompletableFuture<AppendResult> append(RequestContext ctx, CompletableFuture<PartitionLog> log,
                                                   CompletableFuture<KafkaTopic> topic, PartitionProduceData data) {
        MutableRecordBatch batch;
        int count;
        try {
            MemoryRecords records = (MemoryRecords) data.records();
            ProduceRequest.validateRecords(ctx.apiVersion(), records);
            Iterator<MutableRecordBatch> batches = records.batches().iterator();
            if (!batches.hasNext()) {
                throw new InvalidRecordException("produce request without a record batch");
            }
            batch = batches.next();
            batch.ensureValid();
            if (batch.sizeInBytes() > services.config().maxMessageSize()) {
                throw new RecordTooLargeException("batch of " + batch.sizeInBytes() + " bytes exceeds maxMessageSize "
                        + services.config().maxMessageSize());
            }
            if (batch.isTransactional() || batch.isControlBatch()) {
                throw new InvalidRecordException("transactional batches are not supported by this broker yet");
            }
            Integer n = batch.countOrNull();
            count = n == null ? 0 : n;
            if (count <= 0) {
                throw new InvalidRecordException("empty record batch");
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        boolean logAppendTime = services.config().logAppendTime();
        try {
            return log.join().append(batch, count, logAppendTime, topic.join().entryFormat());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
