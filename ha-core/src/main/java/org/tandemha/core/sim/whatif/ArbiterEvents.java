package org.tandemha.core.sim.whatif;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import org.tandemha.api.ActionResult;
import org.tandemha.api.Verdict;
import org.tandemha.core.sim.SimCluster;

/** The what-if events about the safety check and fencing (the language is described on {@link WhatIfEvents}). */
final class ArbiterEvents {
    private ArbiterEvents() {
    }

    private static final String ARBITER_FORM = "arbiter answers NODE [about PEER] PEER_ALIVE|PEER_DEAD|WE_LOST|UNKNOWN|nothing"
            + " [\"reason\"] [generation N] [fences]";

    static Consumer<SimDriver> arbiter(WhatIfEvents p, String body, List<String> w) {
        if (w.size() == 2) {
            String mode = w.get(1).toLowerCase(Locale.ROOT);
            return switch (mode) {
                case "down", "silent" -> d -> d.arbiter(WhatIf.Arbiter.SILENT);
                case "up", "truth" -> d -> d.arbiter(WhatIf.Arbiter.TRUTH);
                case "disk-race" -> d -> d.arbiter(WhatIf.Arbiter.DISK_RACE);
                case "dead" -> d -> d.arbiter(WhatIf.Arbiter.DEAD);
                case "script" -> SimDriver::scripted;
                default -> throw p.bad("unknown arbiter mode '" + w.get(1) + "'",
                        "write 'arbiter down', 'arbiter up', 'arbiter truth|disk-race|silent|dead|script' or '" + ARBITER_FORM + "'");
            };
        }
        if (w.size() == 4 && w.get(1).equals("unreachable") && w.get(2).equals("from")) {
            String n = p.node(w.get(3));
            SimCluster.ScriptedAnswer a = new SimCluster.ScriptedAnswer(Verdict.Answer.UNKNOWN,
                    "no arbiter reachable from " + n, 0, false);
            return d -> d.arbiterAnswers(n, null, a);
        }
        // "arbiter answers NODE ..." (what-if) or "arbiter NODE ... answers ..." (scenario files)
        List<String> a = new ArrayList<>(w);
        String reason = null;
        Matcher q = WhatIfEvents.QUOTED.matcher(body);
        if (q.find()) {
            reason = q.group(1);
        } else if (body.contains("\"")) {
            throw p.bad("unbalanced quote", "write '" + ARBITER_FORM + "'");
        }
        a.remove("\"\"");
        if (a.get(1).equals("answers")) {
            a.remove(1);
            int ans = a.size() > 4 && a.get(2).equals("about") ? 4 : 2;
            if (ans >= a.size()) {
                throw p.bad("the answer is missing", "write '" + ARBITER_FORM + "'");
            }
            a.add(ans, "answers");
        }
        int i = 1;
        String asker = p.node(a.get(i++));
        String peer = null;
        if (i < a.size() && a.get(i).equals("about")) {
            peer = p.node(i + 1 < a.size() ? a.get(i + 1) : "");
            if (peer.equals(asker)) {
                throw p.bad("a node does not run the safety check about itself", "name another node after 'about'");
            }
            i += 2;
        }
        if (i + 1 >= a.size() || !a.get(i).equals("answers")) {
            throw p.bad("not an arbiter event", "write '" + ARBITER_FORM + "'");
        }
        String word = a.get(i + 1);
        Verdict.Answer answer = switch (word.toUpperCase(Locale.ROOT).replace('-', '_')) {
            case "ALIVE", "PEER_ALIVE" -> Verdict.Answer.PEER_ALIVE;
            case "DEAD", "PEER_DEAD" -> Verdict.Answer.PEER_DEAD;
            case "WE_LOST" -> Verdict.Answer.WE_LOST;
            case "UNKNOWN" -> Verdict.Answer.UNKNOWN;
            case "NOTHING" -> null;
            default -> throw p.bad("unknown answer '" + word + "'", "write '" + ARBITER_FORM + "'");
        };
        i += 2;
        long generation = 0;
        boolean fences = false;
        while (i < a.size()) {
            switch (a.get(i)) {
                case "generation" -> {
                    try {
                        generation = Long.parseLong(i + 1 < a.size() ? a.get(i + 1) : "");
                    } catch (NumberFormatException e) {
                        throw p.bad("'generation' needs a number", "write 'generation 7'");
                    }
                    i += 2;
                }
                case "fences" -> {
                    if (answer != Verdict.Answer.PEER_DEAD) {
                        throw p.bad("only a dead answer can fence the peer", "drop 'fences' or answer PEER_DEAD");
                    }
                    fences = true;
                    i++;
                }
                default -> throw p.bad("unexpected '" + a.get(i) + "'", "write '" + ARBITER_FORM + "'");
            }
        }
        SimCluster.ScriptedAnswer sa = new SimCluster.ScriptedAnswer(answer, reason != null ? reason
                : "arbiter: " + word.toLowerCase(Locale.ROOT), generation, fences);
        String about = peer;
        return d -> d.arbiterAnswers(asker, about, sa);
    }

    static Consumer<SimDriver> fencer(WhatIfEvents p, String body, List<String> w) {
        Matcher q = WhatIfEvents.QUOTED.matcher(body);
        String reason = q.find() ? q.group(1) : null;
        if (w.size() < 2 || (reason == null && w.size() > 2)) {
            throw p.bad("not a fencer event", "write 'fencer works|fails|hangs [\"reason\"]'");
        }
        return switch (w.get(1)) {
            case "works" -> d -> d.sim().fencerAnswers(reason == null ? null : new SimCluster.ScriptedFence(ActionResult.done(reason)));
            case "fails" -> d -> d.sim().fencerAnswers(new SimCluster.ScriptedFence(ActionResult.failed(
                    reason == null ? "fencing failed" : reason)));
            case "hangs" -> d -> d.sim().fencerAnswers(new SimCluster.ScriptedFence(null));
            default -> throw p.bad("unknown fencer outcome '" + w.get(1) + "'", "write 'fencer works|fails|hangs [\"reason\"]'");
        };
    }
}
