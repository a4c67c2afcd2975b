package io.kop.standalone;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.filter.RegexFilter;

/**
 * Two ERRORs the standalone's start logs although nothing is wrong: a bookie's first start says
 * "Problems reading from .../lastMark (this is okay if it is the first time starting this bookie",
 * and every later start of the embedded metadata says "Ledger root path: /ledgers already exists"
 * (Pulsar's standalone initialises the cluster each time). While the standalone starts, these
 * messages are logged at INFO instead: the first only while a bookie that has never been formatted
 * starts (on any later start it would mean a lost journal mark), the second only when the metadata
 * directory already holds a cluster. Every other message is left as it is.
 */
final class FirstStartNotice implements AutoCloseable {
    private static final String JOURNAL = "org.apache.bookkeeper.bookie.Journal";
    private static final String REGISTRATION = "org.apache.pulsar.metadata.bookkeeper.PulsarRegistrationManager";
    private final java.util.List<String> added;

    private FirstStartNotice(java.util.List<String> added) {
        this.added = added;
    }

    /** Installed for a start of the standalone in {@code dataDir}; closing it removes it again. */
    static FirstStartNotice whileStarting(Path dataDir) {
        java.util.List<String> added = new java.util.ArrayList<>();
        if (LogManager.getContext(false) instanceof LoggerContext context) {
            if (!Files.exists(dataDir.resolve("bookkeeper").resolve("current").resolve("VERSION"))) {
                demote(context, JOURNAL, "(?s).*lastMark.*first time starting this bookie.*",
                        "first start of this bookie: expected", added);
            }
            if (Files.exists(dataDir.resolve("metadata"))) {
                demote(context, REGISTRATION, "(?s).*Ledger root path: /ledgers already exists.*",
                        "a restart: the cluster exists", added);
            }
            context.updateLoggers();
        }
        return new FirstStartNotice(added);
    }

    private static void demote(LoggerContext context, String logger, String regex, String why, java.util.List<String> added) {
        Configuration config = context.getConfiguration();
        if (config.getLoggers().containsKey(logger)) {
            return; // configured by the operator: left alone
        }
        LoggerConfig lc = new LoggerConfig(logger, null, true);
        lc.addFilter(new Demote(logger, regex, why));
        config.addLogger(logger, lc);
        added.add(logger);
    }

    @Override
    public void close() {
        if (!added.isEmpty() && LogManager.getContext(false) instanceof LoggerContext context) {
            added.forEach(context.getConfiguration()::removeLogger);
            context.updateLoggers();
        }
    }

    /** Drops the expected message at ERROR and logs it again at INFO, saying why. */
    private static final class Demote extends org.apache.logging.log4j.core.filter.AbstractFilter {
        private final String logger;
        private final Filter match;
        private final String why;

        Demote(String logger, String regex, String why) {
            this.logger = logger;
            this.why = why;
            try {
                match = RegexFilter.createFilter(regex, null, false, Filter.Result.ACCEPT, Filter.Result.NEUTRAL);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public Result filter(org.apache.logging.log4j.core.LogEvent event) {
            if (event.getLevel() == Level.ERROR && match.filter(event) == Result.ACCEPT) {
                LogManager.getLogger(logger).info(event.getMessage().getFormattedMessage() + " [" + why + "]");
                return Result.DENY;
            }
            return Result.NEUTRAL;
        }
    }
}
