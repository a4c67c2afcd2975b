package io.kop.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Not part of the default test run ({@code ./kop bench format} runs it): the CPU one thread spends per
 * MiB converting a 128 KiB producer batch into a stored entry (produce) and a stored entry back into a
 * Kafka batch (a fetch from storage), for both entry formats, with records as Kafka's
 * {@code ProducerPerformance} sends them (no key, no headers). The whole broker's figures are in
 * BENCHMARKS.md; this isolates the part that differs between the formats, and being one thread's CPU
 * time on fixed inputs it moves much less with the machine than the broker benchmark does.
 */
@Tag("benchmark")
class FormatConversionBenchmark {
    private static final int BATCH_BYTES = 128 * 1024;
    private static final long MEASURE_NANOS = 3_000_000_000L;
    private static final int ROUNDS = 3;

    @Test
    void conversionCpuPerMiB() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int recordSize : new int[] {100, 1024}) {
            Inputs in = new Inputs(recordSize);
            try {
                double encodePulsar = median(() -> PulsarEntryFormat.encode(in.batch, in.count, 1L, -1).release(), in);
                double encodeKafka = median(() -> KafkaEntryFormat.encode(in.batch, in.count, "bench").release(), in);
                double decodePulsar = median(() -> in.decode(in.pulsarEntry), in);
                double decodeKafka = median(() -> in.decode(in.kafkaEntry), in);
                lines.add(String.format("%5d B records   encode: pulsar %.3f  kafka %.3f ms/MiB"
                                + "   decode: pulsar %.3f  kafka %.3f ms/MiB",
                        recordSize, encodePulsar, encodeKafka, decodePulsar, decodeKafka));
            } finally {
                in.release();
            }
        }
        System.out.println("\nEntry format conversion, one thread's CPU per MiB of Kafka batches (median of "
                + ROUNDS + " rounds of " + MEASURE_NANOS / 1_000_000_000L + " s):");
        lines.forEach(System.out::println);
    }

    /** One 128 KiB producer batch in a direct buffer (as in a request frame) and its two stored entries. */
    private static final class Inputs {
        final MutableRecordBatch batch;
        final int count;
        final double mib;
        final ByteBuf frame;
        final ByteBuf pulsarEntry;
        final ByteBuf kafkaEntry;

        Inputs(int recordSize) throws Exception {
            byte[] value = new byte[recordSize];
            new Random(recordSize).nextBytes(value);
            MemoryRecordsBuilder builder = MemoryRecords.builder(ByteBuffer.allocate(BATCH_BYTES + 1024),
                    Compression.NONE, TimestampType.CREATE_TIME, 0L);
            long now = System.currentTimeMillis();
            int n = 0;
            while (builder.estimatedSizeInBytes() + recordSize + 16 < BATCH_BYTES) {
                builder.append(now + n++, null, value);
            }
            MemoryRecords records = builder.build();
            frame = PooledByteBufAllocator.DEFAULT.directBuffer(records.sizeInBytes());
            frame.writeBytes(records.buffer().duplicate());
            batch = MemoryRecords.readableRecords(frame.nioBuffer()).batches().iterator().next();
            count = n;
            mib = records.sizeInBytes() / (1024.0 * 1024.0);
            pulsarEntry = stored(PulsarEntryFormat.encode(batch, n, now, -1), n);
            kafkaEntry = stored(KafkaEntryFormat.encode(batch, n, "bench"), n);
            assertEquals(n, decode(pulsarEntry));
            assertEquals(n, decode(kafkaEntry));
        }

        /** What a fetch does with an entry read from storage: a Kafka batch in a direct buffer of its own. */
        int decode(ByteBuf entry) throws Exception {
            FetchRecordsBuilder out = FetchRecordsBuilder.forEntry(entry.readableBytes());
            EntryReader.decode(entry, 0, out);
            out.buildBuffer().release();
            return out.records();
        }

        /** The entry as the bookie returns it: behind the broker entry index, in direct memory. */
        private ByteBuf stored(ByteBuf entry, int n) {
            ByteBuf withIndex = PulsarEntryFormatTest.withIndex(entry, n - 1, n);
            ByteBuf direct = PooledByteBufAllocator.DEFAULT.directBuffer(withIndex.readableBytes());
            direct.writeBytes(withIndex);
            withIndex.release();
            return direct;
        }

        void release() {
            frame.release();
            pulsarEntry.release();
            kafkaEntry.release();
        }
    }

    private interface Conversion {
        void run() throws Exception;
    }

    /** The median over rounds of this thread's CPU per MiB converted; the first round also warms up the JIT. */
    private static double median(Conversion conversion, Inputs in) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        List<Double> perMiB = new ArrayList<>();
        for (int round = 0; round <= ROUNDS; round++) {
            long cpuStart = threads.getCurrentThreadCpuTime();
            long end = System.nanoTime() + MEASURE_NANOS;
            long ops = 0;
            while (System.nanoTime() < end) {
                conversion.run();
                ops++;
            }
            double ms = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e6;
            if (round > 0) {
                perMiB.add(ms / (ops * in.mib));
            }
        }
        Collections.sort(perMiB);
        return perMiB.get(perMiB.size() / 2);
    }
}
