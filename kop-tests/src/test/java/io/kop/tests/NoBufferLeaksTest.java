package io.kop.tests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** Runs after every other test class (junit-platform.properties orders classes): no buffer leaked meanwhile. */
@Order(Integer.MAX_VALUE)
class NoBufferLeaksTest {
    @Test
    void noBufferLeakedWhileTheBrokerServedTheTests() throws Exception {
        KopTestBroker.get();
        NettyLeaks.leakProbe();
        List<String> reports = NettyLeaks.reported();
        List<String> probes = reports.stream().filter(r -> r.contains(NettyLeaks.PROBE)).toList();
        assertTrue(!probes.isEmpty(), "the leak detector did not report a buffer dropped on purpose: " + reports);
        List<String> leaks = reports.stream().filter(r -> !r.contains(NettyLeaks.PROBE)).toList();
        assertTrue(leaks.isEmpty(), () -> leaks.size() + " buffers leaked (each in kop.log); their hints: "
                + NettyLeaks.hints(leaks) + "; the first: " + leaks.get(0));
    }
}
