package io.kop.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HeaderMappingTest {

    @Test
    void validUtf8IsKeptAsText() {
        for (String s : new String[] {"", "key-1", "h\u00e9llo \u20ac \ud834\udd1e", "\u0000"}) {
            assertEquals(s, HeaderMapping.strictUtf8(s.getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void invalidUtf8IsRejected() {
        byte[][] invalid = {
            {(byte) 0xff},                                     // never valid
            {(byte) 0xc3, 0x28},                               // bad continuation
            {(byte) 0xc0, (byte) 0x80},                        // overlong NUL (modified UTF-8)
            {(byte) 0xed, (byte) 0xa0, (byte) 0x80},           // a surrogate code point
            {(byte) 0xe2, (byte) 0x82},                        // truncated
            {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
            {(byte) 0xef, (byte) 0xbf, 0x41},                  // a prefix of U+FFFD's own encoding
        };
        for (byte[] bytes : invalid) {
            assertNull(HeaderMapping.strictUtf8(bytes));
        }
    }
}
