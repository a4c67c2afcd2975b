package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.pulsar.client.admin.LongRunningProcessStatus;
import org.apache.pulsar.client.admin.PulsarAdmin;
import org.apache.pulsar.client.impl.MessageIdImpl;
import org.apache.pulsar.common.policies.data.OffloadPolicies;
import org.apache.pulsar.common.policies.data.OffloadedReadPriority;
import org.apache.pulsar.common.policies.data.ManagedLedgerInternalStats.LedgerInfo;
import org.junit.jupiter.api.Test;

/**
 * Kafka data in Pulsar's tiered storage: a namespace offloads to Pulsar's filesystem offloader (the
 * NAR from Maven Central), its ledgers are offloaded and deleted from the bookies, and a Kafka
 * consumer still reads every record with its offset and timestamp, and ListOffsets earliest, latest
 * and by time still answer, all from the offloaded ledgers.
 */
class TieredStorageTest {
    private static final int BATCHES = 3;
    private static final int PER_BATCH = 40;
    private final KopTestBroker broker = KopTestBroker.get();

    @Test
    void kafkaReadsOffloadedLedgersWithTheirOffsetsAndTimestamps() throws Exception {
        String namespace = "public/tiered";
        Path store = Path.of(System.getProperty("kop.offload.dir", "target/offload-store")).toAbsolutePath();
        Files.createDirectories(store);
        String topic = namespace + "/" + KopTestBroker.uniqueTopic("offloaded");
        String partition = "persistent://" + topic + "-partition-0";
        try (PulsarAdmin pulsar = broker.pulsarAdmin(); Admin admin = broker.admin()) {
            if (!pulsar.namespaces().getNamespaces("public").contains(namespace)) {
                pulsar.namespaces().createNamespace(namespace);
            }
            pulsar.namespaces().setOffloadPolicies(namespace, OffloadPolicies.builder()
                    .managedLedgerOffloadDriver("filesystem").fileSystemURI(store.toUri().toString())
                    // a namespace's offload policies name the offloaders' directory too ("./offloaders" if not)
                    .offloadersDirectory(Path.of(System.getProperty("kop.offloaders.dir", "target/offloaders"))
                            .toAbsolutePath().toString())
                    .managedLedgerOffloadDeletionLagInMillis(0L)
                    .managedLedgerOffloadedReadPriority(OffloadedReadPriority.TIERED_STORAGE_FIRST).build());
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);

            // Each batch in its own ledger: unloading the topic closes the ledger it was writing.
            List<Long> timestamps = new ArrayList<>();
            try (var producer = broker.producer(Map.of())) {
                for (int b = 0; b < BATCHES; b++) {
                    for (int i = 0; i < PER_BATCH; i++) {
                        int n = b * PER_BATCH + i;
                        timestamps.add(producer.send(new ProducerRecord<>(topic, 0, ("k" + n).getBytes(),
                                ("v" + n).getBytes())).get().timestamp());
                    }
                    pulsar.topics().unload(partition);
                }
            }
            List<Long> closed = pulsar.topics().getInternalStats(partition).ledgers.stream()
                    .filter(l -> l.entries > 0).map(l -> l.ledgerId).toList();
            assertTrue(closed.size() >= BATCHES, "ledgers with data: " + closed);

            // Everything before the ledger the reloaded topic writes now, as pulsar-admin's offload command asks.
            var all = pulsar.topics().getInternalStats(partition).ledgers;
            pulsar.topics().triggerOffload(partition, new MessageIdImpl(all.get(all.size() - 1).ledgerId, 0, -1));
            long deadline = System.currentTimeMillis() + 60_000;
            while (pulsar.topics().offloadStatus(partition).getStatus() == LongRunningProcessStatus.Status.RUNNING
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
            }
            assertEquals(LongRunningProcessStatus.Status.SUCCESS, pulsar.topics().offloadStatus(partition).getStatus(),
                    pulsar.topics().offloadStatus(partition).getLastError());
            List<LedgerInfo> ledgers = pulsar.topics().getInternalStats(partition).ledgers;
            for (long id : closed) {
                assertTrue(ledgers.stream().anyMatch(l -> l.ledgerId == id && l.offloaded), "ledger " + id
                        + " offloaded: " + ledgers);
            }
            // With no deletion lag, trimming deletes the offloaded ledgers from the bookies.
            pulsar.topics().trimTopic(partition);
            for (long id : closed) {
                awaitDeletedFromBookies(pulsar, partition, id);
            }
            try (var files = Files.walk(store)) {
                assertTrue(files.anyMatch(Files::isRegularFile), "the offloader wrote files under " + store);
            }
            pulsar.topics().unload(partition); // no cached entries: reads go to tiered storage

            TopicPartition tp = new TopicPartition(topic, 0);
            int total = BATCHES * PER_BATCH;
            assertEquals(0, offset(admin, tp, OffsetSpec.earliest()));
            assertEquals(total, offset(admin, tp, OffsetSpec.latest()));
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            try (var consumer = broker.consumer()) {
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                long until = System.currentTimeMillis() + 60_000;
                while (records.size() < total && System.currentTimeMillis() < until) {
                    consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                }
            }
            assertEquals(total, records.size());
            for (int n = 0; n < total; n++) {
                ConsumerRecord<byte[], byte[]> r = records.get(n);
                assertEquals(n, r.offset());
                assertEquals(timestamps.get(n), r.timestamp());
                assertEquals("k" + n, new String(r.key()));
                assertEquals("v" + n, new String(r.value()));
            }
            // By time: the first record at or after a record's timestamp (several may share a millisecond).
            for (int n : new int[] {0, PER_BATCH - 1, PER_BATCH, total / 2 + 7, total - 1}) {
                long ts = timestamps.get(n);
                assertEquals(timestamps.indexOf(ts), offset(admin, tp, OffsetSpec.forTimestamp(ts)), "time of " + n);
            }
            assertEquals(-1, offset(admin, tp, OffsetSpec.forTimestamp(timestamps.get(total - 1) + 1)));
            assertEquals(timestamps.get(total - 1), admin.listOffsets(Map.of(tp, OffsetSpec.maxTimestamp())).all()
                    .get(30, TimeUnit.SECONDS).get(tp).timestamp());
        }
    }

    private static long offset(Admin admin, TopicPartition tp, OffsetSpec spec) throws Exception {
        ListOffsetsResult.ListOffsetsResultInfo info = admin.listOffsets(Map.of(tp, spec)).all()
                .get(30, TimeUnit.SECONDS).get(tp);
        return info.offset();
    }

    /** Offloaded with no deletion lag, the ledger leaves the bookies once the topic is trimmed. */
    private void awaitDeletedFromBookies(PulsarAdmin pulsar, String partition, long ledgerId) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (broker.bookiesHaveLedger(ledgerId)) {
            assertTrue(System.currentTimeMillis() < deadline, "ledger " + ledgerId + " still on the bookies");
            pulsar.topics().trimTopic(partition);
            Thread.sleep(500);
        }
    }
}
