package org.tandemha.core.sim;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.tandemha.core.engine.Announcement;
import org.tandemha.core.engine.Input;

/**
 * The simulated network and membership: links that can be cut (both ways or one way), random loss per link and
 * direction, a delay per message with optional reordering, and a membership that reports a peer unreachable a
 * detection delay after its heartbeats stop (per direction). Announcements ride on every heartbeat: a lost one goes
 * out again with the next heartbeat. The membership also reports two live copies of one node.
 */
final class SimNetwork {
    private final SimWorld w;
    private final Set<String> cut = new HashSet<>(); // "a>b": b does not hear a
    private final Map<String, Double> loss = new HashMap<>(); // "a>b" -> probability that a message from a to b is lost
    long reorderMs; // each message gets a random extra delay of 0..reorderMs
    long netDelayMs = 5;
    double dropRate;
    private final long detectMs = SimCluster.DETECT_MS;
    /** How many times a node heard two live instances of one peer at once (finding 3's alarm). */
    int duplicatesHeard;

    SimNetwork(SimWorld w) {
        this.w = w;
    }

    // ------------------------------------------------------------------ faults

    void cut(String a, String b) {
        w.log("cut " + a + "-" + b);
        cut.add(a + ">" + b);
        cut.add(b + ">" + a);
        linkPairChanged(a, b);
    }

    void cutOneWay(String from, String to) {
        w.log("cut " + from + ">" + to + " (" + to + " no longer hears " + from + ")");
        cut.add(from + ">" + to);
        linkPairChanged(from, to);
    }

    void heal(String a, String b) {
        w.log("heal " + a + "-" + b);
        cut.remove(a + ">" + b);
        cut.remove(b + ">" + a);
        linkPairChanged(a, b);
    }

    void healAll() {
        for (SimNode a : w.nodes.values()) {
            for (SimNode b : w.nodes.values()) {
                if (a != b && (cut.contains(a.id + ">" + b.id) || cut.contains(b.id + ">" + a.id))) {
                    heal(a.id, b.id);
                }
            }
        }
    }

    void loss(String from, String to, double rate) {
        w.log("loss " + from + ">" + to + " " + Math.round(rate * 100) + "%");
        if (rate <= 0) {
            loss.remove(from + ">" + to);
        } else {
            loss.put(from + ">" + to, rate);
        }
    }

    void reorder(long ms) {
        w.log("reorder up to " + ms + " ms");
        this.reorderMs = Math.max(0, ms);
    }

    void clearFaults() {
        loss.clear();
        reorderMs = 0;
    }

    // ------------------------------------------------------------------ links and messages

    /** Whether {@code b} hears {@code a} (heartbeats and messages from a reach b). */
    boolean linkUp(SimNode a, SimNode b) {
        return !a.crashed && !b.crashed && !a.paused && !b.paused && !cut.contains(a.id + ">" + b.id);
    }

    /** Whether one message from a to b is lost. */
    boolean lost(SimNode a, SimNode b) {
        double p = dropRate + loss.getOrDefault(a.id + ">" + b.id, 0.0);
        return p > 0 && w.random.nextDouble() < p;
    }

    /** One message's transit time: the network delay plus any reordering delay. */
    long delay() {
        return netDelayMs + (reorderMs > 0 ? (long) w.random.nextInt((int) reorderMs + 1) : 0);
    }

    /** A message from {@code n} to every instance of {@code peer} that hears it (each may be lost). */
    void send(SimNode n, String peer, org.tandemha.core.engine.Wire.Message message) {
        for (SimNode o : w.instances(peer)) {
            if (linkUp(n, o) && !lost(n, o)) {
                w.at(delay(), () -> w.edge.deliver(o, new Input.PeerMessage(n.id, message)));
            }
        }
    }

    /**
     * Sends {@code from}'s announcement to {@code to}. Announcements ride on every heartbeat: a lost one goes out
     * again with the next heartbeat, as long as it is still the current one.
     */
    void sendState(SimNode from, SimNode to) {
        Announcement an = from.announced;
        if (an == null || from.crashed || from.engine == null) {
            return;
        }
        long inc = from.incarnation;
        if (!linkUp(from, to) || lost(from, to)) {
            resendState(from, to, an, inc);
            return;
        }
        w.at(delay(), () -> {
            if (linkUp(from, to) && from.incarnation == inc && Boolean.TRUE.equals(to.reach.get(from.key))) {
                w.edge.deliver(to, new Input.PeerState(from.id, inc, an));
            } else {
                resendState(from, to, an, inc);
            }
        });
    }

    /**
     * The next heartbeat carries the announcement again, as long as it is still the current one and {@code to}'s
     * membership still counts {@code from} as heard: a gap shorter than the detection delay (a short pause, a
     * brief cut, a lost packet) costs one heartbeat, not the announcement. Once the membership has noticed the
     * silence, the link coming back sends the announcement anew.
     */
    private void resendState(SimNode from, SimNode to, Announcement an, long inc) {
        if (!Boolean.TRUE.equals(to.reach.get(from.key))) {
            return;
        }
        w.at(SimCluster.HEARTBEAT_MS, () -> {
            if (from.announced == an && from.incarnation == inc && !from.crashed && !to.crashed) {
                sendState(from, to);
            }
        });
    }

    // ------------------------------------------------------------------ membership

    /** Every link to and from {@code n} is evaluated again by the membership. */
    void linksChanged(SimNode n) {
        for (SimNode o : w.all()) {
            if (!o.id.equals(n.id)) {
                linkChanged(n, o);
                linkChanged(o, n);
            }
        }
    }

    private void linkPairChanged(String a, String b) {
        for (SimNode x : w.instances(a)) {
            for (SimNode y : w.instances(b)) {
                linkChanged(x, y);
                linkChanged(y, x);
            }
        }
    }

    /**
     * The membership of {@code to} re-evaluates whether it hears the instance {@code from}, after the detection
     * delay (per direction: a one-way cut is seen only by the side that stops hearing). The peer counts as
     * unreachable only when no instance of it is heard.
     */
    private void linkChanged(SimNode from, SimNode to) {
        boolean up = linkUp(from, to);
        long delay = up ? netDelayMs : detectMs;
        w.at(delay, () -> {
            if (to.crashed || to.engine == null) {
                return;
            }
            boolean nowUp = linkUp(from, to);
            if (nowUp != up) {
                return; // changed again meanwhile; that change has its own evaluation
            }
            Boolean was = to.reach.get(from.key);
            if (up && !Boolean.TRUE.equals(was)) {
                to.reach.put(from.key, true);
                heardTwice(to, from);
                w.edge.deliver(to, new Input.PeerReachable(from.id, from.incarnation));
                sendState(from, to);
            } else if (!up && !Boolean.FALSE.equals(was) && was != null) {
                to.reach.put(from.key, false);
                SimNode other = w.instances(from.id).stream()
                        .filter(i -> i != from && Boolean.TRUE.equals(to.reach.get(i.key))).findFirst().orElse(null);
                if (other == null) {
                    w.edge.deliver(to, new Input.PeerUnreachable(from.id, "sim: " + detectMs + " ms without heartbeats"));
                } else {
                    // the membership goes back to the copy it still hears, and delivers that copy's state
                    w.edge.deliver(to, new Input.PeerReachable(other.id, other.incarnation));
                    sendState(other, to);
                }
            }
        });
    }

    /** The membership reports the two copies again, about once a second, for as long as it hears both. */
    private void repeatWhileHeardTwice(SimNode to, SimNode a, SimNode b) {
        long incA = a.incarnation;
        long incB = b.incarnation;
        long incTo = to.incarnation;
        w.at(1000, () -> {
            if (to.alive(incTo) && a.alive(incA) && b.alive(incB) && Boolean.TRUE.equals(to.reach.get(a.key))
                    && Boolean.TRUE.equals(to.reach.get(b.key))) {
                w.edge.deliver(to, new Input.DuplicateNode(b.id, Math.min(incA, incB), Math.max(incA, incB)));
                repeatWhileHeardTwice(to, a, b);
            }
        });
    }

    private void heardTwice(SimNode to, SimNode from) {
        for (SimNode i : w.instances(from.id)) {
            // a crashed instance sends nothing: its reach only lags (the heartbeats report two copies only when the
            // old incarnation keeps sending after the new one appeared)
            if (i != from && Boolean.TRUE.equals(to.reach.get(i.key)) && i.alive(i.incarnation)) {
                duplicatesHeard++;
                w.log(to.key + " hears two copies of " + from.id + " (incarnations " + i.incarnation + " and "
                        + from.incarnation + ")");
                w.edge.deliver(to, new Input.DuplicateNode(from.id, Math.min(i.incarnation, from.incarnation),
                        Math.max(i.incarnation, from.incarnation)));
                repeatWhileHeardTwice(to, i, from);
            }
        }
    }
}
