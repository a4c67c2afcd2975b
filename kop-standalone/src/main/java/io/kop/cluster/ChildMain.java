package io.kop.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Entry point of every process a {@link KopCluster} starts: runs the real main class (ZooKeeper, a
 * bookie, a broker) and halts the process when its standard input closes, which is when the process
 * that started it is gone, however it ended (Ctrl-C, kill -9, a test JVM that never ran its hooks).
 * Without this, a dead launcher would leave brokers and bookies running on their ports.
 */
public final class ChildMain {
    private ChildMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: ChildMain MAIN_CLASS [ARGS...]");
        }
        // Ctrl-C in a terminal reaches the launcher and all its children at once; the launcher then stops
        // brokers, bookies and ZooKeeper in that order, so the children leave SIGINT to it.
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), sun.misc.SignalHandler.SIG_IGN);
        Thread watchdog = new Thread(ChildMain::haltWhenParentGone, "kop-parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        Method main = Class.forName(args[0]).getMethod("main", String[].class);
        main.invoke(null, (Object) Arrays.copyOfRange(args, 1, args.length));
    }

    private static void haltWhenParentGone() {
        InputStream in = System.in;
        byte[] buffer = new byte[64];
        try {
            while (in.read(buffer) >= 0) {
                // the parent never writes; reading only waits for end of stream
            }
        } catch (IOException e) {
            // a broken pipe means the same as end of stream
        }
        Runtime.getRuntime().halt(3);
    }
}
