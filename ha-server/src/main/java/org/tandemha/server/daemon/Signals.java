package org.tandemha.server.daemon;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT end {@code tandem run} through its main thread (the node closes there and the process exits
 * 0), instead of through shutdown hooks, whose exit status would be 143. A second signal while stopping is ignored:
 * systemd's TimeoutStopSec and SIGKILL bound the stop.
 */
final class Signals {
    private Signals() {
    }

    static void onTerminate(Runnable action) {
        Signal.handle(new Signal("TERM"), s -> action.run());
        Signal.handle(new Signal("INT"), s -> action.run());
    }
}
