package io.kop.tests.functions;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.apache.pulsar.client.api.Schema;
import org.apache.pulsar.functions.api.Context;
import org.apache.pulsar.functions.api.Function;
import org.apache.pulsar.functions.api.Record;

/**
 * A Pulsar Function for FunctionsTest: writes each input message to the output topic with its value
 * upper-cased, and its key, properties (plus {@code tagged-by}) and event time unchanged.
 */
public class TagRecords implements Function<byte[], Void> {
    @Override
    public Void process(byte[] input, Context context) throws Exception {
        Record<?> in = context.getCurrentRecord();
        Map<String, String> properties = new HashMap<>(in.getProperties());
        properties.put("tagged-by", context.getFunctionName());
        var out = context.newOutputMessage(context.getOutputTopic(), Schema.BYTES)
                .value(new String(input, StandardCharsets.UTF_8).toUpperCase().getBytes(StandardCharsets.UTF_8))
                .properties(properties);
        in.getKey().ifPresent(out::key);
        in.getEventTime().ifPresent(out::eventTime);
        out.send();
        return null;
    }
}
