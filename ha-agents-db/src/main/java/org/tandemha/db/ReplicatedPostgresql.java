package org.tandemha.db;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.ActionContext;
import org.tandemha.api.ActionResult;
import org.tandemha.api.CheckResult;
import org.tandemha.api.Checker;
import org.tandemha.api.Durations;
import org.tandemha.api.NodeContext;
import org.tandemha.api.PromotableResource;
import org.tandemha.api.ReplicationPosition;
import org.tandemha.api.ReplicationRole;
import org.tandemha.api.ReplicationState;
import org.tandemha.api.Severity;
import org.tandemha.core.exec.Command;
import org.tandemha.core.exec.CommandRunner;
import org.tandemha.core.exec.Execution;
import org.tandemha.core.exec.Posix;

/**
 * {@code postgresql} with {@code replication}: each node keeps its own copy of the data directory. The primary is
 * where the engine promotes the group; every other node of the group runs a hot standby streaming from it.
 *
 * <ul>
 *   <li>A standby ({@link #start}) follows the primary this node's peers published (the highest generation wins):
 *       with no copy here it is cloned from the primary with {@code pg_basebackup}; with a copy that is not already
 *       streaming from that primary (a primary that crashed or was cut off, a standby of the previous primary) the
 *       server is stopped and the copy rewound onto the primary's history with {@code pg_rewind}, and when the rewind
 *       fails it is cloned again (the old copy kept aside as {@code <dataDirectory>.diverged-<time>}). Any failure is
 *       a failed start: the engine raises an alarm and the node is not a standby; it never starts as a primary.</li>
 *   <li>{@link #promote}: {@code pg_ctl promote} (a stopped copy is started first); the node then publishes itself
 *       as the primary at the group's generation.</li>
 *   <li>{@link #demote} (a switchover): a fast shutdown, which sends the last WAL to the connected standbys, and a
 *       {@code standby.signal} so that the copy can only start again as a standby.</li>
 *   <li>{@code mode: sync}: {@code synchronous_standby_names = ANY n (every other node)} and
 *       {@code synchronous_commit = on}: a commit is acknowledged only once every standby has flushed it, so any
 *       standby may be promoted without losing an acknowledged commit; writes wait while a standby is missing.
 *       {@code mode: async}: commits do not wait; a promotion may lose what the standby had not received, which
 *       the promotion event reports (bytes, seconds); with {@code maxLagOnFailover} a standby further behind than
 *       that is not promoted by a failover (the engine refuses it; the operator's clear forces it).
 *       {@code mode: quorum} with {@code quorumCommit: k}: {@code ANY k (every other node)}: a commit is acknowledged
 *       once k standbys flushed it, so writes go on while up to n-k standbys are missing; a failover promotes only when
 *       n-k+1 standbys can be compared (the most advanced of them has every acknowledged commit).</li>
 * </ul>
 */
final class ReplicatedPostgresql implements PromotableResource, Checker {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicatedPostgresql.class);
    /** The fact a primary publishes, followed by the group: {@code <generation> <host>:<port>}. */
    static final String PRIMARY_FACT = "postgresql.primary/";

    /**
     * The replication settings.
     *
     * @param mode    {@code async} or {@code sync}
     * @param address where the other nodes reach this node's server for replication ({@code host:port})
     * @param user    the replication user (a role with REPLICATION)
     */
    record Replication(String mode, String address, String user, Credentials credentials, int quorumCommit,
                       long maxLagOnFailover) {
        Replication(String mode, String address, String user, Credentials credentials) {
            this(mode, address, user, credentials, 0, -1);
        }

        boolean sync() {
            return mode.equals("sync");
        }

        boolean quorum() {
            return mode.equals("quorum");
        }

        /** Whether a commit is acknowledged only once standbys have it (sync, quorum). */
        boolean waits() {
            return sync() || quorum();
        }
    }

    private final PostgresqlResource pg;
    private final PostgresqlResource.Settings s;
    private final Replication repl;
    private final NodeContext node;
    private final String what;

    ReplicatedPostgresql(PostgresqlResource pg, PostgresqlResource.Settings settings, Replication repl, NodeContext node) {
        this.pg = pg;
        this.s = settings;
        this.repl = repl;
        this.node = node;
        this.what = "PostgreSQL " + settings.id() + " (port " + settings.port() + ", " + repl.mode() + " replication)";
    }

    /** The server settings replication needs, added to the configured ones. */
    static List<String> serverSettings(Replication repl, List<String> peers, List<String> configured) {
        List<String> o = new ArrayList<>(List.of("wal_level=replica", "hot_standby=on", "wal_log_hints=on",
                "max_wal_senders=10", "wal_keep_size=256MB", "hot_standby_feedback=on"));
        if (repl.waits() && !peers.isEmpty()) {
            StringBuilder names = new StringBuilder();
            for (String p : peers) {
                names.append(names.length() == 0 ? "" : ",").append('"').append(p).append('"');
            }
            int k = repl.quorum() ? Math.min(Math.max(1, repl.quorumCommit()), peers.size()) : peers.size();
            o.add("synchronous_standby_names=ANY " + k + " (" + names + ")");
            o.add("synchronous_commit=on");
        }
        o.addAll(configured);
        return o;
    }

    PostgresqlResource server() {
        return pg;
    }

    /** The server's settings, for the DR fire drill ({@link FireDrill}). */
    PostgresqlResource.Settings drillSettings() {
        return s;
    }

    /** The replication settings, for the DR fire drill ({@link FireDrill}). */
    Replication drillReplication() {
        return repl;
    }

    private String runAs() {
        return Posix.isRoot() ? s.osUser() : null;
    }

    private Path bin(String program) {
        return (s.binDirectory() != null ? s.binDirectory() : Path.of("/usr/lib/postgresql/15/bin")).resolve(program);
    }

    // ------------------------------------------------------------------ the primary to follow

    /** The primary this node's peers published (highest generation, its node not dead), or null. */
    record Primary(String node, long generation, String host, int port) {
        String describe() {
            return node + " (" + host + ":" + port + ", generation " + generation + ")";
        }
    }

    Primary primary(String group) {
        Primary best = null;
        for (String peer : node.peers()) {
            if (peer.equals(node.nodeId()) || node.peerDeadOrFenced(peer)) {
                continue;
            }
            String v = node.peerFacts(peer).get(PRIMARY_FACT + group);
            Primary p = parse(peer, v);
            if (p != null && (best == null || p.generation() > best.generation())) {
                best = p;
            }
        }
        return best;
    }

    static Primary parse(String peer, String fact) {
        if (fact == null || fact.isBlank()) {
            return null;
        }
        try {
            String[] w = fact.strip().split(" ");
            int colon = w[1].lastIndexOf(':');
            return new Primary(peer, Long.parseLong(w[0]), w[1].substring(0, colon), Integer.parseInt(w[1].substring(colon + 1)));
        } catch (RuntimeException e) {
            return null;
        }
    }

    private String conninfo(Primary p) {
        return conninfo(p, node.nodeId());
    }

    /**
     * {@code application_name} is what {@code synchronous_standby_names} lists: only a standby's WAL receiver may use
     * the node's id. A clone's WAL stream (pg_basebackup -X stream) reports flushes too, and under the node's id it
     * would count as the synchronous standby: commits acknowledged while the only other copy is an unfinished clone.
     */
    private String conninfo(Primary p, String applicationName) {
        StringBuilder b = new StringBuilder("host=").append(p.host()).append(" port=").append(p.port())
                .append(" user=").append(repl.user()).append(" application_name=").append(applicationName);
        try {
            String pw = repl.credentials().password();
            if (pw != null) {
                b.append(" password='").append(pw.replace("\\", "\\\\").replace("'", "\\'")).append('\'');
            }
        } catch (Credentials.CredentialException e) {
            LOG.warn("{}: no replication password: {}", what, e.getMessage());
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ standby

    @Override
    public ActionResult start(ActionContext context) {
        publishLimits(context.group());
        long t0 = System.nanoTime();
        Primary p = primary(context.group());
        if (p == null) {
            return ActionResult.failed(what + " on " + context.node() + ": no primary of group " + context.group()
                    + " is known to this node (none of its peers published one): a standby has nothing to follow yet");
        }
        Path dir = s.dataDirectory();
        List<String> steps = new ArrayList<>();
        if (pg.runningPid() > 0) {
            ReplicationState st = replicationState(context);
            String sender = st.detail();
            if (st.role() == ReplicationRole.STANDBY && sender.contains("streaming from " + p.host() + ":" + p.port())) {
                return ActionResult.done("already a standby of " + p.describe() + ": " + sender).withDuration(since(t0));
            }
            ActionResult stopped = pg.stop(context);
            if (!stopped.isDone()) {
                return stopped.withReason(what + ": cannot stop the server to make it a standby of " + p.describe() + ": "
                        + stopped.reason());
            }
            steps.add("stopped the server (it was " + st.role().name().toLowerCase(Locale.ROOT)
                    + (sender.isEmpty() ? "" : ", " + sender) + ")");
        }
        boolean cloned = false;
        if (!Files.exists(dir.resolve("PG_VERSION"))) {
            ActionResult clone = basebackup(p, context);
            if (!clone.isDone()) {
                return clone;
            }
            steps.add(clone.reason());
            cloned = true;
        } else {
            ActionResult rewound = rewind(p, context);
            if (!rewound.isDone()) {
                ActionResult again = cloneAgain(p, context, rewound.reason(), steps);
                if (again != null) {
                    return again.withOutput(rewound.output());
                }
                cloned = true;
            } else {
                steps.add(rewound.reason());
            }
        }
        String problem = startAndStream(p, context, steps);
        if (problem == null) {
            return ActionResult.done("standby of " + p.describe() + ": " + String.join("; ", steps)).withDuration(since(t0));
        }
        if (cloned) {
            return ActionResult.failed(what + ": " + problem + " (after: " + String.join("; ", steps) + ")").withDuration(since(t0));
        }
        // The copy cannot follow the primary although the rewind found nothing to do (pg_rewind's own crash recovery
        // of a copy killed at the fork point can write past it): it diverged after all; clone it again.
        if (pg.runningPid() > 0) {
            ActionResult stopped = pg.stop(context);
            if (!stopped.isDone()) {
                return stopped.withReason(what + ": " + problem + "; and it cannot be stopped to clone it again: " + stopped.reason());
            }
        }
        ActionResult again = cloneAgain(p, context, problem, steps);
        if (again != null) {
            return again;
        }
        String still = startAndStream(p, context, steps);
        if (still != null) {
            return ActionResult.failed(what + ": " + still + " (after: " + String.join("; ", steps) + ")").withDuration(since(t0));
        }
        return ActionResult.done("standby of " + p.describe() + ": " + String.join("; ", steps)).withDuration(since(t0));
    }

    /** How long a started standby has to stream from its primary before its copy is taken as diverged. */
    private static final Duration STREAM_WAIT = Duration.ofSeconds(10);

    /**
     * Points the copy at {@code p}, starts it and waits until it streams from {@code p} (at most {@link #STREAM_WAIT},
     * within the action's deadline): null when it does, else why not.
     */
    private String startAndStream(Primary p, ActionContext context, List<String> steps) {
        try {
            followOnly(p);
        } catch (IOException e) {
            return "cannot write the standby configuration in " + s.dataDirectory() + ": " + e;
        }
        ActionResult started = pg.startServer(context, false);
        if (!started.isDone()) {
            return "the standby of " + p.describe() + " did not start: " + started.reason();
        }
        steps.add(started.reason());
        long end = System.nanoTime() + Math.min(STREAM_WAIT.toNanos(), Math.max(0, context.remaining().toNanos() / 2));
        ReplicationState st = replicationState(context);
        while (!(st.role() == ReplicationRole.STANDBY && st.detail().contains("streaming from " + p.host() + ":" + p.port()))) {
            if (System.nanoTime() > end) {
                return "the standby does not stream from " + p.describe() + " within "
                        + Durations.format(STREAM_WAIT) + ": " + st.role().name().toLowerCase(Locale.ROOT) + ", " + st.detail();
            }
            Procs.sleepQuietly(100);
            st = replicationState(context);
        }
        steps.add("streaming");
        return null;
    }

    /** Moves the copy aside and clones it from {@code p}; null when done (the steps say so), else the failed result. */
    private ActionResult cloneAgain(Primary p, ActionContext context, String why, List<String> steps) {
        Path dir = s.dataDirectory();
        LOG.warn("{}: {}; cloning again from {}", what, why, p.describe());
        node.note(context.group(), context.resource(), why + "; cloning the copy again from " + p.describe());
        Path aside = dir.resolveSibling(dir.getFileName() + ".diverged-" + System.currentTimeMillis());
        try {
            Files.move(dir, aside);
        } catch (IOException e) {
            return ActionResult.failed(Severity.HARD, what + ": " + why + "; and the diverged copy cannot be moved aside to"
                    + " clone again (" + e + "): rebuild " + dir + " by hand");
        }
        steps.add(why + "; old copy moved to " + aside);
        ActionResult clone = basebackup(p, context);
        if (!clone.isDone()) {
            return clone.withReason(clone.reason() + " (after: " + String.join("; ", steps) + ")");
        }
        steps.add(clone.reason());
        return null;
    }

    /** standby.signal, and primary_conninfo pointing at {@code p} (replacing what a rewind or clone wrote). */
    private void followOnly(Primary p) throws IOException {
        Path dir = s.dataDirectory();
        Path signal = dir.resolve("standby.signal");
        if (!Files.exists(signal)) {
            Files.writeString(signal, "");
        }
        Path auto = dir.resolve("postgresql.auto.conf");
        List<String> lines = Files.exists(auto) ? new ArrayList<>(Files.readAllLines(auto, StandardCharsets.UTF_8)) : new ArrayList<>();
        lines.removeIf(l -> l.strip().startsWith("primary_conninfo") || l.strip().startsWith("primary_slot_name"));
        lines.add("primary_conninfo = '" + conninfo(p).replace("'", "''") + "'");
        Files.write(auto, lines, StandardCharsets.UTF_8);
        if (runAs() != null) {
            FileOwner.chown(List.of(auto, signal), runAs());
        }
    }

    /**
     * The settings a server run that Tandem does not start (pg_rewind's crash recovery) needs, written into the copy's
     * postgresql.auto.conf: {@code wal_log_hints} (else the rewind refuses) and {@code wal_keep_size} (else that run's
     * checkpoint removes the WAL the rewind must read back to the last common checkpoint: "could not find previous WAL
     * record").
     */
    private void walLogHintsInDataDirectory() throws IOException {
        Path auto = s.dataDirectory().resolve("postgresql.auto.conf");
        List<String> lines = Files.exists(auto) ? new ArrayList<>(Files.readAllLines(auto, StandardCharsets.UTF_8)) : new ArrayList<>();
        List<String> want = List.of("wal_log_hints = 'on'", "wal_keep_size = '256MB'");
        if (lines.containsAll(want)) {
            return;
        }
        lines.removeIf(l -> l.strip().startsWith("wal_log_hints") || l.strip().startsWith("wal_keep_size"));
        lines.addAll(want);
        Files.write(auto, lines, StandardCharsets.UTF_8);
        if (runAs() != null) {
            FileOwner.chown(List.of(auto), runAs());
        }
    }

    private ActionResult basebackup(Primary p, ActionContext context) {
        long t0 = System.nanoTime();
        Path dir = s.dataDirectory();
        List<String> argv = List.of(bin("pg_basebackup").toString(), "-D", dir.toString(), "-d",
                conninfo(p, node.nodeId() + "_clone"), "-X", "stream",
                "-c", "fast", "-R");
        Execution ex = CommandRunner.run(Command.of(argv).withUser(runAs()).withDirectory(Path.of("/")), context.remaining());
        if (!ex.ok()) {
            return ActionResult.failed(what + ": pg_basebackup from " + p.describe() + " failed: " + redact(ex.describe())
                    + "; this node has no standby").withOutput(redact(ex.tail())).withDuration(since(t0));
        }
        try {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        } catch (IOException | UnsupportedOperationException e) {
            // pg_basebackup made it 0700 already
        }
        return ActionResult.done("cloned from " + p.describe() + " with pg_basebackup in "
                + Durations.format(since(t0))).withDuration(since(t0));
    }

    private ActionResult rewind(Primary p, ActionContext context) {
        long t0 = System.nanoTime();
        try {
            // pg_rewind first finishes the crash recovery of a copy that was not shut down cleanly (postgres --single,
            // which reads the data directory's files, not the settings Tandem passes at start): without wal_log_hints
            // there, that run records it off and the rewind refuses ("needs data checksums or wal_log_hints = on")
            walLogHintsInDataDirectory();
        } catch (IOException e) {
            return ActionResult.failed(what + ": cannot write wal_log_hints into " + s.dataDirectory().resolve("postgresql.auto.conf")
                    + " before pg_rewind: " + e).withDuration(since(t0));
        }
        // A primary promoted moments ago still has the old timeline in its control file until its first checkpoint,
        // and pg_rewind reads the source's timeline there: it would find "no rewind required" for a copy that forked
        // (which then cannot stream: "new timeline forked off current database system timeline before current recovery
        // point"), or rewind to a wrong point. pg_rewind's documentation asks for a CHECKPOINT on a recently promoted source.
        Execution checkpoint = CommandRunner.run(Command.of(bin("psql").toString(), "-X", "-q", "-d",
                conninfo(p, node.nodeId() + "_rewind") + " dbname=" + s.database(), "-c", "CHECKPOINT")
                .withUser(runAs()).withDirectory(Path.of("/")), context.remaining());
        if (!checkpoint.ok()) {
            LOG.warn("{}: CHECKPOINT on {} before pg_rewind failed ({}); rewinding anyway", what, p.describe(),
                    redact(checkpoint.describe()));
        }
        List<String> argv = List.of(bin("pg_rewind").toString(), "-D", s.dataDirectory().toString(),
                "--source-server=" + conninfo(p) + " dbname=" + s.database());
        Execution ex = CommandRunner.run(Command.of(argv).withUser(runAs()).withDirectory(Path.of("/")), context.remaining());
        String out = String.join(" | ", ex.tail());
        if (!ex.ok()) {
            return ActionResult.failed(what + ": pg_rewind onto " + p.describe() + " failed: " + redact(ex.describe()))
                    .withOutput(redact(ex.tail())).withDuration(since(t0));
        }
        return ActionResult.done(out.contains("no rewind required") ? "copy already on the primary's history (no rewind required)"
                : "rewound onto the history of " + p.describe() + " with pg_rewind in " + Durations.format(since(t0)))
                .withDuration(since(t0));
    }

    private static String redact(String text) {
        return text.replaceAll("password=(\\\\.|[^ ])*", "password=***");
    }

    private static List<String> redact(List<String> lines) {
        return lines.stream().map(ReplicatedPostgresql::redact).toList();
    }

    // ------------------------------------------------------------------ primary

    @Override
    public ActionResult promote(ActionContext context) {
        publishLimits(context.group());
        long t0 = System.nanoTime();
        List<String> steps = new ArrayList<>();
        if (pg.runningPid() <= 0) {
            if (!Files.exists(s.dataDirectory().resolve("PG_VERSION"))) {
                return ActionResult.failed(Severity.HARD, what + " on " + context.node() + ": no copy of the data here ("
                        + s.dataDirectory() + " has no PG_VERSION): the first primary needs a data directory made with"
                        + " initdb; the other nodes are cloned from it");
            }
            ActionResult started = pg.startServer(context, false);
            if (!started.isDone()) {
                return started.withReason(what + ": cannot start the server to promote it: " + started.reason());
            }
            steps.add(started.reason());
        }
        ReplicationState before = replicationState(context);
        if (before.role() == ReplicationRole.STANDBY) {
            publishAtRisk(context, before);
            long secs = Math.max(1, context.remaining().minusMillis(500).toSeconds());
            Execution ex = CommandRunner.run(Command.of(bin("pg_ctl").toString(), "promote", "-D", s.dataDirectory().toString(),
                    "-w", "-t", Long.toString(secs)).withUser(runAs()).withDirectory(Path.of("/")), context.remaining());
            if (!ex.ok()) {
                return ActionResult.failed(what + ": pg_ctl promote failed: " + ex.describe()).withOutput(ex.tail())
                        .withDuration(since(t0));
            }
            steps.add("promoted with pg_ctl promote from " + before.position() + " (" + before.detail() + ", lag "
                    + before.lag().toMillis() + " ms)");
        } else if (before.role() == ReplicationRole.PRIMARY) {
            steps.add("already primary");
        } else {
            return ActionResult.failed(what + ": cannot tell the server's role to promote it: " + before.detail())
                    .withDuration(since(t0));
        }
        try {
            Files.deleteIfExists(s.dataDirectory().resolve("standby.signal"));
        } catch (IOException e) {
            // pg_ctl promote removed it
        }
        node.publishFact(PRIMARY_FACT + context.group(), context.generation() + " " + repl.address());
        ReplicationState after = replicationState(context);
        steps.add("primary at " + after.position() + ", generation " + context.generation());
        LOG.info("{}: {}", what, String.join("; ", steps));
        return ActionResult.done(String.join("; ", steps)).withDuration(since(t0));
    }

    /**
     * How long ago the last commit this copy surely has was made on the primary (seconds): the primary's end of WAL
     * as last reported to this standby's receiver, when the receiver had it all, else the last commit replayed. A
     * commit the primary acknowledged after that moment may be missing here, none before: with {@code async} this is
     * the window of acknowledged commits a promotion may lose (an upper bound: a primary that wrote nothing since
     * loses nothing). Null when neither is known.
     */
    private static final String AT_RISK_SQL = "SELECT"
            + " (SELECT extract(epoch FROM now() - latest_end_time) FROM pg_stat_wal_receiver"
            + "   WHERE latest_end_lsn IS NOT NULL AND latest_end_lsn <= pg_last_wal_receive_lsn()),"
            + " extract(epoch FROM now() - pg_last_xact_replay_timestamp())";

    /**
     * Publishes this copy's position and the seconds at risk just before {@code pg_ctl promote}, so that the
     * promotion event reports what this copy had then, not at its last check: with {@code sync} every acknowledged
     * commit is here (0 s); otherwise {@link #AT_RISK_SQL}.
     */
    private void publishAtRisk(ActionContext context, ReplicationState before) {
        node.publishFact(ReplicationState.POSITION_FACT + context.group(), before.position().toFact());
        if (repl.sync()) {
            node.publishFact(ReplicationState.LAG_FACT + context.group(), "0");
            return;
        }
        double[] secs = {-1, -1};
        pg.probe().run(context, "data at risk", (c, q) -> {
            try (Statement st = c.createStatement()) {
                st.setQueryTimeout(q);
                try (ResultSet rs = st.executeQuery(AT_RISK_SQL)) {
                    rs.next();
                    for (int i = 0; i < 2; i++) {
                        String v = rs.getString(i + 1);
                        secs[i] = v == null ? -1 : Double.parseDouble(v);
                    }
                }
            }
            return "";
        });
        double s = secs[0] >= 0 ? secs[0] : secs[1];
        if (s >= 0) {
            long ms = (long) Math.ceil(s * 1000);
            node.publishFact(ReplicationState.LAG_FACT + context.group(), Long.toString(ms));
            node.note(context.group(), context.resource(), String.format(Locale.ROOT, "data at risk measured before"
                    + " promotion: commits acknowledged in the last %.3f s (since %s) may be missing from this copy (%s)",
                    ms / 1000.0, java.time.Instant.now().minusMillis(ms), secs[0] >= 0
                    ? "the primary's end of WAL last reported to this standby, which had it all"
                    : "the last commit this standby replayed"));
        }
    }

    @Override
    public ActionResult demote(ActionContext context) {
        ActionResult stopped = pg.stop(context);
        if (!stopped.isDone()) {
            return stopped;
        }
        try {
            if (Files.isDirectory(s.dataDirectory())) {
                Path signal = s.dataDirectory().resolve("standby.signal");
                Files.writeString(signal, "");
                if (runAs() != null) {
                    FileOwner.chown(List.of(signal), runAs());
                }
            }
        } catch (IOException e) {
            return ActionResult.failed(Severity.HARD, what + ": stopped, but standby.signal cannot be written (" + e
                    + "): the copy could start again as a primary; fix the data directory");
        }
        return withStoppedPosition(ActionResult.done("demoted: " + stopped.reason()
                + "; standby.signal written (it starts again only as a standby)"), context);
    }

    @Override
    public ActionResult stop(ActionContext context) {
        publishLimits(context.group());
        ActionResult stopped = pg.stop(context);
        return stopped.isDone() ? withStoppedPosition(stopped, context) : stopped;
    }

    /**
     * Publishes the position of the stopped copy, read from its data directory ({@link StoppedPosition}), as a running
     * copy's checks do: at the clean-up stop every node makes when it starts, so that two copies that come back
     * together (the primary and its standby lost together) can be compared and the most advanced promoted. No copy
     * here: nothing is published (the position stays unknown).
     */
    private ActionResult withStoppedPosition(ActionResult stopped, ActionContext context) {
        Duration bound = context.remaining().compareTo(STOPPED_POSITION_BOUND) < 0 ? context.remaining() : STOPPED_POSITION_BOUND;
        StoppedPosition.Found f = StoppedPosition.read(bin(""), s.dataDirectory(), runAs(), bound.isNegative() ? Duration.ZERO : bound);
        if (f == null) {
            return stopped;
        }
        node.publishFact(ReplicationState.POSITION_FACT + context.group(), f.position().toFact());
        LOG.info("{}: copy {}", what, f.detail());
        return stopped.withReason(stopped.reason() + "; copy at " + f.position() + " (" + f.detail() + ")");
    }

    /** How long reading a stopped copy's position may take (pg_controldata and pg_waldump). */
    private static final Duration STOPPED_POSITION_BOUND = Duration.ofSeconds(10);

    // ------------------------------------------------------------------ state and checks

    private static final String STATE_SQL = "SELECT pg_is_in_recovery(),"
            + " CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn() - '0/0'::pg_lsn END,"
            + " CASE WHEN pg_is_in_recovery() THEN NULL ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::bigint END,"
            + " pg_last_wal_receive_lsn() - '0/0'::pg_lsn, pg_last_wal_replay_lsn() - '0/0'::pg_lsn,"
            + " (SELECT timeline_id FROM pg_control_checkpoint()),"
            + " (SELECT received_tli FROM pg_stat_wal_receiver), (SELECT status FROM pg_stat_wal_receiver),"
            + " (SELECT sender_host || ':' || sender_port FROM pg_stat_wal_receiver),"
            + " (SELECT extract(epoch FROM now() - last_msg_receipt_time) FROM pg_stat_wal_receiver),"
            + " (SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming')";

    /** The limits the engine applies to this group's failovers, as facts (published once per resource). */
    static Map<String, String> limitFacts(Replication repl, String group, int standbys) {
        Map<String, String> f = new java.util.LinkedHashMap<>();
        if (!repl.waits() && repl.maxLagOnFailover() >= 0) {
            f.put(ReplicationState.MAX_LAG_FACT + group, Long.toString(repl.maxLagOnFailover()));
        }
        if (repl.quorum() && standbys > 0) {
            int k = Math.min(Math.max(1, repl.quorumCommit()), standbys);
            f.put(ReplicationState.QUORUM_FACT + group, Integer.toString(standbys - k + 1));
        }
        return f;
    }

    private volatile boolean limitsPublished;

    /**
     * Publishes the limits once (facts are this node's, from its start): at the clean-up stop every node makes when
     * it starts, so that a node that comes back alone has them before it could claim the group.
     */
    private void publishLimits(String group) {
        if (!limitsPublished) {
            limitsPublished = true;
            int standbys = (int) node.peers().stream().filter(n -> !n.equals(node.nodeId())).count();
            limitFacts(repl, group, standbys).forEach(node::publishFact);
        }
    }

    @Override
    public ReplicationState replicationState(ActionContext context) {
        publishLimits(context.group());
        if (pg.runningPid() <= 0) {
            return new ReplicationState(ReplicationRole.STOPPED, null, null, "not running");
        }
        Map<String, String> f = new HashMap<>();
        CheckResult r = pg.probe().run(context, "replication state", (c, secs) -> {
            try (Statement st = c.createStatement()) {
                st.setQueryTimeout(secs);
                try (ResultSet rs = st.executeQuery(STATE_SQL)) {
                    rs.next();
                    for (int i = 1; i <= 11; i++) {
                        f.put(String.valueOf(i), rs.getString(i));
                    }
                }
            }
            return "";
        });
        if (!r.healthy() || f.isEmpty()) {
            return new ReplicationState(ReplicationRole.UNKNOWN, null, null, "cannot query the server: " + r.reason());
        }
        boolean recovery = "t".equals(f.get("1")) || "true".equals(f.get("1"));
        if (!recovery) {
            long tl = parseLong(f.get("3"), parseLong(f.get("6"), 0));
            int standbys = (int) parseLong(f.get("11"), 0);
            return new ReplicationState(ReplicationRole.PRIMARY, new ReplicationPosition(tl, parseLong(f.get("2"), 0)),
                    Duration.ZERO, standbys + " standby(s) streaming");
        }
        long received = parseLong(f.get("4"), 0);
        long replayed = parseLong(f.get("5"), 0);
        long tl = parseLong(f.get("7"), parseLong(f.get("6"), 0));
        String status = f.get("8");
        String sender = f.get("9");
        double sinceMsg = f.get("10") == null ? -1 : Double.parseDouble(f.get("10"));
        String detail = "streaming".equals(status) ? "streaming from " + sender
                : "not streaming (" + (status == null ? "no WAL receiver" : status) + ")";
        Duration lag = sinceMsg < 0 ? Duration.ZERO : Duration.ofMillis((long) (sinceMsg * 1000));
        return new ReplicationState(ReplicationRole.STANDBY, new ReplicationPosition(tl, Math.max(received, replayed)), lag,
                detail + ", received up to " + received + ", replayed up to " + replayed);
    }

    private static long parseLong(String v, long dflt) {
        if (v == null) {
            return dflt;
        }
        try {
            return new java.math.BigDecimal(v.strip()).longValue();
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    /**
     * A copy with {@code standby.signal} is a standby: alive, answering, and streaming from its primary (not
     * streaming for longer than {@link #NOT_STREAMING_GRACE} fails: never a quiet "running") is its quick check (the
     * engine's standby check asks {@link #replicationState} for the role); otherwise the primary's check, which also
     * requires the role. (The primary's check on a standby failed every standby check: an alarm, then "running"
     * again 10 s later.)
     */
    @Override
    public CheckResult quickCheck(ActionContext context) {
        if (!Files.exists(s.dataDirectory().resolve("standby.signal"))) {
            notStreamingSince = 0;
            return pg.quickCheck(context);
        }
        CheckResult live = pg.liveCheck(context);
        if (!live.healthy()) {
            return live;
        }
        ReplicationState st = replicationState(context);
        Primary following = st.role() == ReplicationRole.STANDBY ? primary(context.group()) : null;
        boolean fromPrimary = following == null || st.detail().startsWith("streaming from " + following.host() + ":" + following.port());
        if (st.role() != ReplicationRole.STANDBY || st.detail().startsWith("streaming") && fromPrimary) {
            notStreamingSince = 0;               // (another role: the engine's role-aware check says so)
            return live;
        }
        long now = System.nanoTime();
        if (notStreamingSince == 0) {
            notStreamingSince = now;
        }
        if (now - notStreamingSince > NOT_STREAMING_GRACE.toNanos()) {
            return CheckResult.failed(what + ": a standby that has not streamed " + (fromPrimary ? "" : "from the primary "
                    + following.describe() + " ") + "for "
                    + Durations.format(Duration.ofNanos(now - notStreamingSince)) + " (" + st.detail() + "; a standby that"
                    + " streams from a node that is no longer the primary, a cascade, is not a standby of the primary): it cannot be"
                    + " promoted without loss and is rebuilt (rewound, or cloned again) when it is started again");
        }
        return live;
    }

    /** How long a standby may go without streaming (its primary restarting, a short cut) before its check fails. */
    private static final Duration NOT_STREAMING_GRACE = Duration.ofSeconds(5);
    private volatile long notStreamingSince;

    @Override
    public CheckResult deepCheck(ActionContext context) {
        return pg.deepCheck(context);
    }

    private static Duration since(long t0) {
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** chown for files Tandem writes into a data directory owned by the server's user. */
    static final class FileOwner {
        private FileOwner() {
        }

        static void chown(List<Path> files, String user) throws IOException {
            for (Path f : files) {
                if (Files.exists(f)) {
                    java.nio.file.attribute.UserPrincipal u = f.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(user);
                    Files.setOwner(f, u);
                }
            }
        }
    }
}
