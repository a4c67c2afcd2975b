package io.kop.tests;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Keeps what Netty's leak detector reports in the test JVM, so that a test can fail on it: a buffer the
 * broker never releases (KoP's own, or Pulsar's through KoP's calls) is direct memory lost for as long
 * as the broker runs. The pom sets the detector to its strictest level ({@code io.netty.leakDetection.level},
 * which Pulsar's allocator setup keeps; a level set in code here, it resets). Installed before the first
 * buffer exists, which is when Netty creates its detector.
 */
final class NettyLeaks {
    /** The hint of the buffer {@link #leakProbe} drops. */
    static final String PROBE = "kop-leak-check-probe";
    private static final List<String> REPORTS = new CopyOnWriteArrayList<>();

    private NettyLeaks() {
    }

    static void install() {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                       long maxActive) {
                return new ResourceLeakDetector<>(resource, samplingInterval) {
                    @Override
                    protected void reportTracedLeak(String resourceType, String records) {
                        REPORTS.add(resourceType + " leaked; " + records);
                        if (!records.contains(PROBE)) {
                            super.reportTracedLeak(resourceType, records); // to the log
                        }
                    }

                    @Override
                    protected void reportUntracedLeak(String resourceType) {
                        REPORTS.add(resourceType + " leaked");
                        super.reportUntracedLeak(resourceType);
                    }
                };
            }
        });
    }

    /**
     * The leaks reported so far. The detector learns of a leak when the buffer is garbage collected and
     * reports it at a later allocation, so this collects garbage and allocates first.
     */
    static List<String> reported() throws InterruptedException {
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(200);
            PooledByteBufAllocator.DEFAULT.directBuffer(16).release();
        }
        return List.copyOf(REPORTS);
    }

    /**
     * How often each hint appears across {@code reports} (KoP touches the entries it reads with its
     * reader's name), and how many reports carry none: says whose buffers they were.
     */
    static java.util.Map<String, Long> hints(List<String> reports) {
        java.util.Map<String, Long> counts = new java.util.TreeMap<>();
        for (String r : reports) {
            List<String> found = r.lines().map(String::trim).filter(l -> l.startsWith("Hint: ") && !l.contains("will handle the message"))
                    .map(l -> l.substring(6).replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}", "*")).distinct().toList();
            if (found.isEmpty()) {
                counts.merge("(none)", 1L, Long::sum);
            }
            found.forEach(h -> counts.merge(h, 1L, Long::sum));
        }
        return counts;
    }

    /** Allocates a buffer and drops it unreleased, marked with {@link #PROBE}: proof the detection works. */
    static void leakProbe() {
        ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(16);
        probe.touch(PROBE);
    }
}
