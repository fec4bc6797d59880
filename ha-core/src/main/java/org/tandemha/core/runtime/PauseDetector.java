package org.tandemha.core.runtime;

import java.time.Duration;
import java.util.function.Consumer;
import org.tandemha.core.engine.Input;

/**
 * Detects that this process was frozen (SIGSTOP, a long GC pause, a starved machine) from jumps of the monotonic clock
 * between two short sleeps, and tells the engine ({@link Input.Resumed}) of every freeze longer than
 * {@code timing.pauseReport}: the engine moves its pending deadlines by the pause, and stands down after one longer
 * than {@code timing.pauseThreshold}. The policy is the engine's and the configuration's; this only measures.
 */
final class PauseDetector {
    /** How often the detector looks at the clock. */
    static final long WATCH_MS = 100;

    private final String self;
    private final long reportMs;
    private final Consumer<Input> submit;
    private Thread thread;

    PauseDetector(String self, Duration report, Consumer<Input> submit) {
        this.self = self;
        this.reportMs = report.toMillis();
        this.submit = submit;
    }

    synchronized void start() {
        thread = new Thread(this::watch, "tandem-pause-watch-" + self);
        thread.setDaemon(true);
        thread.start();
    }

    synchronized void stop() {
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void watch() {
        long last = System.nanoTime();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(WATCH_MS);
            } catch (InterruptedException e) {
                return;
            }
            long nowNs = System.nanoTime();
            long gapMs = (nowNs - last) / 1_000_000 - WATCH_MS;
            last = nowNs;
            if (gapMs > reportMs) {
                submit.accept(new Input.Resumed(gapMs));
            }
        }
    }
}
