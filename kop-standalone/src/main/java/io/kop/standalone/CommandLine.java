package io.kop.standalone;

import java.util.Map;

/** The bits of argument parsing {@code ./kop standalone} and {@code ./kop cluster} share. */
public final class CommandLine {
    private final String usage;

    public CommandLine(String usage) {
        this.usage = usage;
    }

    /** {@code args[i]}, the value of {@code option}; exits with the usage when it is missing. */
    public String value(String[] args, int i, String option) {
        if (i >= args.length) {
            fail(option + " needs a value");
        }
        return args[i];
    }

    /** Adds one {@code --conf KEY=VALUE} to {@code into}. */
    public void conf(String keyValue, Map<String, String> into) {
        int eq = keyValue.indexOf('=');
        if (eq <= 0) {
            fail("--conf expects KEY=VALUE, got " + keyValue);
        }
        into.put(keyValue.substring(0, eq), keyValue.substring(eq + 1));
    }

    /** Prints the message and the usage, exits with code 2. */
    public void fail(String message) {
        System.err.println(message);
        System.err.println(usage);
        System.exit(2);
    }
}
