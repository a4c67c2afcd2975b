package io.kop.api;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.DescribeLogDirsRequestData.DescribableLogDirTopic;
import org.apache.kafka.common.message.DescribeLogDirsResponseData;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsPartition;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsResult;
import org.apache.kafka.common.message.DescribeLogDirsResponseData.DescribeLogDirsTopic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeLogDirsRequest;
import org.apache.pulsar.broker.service.BrokerService;
import org.apache.pulsar.broker.service.persistent.PersistentTopic;
import org.apache.pulsar.common.naming.SystemTopicNames;
import org.apache.pulsar.common.naming.TopicName;

/**
 * DescribeLogDirs (API 35), what {@code kafka-log-dirs} asks: the partitions this broker serves, each
 * with the bytes its Pulsar managed ledger holds (in BookKeeper, offloaded ones included), under one
 * log dir named after the Pulsar cluster. A broker has no disk of its own for them: total and usable
 * bytes are unknown (-1).
 */
final class DescribeLogDirsHandler implements ApiHandler<DescribeLogDirsRequest> {
    private final BrokerService brokerService;
    private final String logDir;
    private final String metadataNamespace;

    DescribeLogDirsHandler(BrokerService brokerService, String clusterName, String metadataNamespace) {
        this.brokerService = brokerService;
        this.logDir = "pulsar:" + clusterName;
        this.metadataNamespace = metadataNamespace;
    }

    @Override
    public CompletableFuture<DescribeLogDirsResponseData> handle(RequestContext ctx, DescribeLogDirsRequest request) {
        Set<String> wanted = null;
        if (request.data().topics() != null) {
            wanted = new HashSet<>();
            for (DescribableLogDirTopic t : request.data().topics()) {
                for (int p : t.partitions()) {
                    wanted.add(t.topic() + "-" + p);
                }
            }
        }
        Map<String, DescribeLogDirsTopic> topics = new LinkedHashMap<>();
        Set<String> selected = wanted;
        brokerService.getTopics().forEach((name, future) -> {
            if (!future.isDone() || future.isCompletedExceptionally() || future.join().isEmpty()
                    || !(future.join().get() instanceof PersistentTopic topic)) {
                return;
            }
            TopicName tn = TopicName.get(name);
            if (SystemTopicNames.isSystemTopic(tn) || tn.getNamespaceObject().getLocalName().equals(metadataNamespace)) {
                return;
            }
            String kafkaName = ctx.topics().names().toKafka(tn);
            int partition = tn.isPartitioned() ? tn.getPartitionIndex() : 0;
            if (selected != null && !selected.contains(kafkaName + "-" + partition)) {
                return;
            }
            topics.computeIfAbsent(kafkaName, n -> new DescribeLogDirsTopic().setName(n)).partitions().add(
                    new DescribeLogDirsPartition().setPartitionIndex(partition)
                            .setPartitionSize(topic.getManagedLedger().getTotalSize()).setOffsetLag(0)
                            .setIsFutureKey(false));
        });
        DescribeLogDirsResult dir = new DescribeLogDirsResult().setErrorCode(Errors.NONE.code()).setLogDir(logDir)
                .setTotalBytes(-1).setUsableBytes(-1);
        dir.topics().addAll(topics.values());
        DescribeLogDirsResponseData response = new DescribeLogDirsResponseData();
        response.results().add(dir);
        return CompletableFuture.completedFuture(response);
    }
}
