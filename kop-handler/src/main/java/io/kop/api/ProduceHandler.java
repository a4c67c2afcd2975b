package io.kop.api;

import io.kop.KopServices;
import io.kop.storage.PartitionLog;
import io.kop.storage.PartitionLog.AppendResult;
import io.kop.storage.StorageErrors;
import io.kop.topic.KafkaTopic;
import io.kop.topic.TopicConfigs;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Produce (API 0): validates each partition's batch and appends it to the partition log. */
final class ProduceHandler implements ApiHandler<ProduceRequest> {
    private static final Logger PRODUCE_LOG = LoggerFactory.getLogger(ProduceHandler.class);
    private final KopServices services;

    ProduceHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<ProduceResponseData> handle(RequestContext ctx, ProduceRequest request) {
        long arrived = System.nanoTime();
        ProduceResponseData response = new ProduceResponseData();
        List<CompletableFuture<?>> pending = new ArrayList<>();
        List<PartitionAppend> appends = new ArrayList<>();
        List<CompletableFuture<?>> resolutions = new ArrayList<>();
        CompletableFuture<Void> submitted = new CompletableFuture<>();
        AtomicInteger unsettled = new AtomicInteger();
        for (TopicProduceData topic : request.data().topicData()) {
            TopicProduceResponse topicResponse = new TopicProduceResponse().setName(topic.name())
                    .setTopicId(topic.topicId());
            response.responses().add(topicResponse);
            CompletableFuture<String> name = topic.name() == null || topic.name().isEmpty()
                    ? services.topicIds().name(topic.topicId(), ctx.topics().names()) : CompletableFuture.completedFuture(topic.name());
            for (PartitionProduceData partition : topic.partitionData()) {
                PartitionProduceResponse p = new PartitionProduceResponse().setIndex(partition.index())
                        .setBaseOffset(-1).setLogAppendTimeMs(-1).setLogStartOffset(-1);
                topicResponse.partitionResponses().add(p);
                CompletableFuture<KafkaTopic> kafkaTopic = name.thenCompose(n -> n == null
                        ? CompletableFuture.failedFuture(new UnknownTopicIdException("unknown topic id " + topic.topicId()))
                        : ctx.topics().existingTopic(n, partition.index()));
                CompletableFuture<PartitionLog> log = kafkaTopic
                        .thenCompose(t -> services.logs().get(t.partition(partition.index())));
                if (request.transactionalId() != null) {
                    // Transactions v2: the partition joins the transaction before its first batch is appended;
                    // v1: its client added it, which the coordinator confirms first (KIP-890 part 1).
                    boolean v2 = ProduceRequest.isTransactionV2Requested(ctx.apiVersion());
                    log = log.thenCompose(l -> name.thenCompose(n -> joinTransaction(ctx, request.transactionalId(),
                            n, partition, l, v2)).thenApply(v -> l));
                }
                resolutions.add(log);
                PartitionAppend append = new PartitionAppend(ctx, kafkaTopic, log, partition, submitted, unsettled, arrived,
                        request.transactionalId() != null, (topic.name() == null || topic.name().isEmpty() ? topic.topicId() : topic.name()) + "-" + partition.index());
                unsettled.incrementAndGet();
                appends.add(append);
                ScheduledFuture<?> deadline = ctx.connection().schedule(() -> append.expire(request.timeout()),
                        Math.max(1, request.timeout()));
                append.result.whenComplete((r, t) -> deadline.cancel(false));
                pending.add(append.result.handle((r, t) -> {
                    if (t != null) {
                        Throwable kafka = StorageErrors.toKafka(FutureUtil.unwrapCompletionException(t));
                        Errors error = Errors.forException(kafka);
                        if (error == Errors.UNKNOWN_SERVER_ERROR) {
                            PRODUCE_LOG.warn("[{}] produce to {}-{} failed unexpectedly", ctx.remoteAddress(),
                                    topic.name(), partition.index(), kafka);
                        }
                        p.setErrorCode(error.code()).setErrorMessage(kafka.getMessage());
                    } else {
                        p.setBaseOffset(r.baseOffset()).setLogAppendTimeMs(r.logAppendTime());
                    }
                    return null;
                }));
            }
        }
        if (appends.isEmpty()) {
            submitted.complete(null);
        }
        // Logs are looked up in parallel, but batches reach them in the connection's request order.
        CompletableFuture<Void> turn = ctx.connection().nextAppendTurn(submitted);
        // Record conversion is CPU work: it runs on the storage pool, not on the connection's event loop.
        CompletableFuture.allOf(resolutions.toArray(new CompletableFuture[0])).handle((v, t) -> null)
                .thenCombine(turn, (a, b) -> null)
                .whenCompleteAsync((v, t) -> appends.forEach(PartitionAppend::run), services.logs().executor());
        // The batches point into the request's frame, which is released with the response: so the response
        // also waits until every batch was either copied by its append or given up before it started.
        return FutureUtil.waitForAll(pending).thenCombine(submitted, (a, b) -> response);
    }

    /**
     * One partition's batch of a produce request. It is settled once: when its append has run (the log
     * copied the batch), or when the request's timeout passes before that could start (the topic or log
     * lookup, or an earlier request of the connection, still pending): then it is never appended, and
     * the partition answers REQUEST_TIMED_OUT. The request's appends are submitted once all are settled.
     */
    private final class PartitionAppend {
        final CompletableFuture<AppendResult> result = new CompletableFuture<>();
        private final RequestContext ctx;
        private final CompletableFuture<KafkaTopic> topic;
        private final CompletableFuture<PartitionLog> log;
        private final PartitionProduceData data;
        private final CompletableFuture<Void> submitted;
        private final AtomicInteger unsettled;
        private final AtomicBoolean claimed = new AtomicBoolean();
        private final String label;
        private final long arrived;
        private final boolean transactional;

        PartitionAppend(RequestContext ctx, CompletableFuture<KafkaTopic> topic, CompletableFuture<PartitionLog> log,
                        PartitionProduceData data, CompletableFuture<Void> submitted, AtomicInteger unsettled,
                        long arrived, boolean transactional, String label) {
            this.arrived = arrived;
            this.transactional = transactional;
            this.label = label;
            this.ctx = ctx;
            this.topic = topic;
            this.log = log;
            this.data = data;
            this.submitted = submitted;
            this.unsettled = unsettled;
        }

        void run() {
            if (!claimed.compareAndSet(false, true)) {
                return;
            }
            try {
                append(ctx, log, topic, data, arrived, transactional).whenComplete((r, t) -> {
                    if (t != null) {
                        result.completeExceptionally(t);
                    } else {
                        result.complete(r);
                    }
                });
            } finally {
                settle();
            }
        }

        void expire(int timeoutMs) {
            String where;
            if (claimed.compareAndSet(false, true)) {
                where = !topic.isDone() ? "the topic's lookup" : !log.isDone() ? "the partition's log"
                        : "an earlier produce request of this connection";
                settle();
            } else {
                where = "storage to confirm the append";
            }
            if (result.completeExceptionally(new TimeoutException("append not confirmed within " + timeoutMs
                    + " ms: waiting for " + where))) {
                PRODUCE_LOG.warn("[{} {}] produce to {} timed out after {} ms waiting for {}",
                        ctx.remoteAddress(), ctx.header().clientId(), label, timeoutMs, where);
            }
        }

        private void settle() {
            if (unsettled.decrementAndGet() == 0) {
                submitted.complete(null);
            }
        }
    }

    /** Validates the partition's batch and hands it to its log; runs in the connection's append turn. */
    private CompletableFuture<AppendResult> append(RequestContext ctx, CompletableFuture<PartitionLog> log,
                                                   CompletableFuture<KafkaTopic> topic, PartitionProduceData data,
                                                   long arrived, boolean transactionalRequest) {
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
            if (batch.isControlBatch()) {
                throw new InvalidRecordException("clients cannot write control batches (transaction markers)");
            }
            if (batch.isTransactional() != transactionalRequest || batch.isTransactional()
                    && !batch.hasProducerId()) {
                throw new InvalidRecordException("a transactional batch needs a producer id and a request with a "
                        + "transactional id, and only such a request may carry one");
            }
            Integer n = batch.countOrNull();
            count = n == null ? 0 : n;
            if (count <= 0) {
                throw new InvalidRecordException("empty record batch");
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        try {
            KafkaTopic t = topic.join();
            if (TopicConfigs.compacted(t.properties())) {
                requireKeys(batch, t);
            }
            int records = count;
            int bytes = batch.sizeInBytes();
            long started = services.metrics().appendStarted();
            return log.join().append(batch, count, t.logAppendTime(services.config().logAppendTime()), t.entryFormat(),
                    arrived, transactionalRequest && ProduceRequest.isTransactionV2Requested(ctx.apiVersion()))
                    .whenComplete((r, e) -> services.metrics().appended(started))
                    .thenApply(r -> {
                        org.apache.pulsar.common.naming.TopicName partition = t.partition(data.index());
                        services.metrics().produced(partition.getNamespace(), t.kafkaName(), records, bytes);
                        ctx.connection().traffic().produced(ctx.header().clientId(), partition.toString(), records,
                                bytes);
                        return r;
                    });
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Transactions v2 (KIP-890): adds the partition to the producer's transaction through its
     * coordinator, unless the transaction is already open here at the batch's epoch. Transactions v1
     * (KIP-890 part 1): asks the coordinator whether the partition is in the producer's open
     * transaction, unless one is open here; a batch of a transaction that already ended (a hanging
     * one, in Kafka's words) is refused with INVALID_TXN_STATE. What keeps the coordinator from
     * answering (the previous transaction still writing its markers, a coordinator moving) answers
     * NOT_ENOUGH_REPLICAS, which producers retry, as Kafka answers.
     */
    private CompletableFuture<Void> joinTransaction(RequestContext ctx, String transactionalId, String topic,
                                                    PartitionProduceData data, PartitionLog log, boolean v2) {
        Iterator<MutableRecordBatch> batches = ((MemoryRecords) data.records()).batches().iterator();
        MutableRecordBatch batch = batches.hasNext() ? batches.next() : null;
        if (batch == null || !batch.isTransactional() || (v2 ? log.inTransaction(batch.producerId(),
                batch.producerEpoch()) : log.openTransactionStart(batch.producerId()) >= 0)) {
            return CompletableFuture.completedFuture(null); // the append validates what is left
        }
        return services.groups().of(ctx).thenCompose(t -> {
            if (t.transactions() == null) {
                throw Errors.COORDINATOR_NOT_AVAILABLE.exception();
            }
            org.apache.kafka.common.TopicPartition tp = new org.apache.kafka.common.TopicPartition(
                    TransactionNames.toCoordinator(ctx, t.transactions(), topic), data.index());
            return v2 ? t.transactions().adder().add(transactionalId, batch.producerId(), batch.producerEpoch(), tp)
                    : t.transactions().adder().verify(transactionalId, batch.producerId(), batch.producerEpoch(), tp);
        }).thenAccept(ProduceHandler::joined);
    }

    private static void joined(Errors error) {
        switch (error) {
            case NONE:
                return;
            case CONCURRENT_TRANSACTIONS, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR,
                 NETWORK_EXCEPTION, REQUEST_TIMED_OUT:
                throw new org.apache.kafka.common.errors.NotEnoughReplicasException("the partition could not join "
                        + "the transaction yet (" + error + "); retry");
            default:
                throw error.exception();
        }
    }

    /** A compacted topic keeps the latest record per key: a record without one is refused, as Kafka does. */
    private static void requireKeys(MutableRecordBatch batch, KafkaTopic topic) {
        try (var records = batch.streamingIterator(org.apache.kafka.common.utils.internals.BufferSupplier.NO_CACHING)) {
            while (records.hasNext()) {
                if (!records.next().hasKey()) {
                    throw new InvalidRecordException("compacted topic " + topic.kafkaName()
                            + " cannot accept a record without a key");
                }
            }
        }
    }
}
