package org.tandemha.examples.sharedarray;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.tandemha.scsi.ScsiDevice;
import org.tandemha.scsi.ScsiException;
import org.tandemha.scsi.SharedLock;

/**
 * The client of the shared-array example: runs in the client namespace (reaching the floating addresses over the
 * public bridge, and the array's portal over the storage bridge, read-only) and takes commands on its standard
 * input, one per line; it answers with lines that start with a keyword and the monotonic clock in ns:
 *
 * <ul>
 *   <li>{@code probe http URL} / {@code probe jdbc URL}: requests in a loop (every 2 ms); {@code probe stop};</li>
 *   <li>{@code arm}: the next success of a request sent after this command prints {@code UP <ns>};</li>
 *   <li>{@code writes URL} / {@code writes stop}: the write workload ({@code POST URL/write?id=N}, one every
 *       20 ms); stop prints {@code WRITES acked=N failed=M};</li>
 *   <li>{@code verify URL}: reads {@code URL/ids} and prints {@code VERIFY acked=N present=P lost=L};</li>
 *   <li>{@code observe ISCSI-URL CLUSTER}: reads the reservation every 100 ms and prints {@code RES <ns> holder=...
 *       keys=...} whenever it changes (a READ only: the observer never registers).</li>
 *   <li>{@code reach TAG HOST PORT EXPECT TIMEOUT_MS}: connects to HOST:PORT every 2 ms (connect bound 100 ms, read
 *       bound 300 ms) until the line the server sends is EXPECT (a node's responder says its node id), then prints
 *       {@code REACH TAG <ns> ok EXPECT}; after the timeout {@code REACH TAG <ns> fail <last answer or error>}.</li>
 *   <li>{@code echo TAG HOST PORT EXPECT TIMEOUT_MS}: the same in UDP, ping-like: a datagram to HOST:PORT every 2 ms
 *       (a node's responder answers each with its node id) until an answer is EXPECT, then prints
 *       {@code ECHO TAG <ns> ok EXPECT} (the time the answer arrived); after the timeout
 *       {@code ECHO TAG <ns> fail <last answer>}.</li>
 * </ul>
 */
public final class ArrayClient {
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    private static volatile long armedAt = Long.MAX_VALUE;
    private static volatile boolean upReported = true;
    private static volatile boolean writing;
    private static volatile boolean probing;
    private static final Set<Long> ACKED = ConcurrentHashMap.newKeySet();
    private static final AtomicLong FAILED = new AtomicLong();
    private static final AtomicLong NEXT_ID = new AtomicLong(1);
    private static final List<Thread> THREADS = new ArrayList<>();

    private ArrayClient() {
    }

    public static void main(String[] args) throws IOException {
        if (java.util.Arrays.asList(args).contains("--help") || java.util.Arrays.asList(args).contains("-h")) {
            System.out.println("usage: ArrayClient   (commands on standard input; started by the shared-array cluster)\nThe shared-array cluster's client: writes through VIP2 and records what PostgreSQL acknowledged.");
            return;                                             // --help: usage, exit 0
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        OUT.println("CLIENT-READY " + System.nanoTime());
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.trim().split("\\s+");
            switch (w[0]) {
                case "probe" -> {
                    if (w[1].equals("stop")) {
                        probing = false;
                        OUT.println("PROBE-STOPPED");
                    } else {
                        probing = true;
                        startThread("probe", () -> probeLoop(w[1], w[2]));
                    }
                }
                case "arm" -> {
                    armedAt = System.nanoTime();
                    upReported = false;
                    OUT.println("ARMED " + armedAt);
                }
                case "writes" -> {
                    if (w[1].equals("stop")) {
                        writing = false;
                        pause(300);
                        OUT.println("WRITES acked=" + ACKED.size() + " failed=" + FAILED.get());
                    } else {
                        writing = true;
                        startThread("writer", () -> writeLoop(w[1]));
                        OUT.println("WRITES-STARTED");
                    }
                }
                case "verify" -> verify(w[1]);
                case "observe" -> startThread("observer", () -> observe(w[1], w[2]));
                case "reach" -> startThread("reach-" + w[1], () -> reach(w[1], w[2], Integer.parseInt(w[3]), w[4],
                        Long.parseLong(w[5])));
                case "echo" -> startThread("echo-" + w[1], () -> echo(w[1], w[2], Integer.parseInt(w[3]), w[4],
                        Long.parseLong(w[5])));
                case "quit" -> System.exit(0);
                default -> OUT.println("ERROR unknown command " + line);
            }
        }
        System.exit(0);
    }

    private static void startThread(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
        THREADS.add(t);
    }

    private static void probeLoop(String kind, String url) {
        Connection jdbc = null;
        while (probing) {
            long sent = System.nanoTime();
            boolean ok;
            if (kind.equals("jdbc")) {
                try {
                    if (jdbc == null) {
                        jdbc = DriverManager.getConnection(url + "?connectTimeout=1&socketTimeout=1&loginTimeout=1", "postgres", "");
                    }
                    try (Statement st = jdbc.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
                        ok = rs.next();
                    }
                } catch (Exception e) {
                    ok = false;
                    if (jdbc != null) {
                        try {
                            jdbc.close();
                        } catch (Exception ignored) {
                            // gone
                        }
                        jdbc = null;
                    }
                }
            } else {
                ok = httpGet(url, 100, 300) == 200;
            }
            if (ok && !upReported && sent >= armedAt) {
                upReported = true;
                OUT.println("UP " + System.nanoTime());
                // New connection after each failover, as a new client would make.
                if (jdbc != null) {
                    try {
                        jdbc.close();
                    } catch (Exception ignored) {
                        // gone
                    }
                    jdbc = null;
                }
            }
            pause(2);
        }
    }

    private static void writeLoop(String base) {
        while (writing) {
            long id = NEXT_ID.getAndIncrement();
            long sent = System.nanoTime();
            int code = http("POST", base + "/write?id=" + id, 300, 4000).code;
            if (code == 200) {
                ACKED.add(id);
                if (!upReported && sent >= armedAt) {
                    upReported = true;
                    OUT.println("UP " + System.nanoTime());
                }
            } else {
                FAILED.incrementAndGet();
                pause(30);
            }
            pause(20);
        }
    }

    private static void verify(String base) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            Response r = http("GET", base + "/ids", 500, 5000);
            if (r.code == 200) {
                Set<Long> present = new HashSet<>();
                for (String s : r.body.split("\n")) {
                    if (!s.isBlank()) {
                        present.add(Long.parseLong(s.trim()));
                    }
                }
                long lost = ACKED.stream().filter(id -> !present.contains(id)).count();
                OUT.println("VERIFY acked=" + ACKED.size() + " present=" + present.size() + " lost=" + lost);
                return;
            }
            pause(200);
        }
        OUT.println("VERIFY failed: " + base + "/ids did not answer within 60 s");
    }

    private static void observe(String url, String cluster) {
        long k1 = SharedLock.keyFor(cluster, "node1");
        long k2 = SharedLock.keyFor(cluster, "node2");
        String last = "";
        ScsiDevice d = null;
        while (true) {
            String now;
            try {
                if (d == null) {
                    d = ScsiDevice.open(url, "iqn.2026-11.org.tandemha:" + cluster + ".observer", Duration.ofSeconds(2));
                }
                ScsiDevice.Reservation r = d.readReservation();
                ScsiDevice.Keys keys = d.readKeys();
                String holder = !r.held() ? "none" : r.key() == k1 ? "node1" : r.key() == k2 ? "node2" : ScsiDevice.hex(r.key());
                List<String> ks = new ArrayList<>();
                if (keys.contains(k1)) {
                    ks.add("node1");
                }
                if (keys.contains(k2)) {
                    ks.add("node2");
                }
                now = "holder=" + holder + " keys=" + (ks.isEmpty() ? "none" : String.join(",", ks));
            } catch (ScsiException e) {
                now = "unreadable " + e.getMessage().replace('\n', ' ');
                if (d != null) {
                    d.close();
                    d = null;
                }
            }
            if (!now.equals(last)) {
                OUT.println("RES " + System.nanoTime() + " " + now);
                last = now;
            }
            pause(100);
        }
    }

    private static void reach(String tag, String host, int port, String expect, long timeoutMs) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        String last = "nothing";
        while (System.nanoTime() - deadline < 0) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 100);
                s.setSoTimeout(300);
                BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                String line = r.readLine();
                if (expect.equals(line)) {
                    OUT.println("REACH " + tag + " " + System.nanoTime() + " ok " + line);
                    return;
                }
                last = "answered '" + line + "'";
            } catch (IOException | RuntimeException e) {
                last = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            pause(2);
        }
        OUT.println("REACH " + tag + " " + System.nanoTime() + " fail " + last.replace('\n', ' '));
    }

    private static void echo(String tag, String host, int port, String expect, long timeoutMs) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        String last = "nothing";
        try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
            s.setSoTimeout(1);
            InetSocketAddress to = new InetSocketAddress(host, port);
            byte[] ping = tag.getBytes(StandardCharsets.US_ASCII);
            byte[] buf = new byte[512];
            while (System.nanoTime() - deadline < 0) {
                long sent = System.nanoTime();
                try {
                    s.send(new java.net.DatagramPacket(ping, ping.length, to));
                } catch (IOException e) {
                    last = e.getClass().getSimpleName() + ": " + e.getMessage(); // no route yet: try again
                }
                while (System.nanoTime() - sent < 2_000_000L) {
                    java.net.DatagramPacket in = new java.net.DatagramPacket(buf, buf.length);
                    try {
                        s.receive(in);
                    } catch (java.net.SocketTimeoutException e) {
                        continue;
                    }
                    long at = System.nanoTime();
                    String answer = new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII);
                    if (expect.equals(answer)) {
                        OUT.println("ECHO " + tag + " " + at + " ok " + answer);
                        return;
                    }
                    last = "answered '" + answer + "'";
                }
            }
        } catch (IOException | RuntimeException e) {
            last = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        OUT.println("ECHO " + tag + " " + System.nanoTime() + " fail " + last.replace('\n', ' '));
    }

    static int httpGet(String url, int connectMs, int readMs) {
        return http("GET", url, connectMs, readMs).code;
    }

    record Response(int code, String body) {
    }

    /** A minimal HTTP/1.0 request over a plain socket, with bounded connect and read times. */
    static Response http(String method, String url, int connectMs, int readMs) {
        URI u = URI.create(url);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(u.getHost(), u.getPort()), connectMs);
            s.setSoTimeout(readMs);
            String target = u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
            OutputStream out = s.getOutputStream();
            out.write((method + " " + target + " HTTP/1.0\r\nHost: " + u.getHost() + "\r\nContent-Length: 0\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!text.startsWith("HTTP/")) {
                return new Response(-1, "");
            }
            int code = Integer.parseInt(text.substring(9, 12));
            int bodyAt = text.indexOf("\r\n\r\n");
            return new Response(code, bodyAt < 0 ? "" : text.substring(bodyAt + 4));
        } catch (IOException | RuntimeException e) {
            return new Response(-1, "");
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
