package io.kop.format;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.pulsar.common.api.proto.KeyValue;

/**
 * Kafka headers (ordered, repeatable, byte values, possibly null) <-> Pulsar properties (string values).
 * UTF-8 values are stored as they are, so Pulsar consumers read them as expected. Values that are not
 * valid UTF-8 are stored base64-encoded and null values as empty strings; the property {@link #ENCODING}
 * lists which headers those are ({@code <index>:b} or {@code <index>:n}), so Kafka consumers get the
 * exact bytes back.
 */
public final class HeaderMapping {
    public static final String ENCODING = "__kop_header_encoding";
    private static final Header[] NO_HEADERS = new Header[0];

    private HeaderMapping() {
    }

    public interface PropertySink {
        void add(String key, String value);
    }

    public static void toProperties(Header[] headers, PropertySink sink) {
        StringBuilder encoding = null;
        for (int i = 0; i < headers.length; i++) {
            byte[] value = headers[i].value();
            String text;
            char mark = 0;
            if (value == null) {
                text = "";
                mark = 'n';
            } else {
                text = strictUtf8(value);
                if (text == null) {
                    text = Base64.getEncoder().encodeToString(value);
                    mark = 'b';
                }
            }
            sink.add(headers[i].key(), text);
            if (mark != 0) {
                encoding = (encoding == null ? new StringBuilder() : encoding.append(','));
                encoding.append(i).append(':').append(mark);
            }
        }
        if (encoding != null) {
            sink.add(ENCODING, encoding.toString());
        }
    }

    public static Header[] fromProperties(List<KeyValue> properties) {
        if (properties.isEmpty()) {
            return NO_HEADERS;
        }
        String encoding = null;
        List<Header> headers = new ArrayList<>(properties.size());
        for (KeyValue kv : properties) {
            if (kv.getKey().equals(ENCODING)) {
                encoding = kv.getValue();
            } else {
                headers.add(new RecordHeader(kv.getKey(), kv.getValue().getBytes(StandardCharsets.UTF_8)));
            }
        }
        if (encoding != null) {
            for (String item : encoding.split(",")) {
                int colon = item.indexOf(':');
                int index = Integer.parseInt(item.substring(0, colon));
                Header h = headers.get(index);
                byte[] value = item.charAt(colon + 1) == 'n' ? null
                        : Base64.getDecoder().decode(h.value());
                headers.set(index, new RecordHeader(h.key(), value));
            }
        }
        return headers.toArray(NO_HEADERS);
    }

    /** The string if {@code bytes} is valid UTF-8 (so it round-trips exactly), else null. */
    static String strictUtf8(byte[] bytes) {
        // The JDK decoder replaces malformed input with U+FFFD, whose encoding differs from what it
        // replaced: a value round-trips exactly if and only if it was valid UTF-8.
        String text = new String(bytes, StandardCharsets.UTF_8);
        return Arrays.equals(text.getBytes(StandardCharsets.UTF_8), bytes) ? text : null;
    }
}
