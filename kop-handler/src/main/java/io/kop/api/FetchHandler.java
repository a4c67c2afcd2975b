package io.kop.api;

import io.kop.KopServices;
import io.kop.storage.LeaderEpochs;
import io.kop.format.RecordChunks;
import io.kop.storage.PartitionLog;
import io.kop.storage.StorageErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.errors.UnknownTopicIdException;
import org.apache.kafka.common.message.FetchRequestData.FetchPartition;
import org.apache.kafka.common.message.FetchRequestData.FetchTopic;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * Fetch (API 1). Reads every requested partition; when fewer than {@code min.bytes} are available it
 * waits until any of the partitions gets a new entry (from a Kafka or a Pulsar producer) or
 * {@code max.wait.ms} passes, then reads again. Fetch sessions are declined (session id 0), so clients
 * send full requests.
 */
final class FetchHandler implements ApiHandler<FetchRequest> {
    private final KopServices services;

    FetchHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<FetchResponseData> handle(RequestContext ctx, FetchRequest request) {
        FetchResponseData response = new FetchResponseData().setSessionId(0);
        List<PartitionFetch> partitions = new ArrayList<>();
        for (FetchTopic topic : request.data().topics()) {
            FetchableTopicResponse topicResponse = new FetchableTopicResponse().setTopic(topic.topic())
                    .setTopicId(topic.topicId());
            response.responses().add(topicResponse);
            CompletableFuture<String> name = topic.topic() == null || topic.topic().isEmpty()
                    ? services.topicIds().name(topic.topicId(), ctx.topics().names()) : CompletableFuture.completedFuture(topic.topic());
            for (FetchPartition p : topic.partitions()) {
                PartitionData data = new PartitionData().setPartitionIndex(p.partition()).setHighWatermark(-1)
                        .setLastStableOffset(-1).setLogStartOffset(-1).setRecords(MemoryRecords.EMPTY);
                topicResponse.partitions().add(data);
                PartitionFetch fetch = new PartitionFetch(p.fetchOffset(), p.partitionMaxBytes(), data);
                fetch.log = name.thenCompose(n -> n == null
                        ? CompletableFuture.failedFuture(new UnknownTopicIdException("unknown topic id " + topic.topicId()))
                        : ctx.topics().partition(n, p.partition()).thenCompose(partition -> {
                            fetch.named(n, partition);
                            return services.logs().get(partition);
                        }).thenApply(l -> {
                            LeaderEpochs.check(p.currentLeaderEpoch(), l.leaderEpoch(), n + "-" + p.partition());
                            return l;
                        }));
                partitions.add(fetch);
            }
        }
        var d = request.data();
        boolean readCommitted = d.isolationLevel() == org.apache.kafka.common.IsolationLevel.READ_COMMITTED.id();
        return new FetchOperation(partitions, d.minBytes(), d.maxBytes(), d.maxWaitMs(), readCommitted).run()
                .thenApply(v -> {
                    count(ctx, partitions);
                    return response;
                });
    }

    /** What the response carries counts in KoP's topic metrics and the Pulsar statistics of each topic. */
    private void count(RequestContext ctx, List<PartitionFetch> partitions) {
        for (PartitionFetch p : partitions) {
            if (p.pulsarName != null) {
                RecordChunks sent = p.data.records() instanceof RecordChunks r ? r : null;
                int records = sent == null ? 0 : sent.recordCount();
                int bytes = sent == null ? 0 : sent.sizeInBytes();
                services.metrics().fetched(p.namespace, p.kafkaName, records, bytes);
                ctx.connection().traffic().fetched(ctx.header().clientId(), p.pulsarName, p.kafkaName,
                        p.data.partitionIndex(), records, bytes);
            }
        }
    }

    private static final class PartitionFetch {
        final long offset;
        final int maxBytes;
        final PartitionData data;
        CompletableFuture<PartitionLog> log;
        RecordChunks records;
        boolean failed;
        volatile String kafkaName;
        volatile String pulsarName;
        volatile String namespace;

        PartitionFetch(long offset, int maxBytes, PartitionData data) {
            this.offset = offset;
            this.maxBytes = maxBytes;
            this.data = data;
        }

        void named(String kafka, org.apache.pulsar.common.naming.TopicName pulsar) {
            kafkaName = kafka;
            namespace = pulsar.getNamespace();
            pulsarName = pulsar.toString();
        }

        int bytes() {
            return records == null ? 0 : records.sizeInBytes();
        }

        void dropRecords() {
            if (records != null) {
                records.release();
                records = null;
            }
        }
    }

    private final class FetchOperation {
        private final List<PartitionFetch> partitions;
        private final int minBytes;
        private final int maxBytes;
        private final long deadline;
        private final boolean readCommitted;
        private final CompletableFuture<Void> done = new CompletableFuture<>();

        FetchOperation(List<PartitionFetch> partitions, int minBytes, int maxBytes, int maxWaitMs,
                       boolean readCommitted) {
            this.partitions = partitions;
            this.readCommitted = readCommitted;
            this.minBytes = minBytes;
            this.maxBytes = maxBytes <= 0 ? Integer.MAX_VALUE : maxBytes;
            this.deadline = System.currentTimeMillis() + Math.max(0, maxWaitMs);
        }

        CompletableFuture<Void> run() {
            attempt();
            return done;
        }

        private void attempt() {
            List<CompletableFuture<Void>> reads = new ArrayList<>();
            for (PartitionFetch p : partitions) {
                reads.add(read(p));
            }
            FutureUtil.waitForAll(reads).whenComplete((v, t) -> {
                int total = 0;
                boolean anyError = false;
                for (PartitionFetch p : partitions) {
                    total += p.bytes();
                    anyError |= p.failed;
                }
                if (total >= minBytes || anyError || System.currentTimeMillis() >= deadline) {
                    finish();
                } else {
                    waitForData();
                }
            });
        }

        private CompletableFuture<Void> read(PartitionFetch p) {
            p.dropRecords(); // too few bytes last time: read again
            // The last stable offset before the read: what the read finds beyond it is not served.
            return p.log.thenCompose(log -> log.lastStableOffset().thenCompose(lso -> readUpTo(log, p, lso)
                            .handle((records, t) -> {
                                p.records = records;
                                return t;
                            })
                            .thenCompose(readError -> log.offsets().thenAccept(o -> {
                                p.data.setHighWatermark(o.highWatermark()).setLastStableOffset(lso)
                                        .setLogStartOffset(o.logStartOffset());
                                if (readError != null) {
                                    fail(p, readError);
                                }
                            }))))
                    .exceptionally(t -> {
                        fail(p, t);
                        return null;
                    });
        }

        /**
         * read_uncommitted: what the log has. read_committed: only records below the last stable offset,
         * with the aborted transactions among them, which the consumer drops.
         */
        private CompletableFuture<RecordChunks> readUpTo(PartitionLog log, PartitionFetch p, long lso) {
            int limit = Math.min(p.maxBytes, maxBytes);
            if (!readCommitted) {
                return timedRead(log, p.offset, limit);
            }
            if (p.offset >= lso) {
                // Nothing stable to serve yet; an offset beyond the log still gets its error.
                return log.offsets().thenApply(o -> {
                    if (p.offset > o.highWatermark()) {
                        throw new org.apache.kafka.common.errors.OffsetOutOfRangeException("offset " + p.offset
                                + " is beyond the high watermark " + o.highWatermark());
                    }
                    return RecordChunks.EMPTY;
                });
            }
            return timedRead(log, p.offset, limit).thenApply(records -> {
                RecordChunks stable = records.below(lso);
                List<FetchResponseData.AbortedTransaction> aborted = new ArrayList<>();
                for (PartitionLog.AbortedTransaction a : log.abortedTransactions(p.offset, lso)) {
                    aborted.add(new FetchResponseData.AbortedTransaction().setProducerId(a.producerId())
                            .setFirstOffset(a.firstOffset()));
                }
                p.data.setAbortedTransactions(aborted);
                return stable;
            });
        }

        private CompletableFuture<RecordChunks> timedRead(PartitionLog log, long offset, int limit) {
            long started = System.nanoTime();
            return log.read(offset, limit).whenComplete((r, t) -> services.metrics().read(started));
        }

        private void fail(PartitionFetch p, Throwable t) {
            p.failed = true;
            p.dropRecords();
            p.data.setErrorCode(Errors.forException(StorageErrors.toKafka(t)).code());
        }

        /** Long poll: the first append to any partition, or the deadline, triggers one more read. */
        private void waitForData() {
            AtomicBoolean fired = new AtomicBoolean();
            services.metrics().fetchWaiting(1);
            List<Runnable> cancels = new ArrayList<>();
            ScheduledFuture<?>[] timer = new ScheduledFuture<?>[1];
            Runnable cancelAll = () -> {
                synchronized (cancels) {
                    cancels.forEach(Runnable::run);
                    if (timer[0] != null) {
                        timer[0].cancel(false);
                    }
                }
            };
            Runnable wake = () -> {
                if (fired.compareAndSet(false, true)) {
                    services.metrics().fetchWaiting(-1);
                    cancelAll.run();
                    attempt();
                }
            };
            synchronized (cancels) {
                for (PartitionFetch p : partitions) {
                    cancels.add(p.log.join().onNextAppend(wake));
                }
                timer[0] = services.scheduler().schedule(wake, Math.max(0, deadline - System.currentTimeMillis()),
                        TimeUnit.MILLISECONDS);
            }
            if (fired.get()) {
                cancelAll.run(); // woken while registering: withdraw what was registered after
                return;
            }
            // An append between the read and the registration would otherwise wait for the timer.
            for (PartitionFetch p : partitions) {
                long seen = p.data.highWatermark();
                p.log.join().offsets().thenAccept(o -> {
                    if (o.highWatermark() > seen) {
                        wake.run();
                    }
                });
            }
        }

        private void finish() {
            int budget = maxBytes;
            boolean first = true;
            for (PartitionFetch p : partitions) {
                if (p.records == null || p.records.recordCount() == 0) {
                    p.dropRecords();
                    continue;
                }
                // max.bytes is soft for the first non-empty partition, as in Kafka, so progress is always possible
                if (first || p.bytes() <= budget) {
                    p.data.setRecords(p.records); // the response releases them once written
                    budget -= p.bytes();
                    first = false;
                } else {
                    p.dropRecords();
                }
            }
            done.complete(null);
        }
    }
}
