package org.tandemha.examples.lab;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fault lab's client: runs in the client namespace and works all the time through the floating address, from
 * {@code --threads} threads at once, writing one history line per request to {@code --history}:
 *
 * <pre>
 * H &lt;thread&gt; &lt;seq&gt; &lt;start ns&gt; &lt;end ns&gt; ok|fail &lt;node|-&gt; &lt;generation|-&gt; &lt;detail&gt;
 * </pre>
 *
 * Times are {@link System#nanoTime()}, the machine's monotonic clock, the same in every JVM of the lab.
 *
 * <ul>
 *   <li>{@code --mode web --target HOST:PORT}: {@code GET /} (connect bound 100 ms, read bound 300 ms); the service
 *       answers {@code ok <node> gen=<generation>}.</li>
 *   <li>{@code --mode db --target HOST:PORT --stamp FILE}: {@code INSERT INTO lab_writes(seq, stamp) VALUES (seq,
 *       pg_read_file(FILE)) RETURNING stamp} in autocommit: {@code ok} means PostgreSQL acknowledged the commit of
 *       {@code seq}, and the stamp (written by the gate of the node whose PostgreSQL it is) names that node and its
 *       generation.</li>
 * </ul>
 *
 * Commands on standard input: {@code dump FILE} writes every stored seq (db) to FILE and prints {@code DUMPED n
 * <ns the query was sent>} (or
 * {@code DUMP-FAILED reason}); {@code quit}. Prints {@code LAB-CLIENT-READY} when it runs.
 */
public final class LabClient {
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    private static final AtomicLong SEQ = new AtomicLong(1);
    private static volatile boolean running = true;
    private static Writer history;

    private LabClient() {
    }

    public static void main(String[] args) throws Exception {
        if (java.util.Arrays.asList(args).contains("--help") || java.util.Arrays.asList(args).contains("-h")) {
            System.out.println("usage: LabClient --mode web|db --target HOST:PORT --history FILE [--threads N] [--stamp FILE]\nThe fault lab's client: works through the floating address and records its history (--stamp is required for db).");
            return;                                             // --help: usage, exit 0
        }
        String mode = null;
        String target = null;
        String stamp = null;
        String file = null;
        int threads = 2;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--mode" -> mode = args[i + 1];
                case "--target" -> target = args[i + 1];
                case "--stamp" -> stamp = args[i + 1];
                case "--history" -> file = args[i + 1];
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                default -> {
                    System.err.println("LabClient: unknown option " + args[i]
                            + "; use --mode web|db --target HOST:PORT --history FILE [--threads N] [--stamp FILE]");
                    System.exit(2);
                }
            }
        }
        if (mode == null || target == null || file == null || (mode.equals("db") && stamp == null)) {
            System.err.println("LabClient: --mode, --target and --history are required (--stamp too for db)");
            System.exit(2);
        }
        history = Files.newBufferedWriter(Path.of(file), StandardCharsets.UTF_8);
        String host = target.substring(0, target.lastIndexOf(':'));
        int port = Integer.parseInt(target.substring(target.lastIndexOf(':') + 1));
        String jdbc = "jdbc:postgresql://" + target + "/postgres?connectTimeout=1&socketTimeout=2&loginTimeout=2";
        for (int t = 1; t <= threads; t++) {
            int me = t;
            String m = mode;
            String st = stamp;
            Thread th = new Thread(() -> {
                if (m.equals("web")) {
                    webLoop(me, host, port);
                } else {
                    dbLoop(me, jdbc, st);
                }
            }, "lab-client-" + t);
            th.setDaemon(true);
            th.start();
        }
        Thread flusher = new Thread(() -> {
            while (running) {
                flush();
                pause(50);
            }
        }, "history-flush");
        flusher.setDaemon(true);
        flusher.start();
        OUT.println("LAB-CLIENT-READY " + System.nanoTime());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.trim().split("\\s+");
            if (w[0].equals("dump") && w.length == 2) {
                dump(jdbc, Path.of(w[1]));
            } else if (w[0].equals("flush")) {
                flush();
                OUT.println("FLUSHED");
            } else if (w[0].equals("quit")) {
                break;
            }
        }
        running = false;
        flush();
        System.exit(0);
    }

    private static synchronized void record(int thread, long seq, long start, long end, boolean ok, String node, String gen,
                                            String detail) {
        try {
            history.write("H " + thread + " " + seq + " " + start + " " + end + " " + (ok ? "ok" : "fail") + " " + node + " "
                    + gen + " " + detail.replace('\n', ' ').replace('\r', ' ') + "\n");
        } catch (IOException e) {
            OUT.println("HISTORY-ERROR " + e.getMessage());
        }
    }

    private static synchronized void flush() {
        try {
            history.flush();
        } catch (IOException e) {
            OUT.println("HISTORY-ERROR " + e.getMessage());
        }
    }

    private static void webLoop(int thread, String host, int port) {
        while (running) {
            long seq = SEQ.getAndIncrement();
            long start = System.nanoTime();
            String answer;
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 100);
                s.setSoTimeout(300);
                OutputStream out = s.getOutputStream();
                out.write(("GET / HTTP/1.0\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException | RuntimeException e) {
                record(thread, seq, start, System.nanoTime(), false, "-", "-", e.getClass().getSimpleName() + ": " + e.getMessage());
                pause(5);
                continue;
            }
            long end = System.nanoTime();
            int body = answer.indexOf("\r\n\r\n");
            String[] w = (body < 0 ? "" : answer.substring(body + 4)).trim().split(" ");
            if (answer.startsWith("HTTP/") && answer.length() > 12 && answer.startsWith("200", 9) && w.length == 3 && w[0].equals("ok") && w[2].startsWith("gen=")) {
                record(thread, seq, start, end, true, w[1], w[2].substring(4), "200");
            } else {
                record(thread, seq, start, end, false, "-", "-", "answer " + answer.lines().findFirst().orElse("(empty)"));
            }
            pause(5);
        }
    }

    private static void dbLoop(int thread, String jdbc, String stamp) {
        Connection c = null;
        while (running) {
            long seq = SEQ.getAndIncrement();
            long start = System.nanoTime();
            try {
                if (c == null) {
                    c = DriverManager.getConnection(jdbc, "postgres", "");
                    try (Statement st = c.createStatement()) {
                        st.execute("CREATE TABLE IF NOT EXISTS lab_writes (seq bigint PRIMARY KEY, stamp text)");
                    }
                }
                String got;
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO lab_writes(seq, stamp) VALUES (?, pg_read_file(?)) RETURNING stamp")) {
                    ps.setLong(1, seq);
                    ps.setString(2, stamp);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        got = rs.getString(1).trim();
                    }
                }
                long end = System.nanoTime();
                String[] w = got.split(" ");
                record(thread, seq, start, end, true, w[0], w.length > 1 ? w[1] : "-", "committed");
            } catch (Exception e) {
                record(thread, seq, start, System.nanoTime(), false, "-", "-", e.getClass().getSimpleName() + ": " + e.getMessage());
                if (c != null) {
                    try {
                        c.close();
                    } catch (Exception ignored) {
                        // the server is gone
                    }
                    c = null;
                }
                pause(20);
            }
            pause(10);
        }
    }

    private static void dump(String jdbc, Path to) {
        long deadline = System.nanoTime() + 60_000_000_000L;
        String last = "";
        while (System.nanoTime() - deadline < 0) {
            try (Connection c = DriverManager.getConnection(jdbc, "postgres", ""); Statement st = c.createStatement()) {
                long asked = System.nanoTime(); // every write acknowledged before this must be in the answer
                StringBuilder sb = new StringBuilder();
                int n = 0;
                try (ResultSet rs = st.executeQuery("SELECT seq FROM lab_writes ORDER BY seq")) {
                    while (rs.next()) {
                        sb.append(rs.getLong(1)).append('\n');
                        n++;
                    }
                }
                Files.writeString(to, sb.toString());
                OUT.println("DUMPED " + n + " " + asked);
                return;
            } catch (Exception e) {
                last = e.toString();
                pause(500);
            }
        }
        OUT.println("DUMP-FAILED " + last.replace('\n', ' '));
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
