package org.tandemha.core.runtime;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.core.config.PingSpec;
import org.tandemha.core.engine.Input;

/**
 * The reachability monitor ({@code ping}): every {@code interval} it asks each of this node's ping hosts, in
 * parallel, whether it answers within {@code timeout}, and announces the count to its peers as the fact
 * {@link PingSpec#FACT} once the count has held for {@code dampen} ({@link Dampener}). The engine's placement
 * prefers nodes that reach more hosts. Periodic work never dies silently: a failed round is logged and counted.
 *
 * <p>{@code icmp}: {@link InetAddress#isReachable}, an ICMP echo when the JVM may open raw sockets (root, or
 * CAP_NET_RAW), otherwise a TCP connection to port 7 (echo), where a refusal also proves the host answers.
 * {@code tcp}: a connection to {@code port}; accepted or refused is an answer, a timeout or "no route" is not.
 */
final class PingMonitor {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRuntime.class);

    private final String self;
    private final PingSpec spec;
    private final List<String> hosts;
    private final Consumer<Input> submit;
    private final LongSupplier nowMs;
    private final Dampener dampener;
    private final AtomicLong failedRounds = new AtomicLong();
    private ScheduledExecutorService timer;
    private ExecutorService askers;

    PingMonitor(String self, PingSpec spec, Consumer<Input> submit, LongSupplier nowMs) {
        this.self = self;
        this.spec = spec;
        this.hosts = spec.hostsOf(self);
        this.submit = submit;
        this.nowMs = nowMs;
        this.dampener = new Dampener(spec.dampen().toMillis());
    }

    synchronized void start() {
        if (timer != null) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(NodeRuntime.named("tandem-ping-" + self, false));
        askers = Executors.newFixedThreadPool(Math.min(8, Math.max(1, hosts.size())), NodeRuntime.named("tandem-ping-ask-" + self, true));
        timer.scheduleWithFixedDelay(this::round, 0, spec.interval().toMillis(), TimeUnit.MILLISECONDS);
    }

    synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
            askers.shutdownNow();
        }
    }

    private void round() {
        try {
            int n = measure();
            Integer publish = dampener.offer(n, nowMs.getAsLong());
            if (publish != null) {
                LOG.info("node {}: reaches {} of its {} ping hosts", self, publish, hosts.size());
                submit.accept(new Input.Fact(PingSpec.FACT, Integer.toString(publish)));
            }
        } catch (RuntimeException e) {
            long k = failedRounds.incrementAndGet();
            if (Long.bitCount(k) == 1) {
                LOG.warn("node {}: a ping round failed ({}); {} so far", self, e.toString(), k);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // closing
        }
    }

    /** How many hosts answer now; each asked in parallel, the round bounded by the timeout plus a second. */
    int measure() throws InterruptedException {
        List<Future<Boolean>> asks = new ArrayList<>();
        for (String h : hosts) {
            asks.add(askers.submit(() -> answers(h)));
        }
        long end = System.nanoTime() + spec.timeout().toNanos() + TimeUnit.SECONDS.toNanos(1);
        int n = 0;
        for (Future<Boolean> f : asks) {
            try {
                if (f.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    n++;
                }
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                f.cancel(true);
            }
        }
        return n;
    }

    /** Whether {@code host} answers within the timeout. */
    boolean answers(String host) {
        int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, spec.timeout().toMillis()));
        try {
            if (spec.method().equals("tcp")) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(host, spec.port()), ms);
                    return true;
                } catch (ConnectException e) {
                    // refused: the host answered (a reset); "no route" / "unreachable" come as NoRouteToHostException
                    return e.getMessage() != null && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("refused");
                }
            }
            return InetAddress.getByName(host).isReachable(ms);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Pacemaker's {@code dampen}: the first count is announced at once; a different count is announced once counts
     * different from the announced one have been measured for {@code dampen} without a break (the latest of them). A
     * count back to the announced one cancels the wait. Pure, for tests.
     */
    static final class Dampener {
        private final long dampenMs;
        private Integer announced;
        private long changedSince = -1;

        Dampener(long dampenMs) {
            this.dampenMs = dampenMs;
        }

        /** The count to announce now, or null. */
        Integer offer(int measured, long nowMs) {
            if (announced == null) {
                announced = measured;
                return measured;
            }
            if (measured == announced) {
                changedSince = -1;
                return null;
            }
            if (changedSince < 0) {
                changedSince = nowMs;
            }
            if (nowMs - changedSince >= dampenMs) {
                announced = measured;
                changedSince = -1;
                return measured;
            }
            return null;
        }
    }
}
