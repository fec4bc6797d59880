package org.tandemha.core.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tandemha.core.engine.Input;

/**
 * A simulated coordination service (ZooKeeper as Curator shows it to a node), for clusters configured with
 * {@code coordination}: sessions per process instance, one ephemeral lease per group with a token that only grows
 * (a zxid), session expiry on the server {@code sessionTimeout} after a client was last heard (its process crashed or
 * froze, or it is cut from the service), and on the client side suspension two thirds of the timeout after it lost
 * the service (Curator's SUSPENDED), then on reconnect either the verified session with its leases, or, when it
 * expired meanwhile, a new session holding none. An orderly exit closes the session (its leases go at once).
 */
final class SimCoordination {
    private static final long CONNECT_MS = 5;

    private static final class Session {
        final long id;
        final SimNode client;
        final long incarnation;
        boolean alive = true;
        /** When the server last heard it, while it is silent (-1: heard now). */
        long silentSince = -1;
        /** Leases released while cut from the service: deleted when it reaches the service again, if still its. */
        final Set<String> toDelete = new LinkedHashSet<>();

        Session(long id, SimNode client) {
            this.id = id;
            this.client = client;
            this.incarnation = client.incarnation;
        }
    }

    private record Lease(Session session, long token) {
    }

    private final SimWorld w;
    private final long timeoutMs;
    private long zxid = 1L << 32; // epoch 1, as a ZooKeeper ensemble's zxids
    private long nextSession = 1;
    private final Map<SimNode, Session> sessions = new HashMap<>();
    private final Map<String, Lease> leases = new LinkedHashMap<>();
    private final Map<String, Set<SimNode>> waiting = new LinkedHashMap<>();
    /** Instances cut from the service. */
    private final Set<String> cut = new LinkedHashSet<>();
    /** Instances whose client reported SUSPENDED and has not reconnected. */
    private final Set<SimNode> suspended = new LinkedHashSet<>();

    SimCoordination(SimWorld w) {
        this.w = w;
        this.timeoutMs = w.spec.coordination().sessionTimeout().toMillis();
    }

    // ------------------------------------------------------------------ process life

    void booted(SimNode n) {
        Session old = sessions.remove(n);
        if (old != null) {
            silent(old);
        }
        suspended.remove(n);
        if (!cut.contains(n.id)) {
            connect(n);
        }
    }

    private void connect(SimNode n) {
        Session s = new Session(nextSession++, n);
        sessions.put(n, s);
        long inc = n.incarnation;
        w.at(CONNECT_MS, () -> {
            if (n.alive(inc) && sessions.get(n) == s && s.alive) {
                w.edge.deliver(n, new Input.SessionVerified(Map.of()));
            }
        });
    }

    /** The process is gone (crash, kill -9, exit without leaving): the server stops hearing its session. */
    void processStopped(SimNode n) {
        Session s = sessions.remove(n);
        suspended.remove(n);
        dropWaits(n);
        if (s != null) {
            silent(s);
        }
    }

    /** An orderly exit closes the session: its leases are deleted at once. */
    void closed(SimNode n) {
        Session s = sessions.remove(n);
        suspended.remove(n);
        dropWaits(n);
        if (s != null) {
            expire(s, "session closed");
        }
    }

    void paused(SimNode n) {
        Session s = sessions.get(n);
        if (s != null) {
            silent(s);
        }
    }

    void resumed(SimNode n) {
        Session s = sessions.get(n);
        if (s == null || cut.contains(n.id)) {
            return;
        }
        if (s.alive) {
            s.silentSince = -1;
            return;
        }
        // The client finds its connection dead, reconnects and learns its session expired: LOST, then a new one.
        reconnectExpired(n, "the session expired while the process was frozen");
    }

    // ------------------------------------------------------------------ faults

    /** The instances of {@code node} lose the service (a partition from the ensemble). */
    void cut(String node) {
        if (!cut.add(node)) {
            return;
        }
        w.log(node + " is cut from the coordination service");
        for (SimNode n : w.instances(node)) {
            Session s = sessions.get(n);
            if (s == null) {
                continue;
            }
            silent(s);
            long inc = n.incarnation;
            w.at(timeoutMs * 2 / 3, () -> {
                if (n.alive(inc) && cut.contains(node) && sessions.get(n) == s && suspended.add(n)) {
                    w.edge.deliver(n, new Input.SessionSuspended("sim: connection to the coordination service lost"));
                }
            });
        }
    }

    void heal(String node) {
        if (!cut.remove(node)) {
            return;
        }
        w.log(node + " reaches the coordination service again");
        for (SimNode n : w.instances(node)) {
            Session s = sessions.get(n);
            if (n.crashed || n.engine == null) {
                continue;
            }
            if (s == null) {
                connect(n);
            } else if (s.alive) {
                s.silentSince = n.paused ? s.silentSince : -1;
                deleteReleased(s);
                if (suspended.remove(n)) {
                    long inc = n.incarnation;
                    w.at(CONNECT_MS, () -> {
                        if (n.alive(inc) && sessions.get(n) == s && s.alive) {
                            w.edge.deliver(n, new Input.SessionVerified(heldBy(s)));
                        }
                    });
                }
            } else if (!n.paused) {
                reconnectExpired(n, "the session expired while cut from the coordination service");
            }
        }
    }

    /** The server expires the node's session now (as ZooKeeper's session expiry test hook does). */
    void expireSession(String node) {
        for (SimNode n : w.instances(node)) {
            Session s = sessions.get(n);
            if (s != null && s.alive) {
                w.log("the coordination service expires the session of " + n.key);
                expire(s, "session expired");
                if (!n.paused && !cut.contains(node)) {
                    reconnectExpired(n, "the session expired");
                }
            }
        }
    }

    private void reconnectExpired(SimNode n, String why) {
        long inc = n.incarnation;
        if (suspended.add(n)) {
            w.edge.deliver(n, new Input.SessionSuspended("sim: " + why));
        }
        w.at(CONNECT_MS, () -> {
            if (n.alive(inc) && !cut.contains(n.id)) {
                suspended.remove(n);
                connect(n);
            }
        });
    }

    // ------------------------------------------------------------------ leases

    void acquire(SimNode n, String group) {
        Session s = sessions.get(n);
        if (s != null) {
            s.toDelete.remove(group);
        }
        waiting.computeIfAbsent(group, k -> new LinkedHashSet<>()).add(n);
        grant(group);
    }

    void release(SimNode n, String group) {
        Set<SimNode> ws = waiting.get(group);
        if (ws != null) {
            ws.remove(n);
        }
        Lease l = leases.get(group);
        Session s = sessions.get(n);
        if (l != null && s != null && l.session == s && s.alive) {
            if (cut.contains(n.id)) {
                // a release while cut from the service does not reach it: the client deletes the lease node when
                // it reaches the service again (if its session still holds it), or it goes with the session
                s.toDelete.add(group);
                return;
            }
            leases.remove(group);
            grant(group);
        }
    }

    /** The client reached the service again with its session: the leases it released meanwhile are deleted. */
    private void deleteReleased(Session s) {
        for (String g : List.copyOf(s.toDelete)) {
            Lease l = leases.get(g);
            if (l != null && l.session == s) {
                leases.remove(g);
                grant(g);
            }
        }
        s.toDelete.clear();
    }

    private void grant(String group) {
        Set<SimNode> ws = waiting.get(group);
        if (ws == null) {
            return;
        }
        Lease held = leases.get(group);
        if (held != null) {
            // the lease node is there: a waiter whose own session holds it (its release did not reach the service)
            // is told so at the lease's token, as the client finds its own node with the ephemeral owner its session
            SimNode n = held.session.client;
            if (ws.contains(n) && sessions.get(n) == held.session && held.session.alive && !cut.contains(n.id)
                    && !n.crashed && n.engine != null && !n.paused && !suspended.contains(n)) {
                ws.remove(n);
                long token = held.token;
                Session s = held.session;
                long inc = n.incarnation;
                w.at(CONNECT_MS, () -> {
                    if (n.alive(inc) && sessions.get(n) == s && s.alive && leases.get(group) == held) {
                        w.edge.deliver(n, new Input.LeaseGranted(group, token));
                    }
                });
            }
            return;
        }
        for (SimNode n : new ArrayList<>(ws)) {
            Session s = sessions.get(n);
            if (s == null || !s.alive || cut.contains(n.id) || n.crashed || n.engine == null || n.paused
                    || suspended.contains(n)) {
                continue;
            }
            ws.remove(n);
            long token = ++zxid;
            leases.put(group, new Lease(s, token));
            long inc = n.incarnation;
            w.at(CONNECT_MS, () -> {
                if (n.alive(inc) && sessions.get(n) == s && s.alive) {
                    w.edge.deliver(n, new Input.LeaseGranted(group, token));
                }
            });
            return;
        }
    }

    private Map<String, Long> heldBy(Session s) {
        Map<String, Long> m = new LinkedHashMap<>();
        leases.forEach((g, l) -> {
            if (l.session == s) {
                m.put(g, l.token);
            }
        });
        return m;
    }

    private void dropWaits(SimNode n) {
        waiting.values().forEach(ws -> ws.remove(n));
    }

    /** The server stops hearing the session: it expires after the session timeout unless heard again. */
    private void silent(Session s) {
        if (!s.alive || s.silentSince >= 0) {
            return;
        }
        s.silentSince = w.now();
        long since = s.silentSince;
        w.at(timeoutMs, () -> {
            if (s.alive && s.silentSince == since) {
                w.log("the coordination service expires the session of " + s.client.key + " (silent for "
                        + timeoutMs + " ms)");
                expire(s, "session expired");
            }
        });
    }

    private void expire(Session s, String why) {
        s.alive = false;
        List<String> freed = new ArrayList<>();
        leases.entrySet().removeIf(e -> {
            if (e.getValue().session == s) {
                freed.add(e.getKey());
                return true;
            }
            return false;
        });
        for (String g : freed) {
            grant(g);
        }
        // waiting groups of others may now be granted; the expired client learns of it when it reconnects
        for (String g : new ArrayList<>(waiting.keySet())) {
            grant(g);
        }
    }

    /** Called every step: a waiter that became able to take a lease (a heal, a resume) is served. */
    void retry() {
        for (String g : new ArrayList<>(waiting.keySet())) {
            grant(g);
        }
    }
}
