package org.tandemha.core.engine;

import java.util.List;
import java.util.Map;

/**
 * What a node tells its peers with every heartbeat: its state for every group, its acknowledgements of other
 * nodes' claims, and a few node-wide flags. State-based, so a lost heartbeat costs nothing: the next one carries
 * it all again. {@code version} grows with every change, so that an older announcement arriving late (over a
 * slower path) is ignored.
 */
public record Announcement(long version, String fingerprint, boolean leaving, boolean standingDown,
                           Map<String, String> facts, List<GroupAnn> groups) {

    /**
     * One group as the announcing node holds it.
     *
     * @param state    its local state; CLAIMING means "I ask to start it at {@code gen}"
     * @param gen      the generation it holds or claims (0: none)
     * @param ackNode  the claim this node agrees to: node...
     * @param ackGen   ...and generation (0: no ack)
     * @param handoff  after a planned release, the node it is handed to; null otherwise
     * @param blocked  it may not run on the announcing node (start failed, recovery exhausted)
     * @param fatal    a configuration error: it may run nowhere
     * @param maintVer the maintenance register: version, setter and value (last writer wins)
     * @param clearVer the clear register: a higher one clears blocked, fatal and failed everywhere
     * @param byAdmin  it runs here because an administrator moved it (no automatic switchback)
     */
    public record GroupAnn(String group, LocalState state, long gen, String ackNode, long ackGen, String handoff,
                           boolean blocked, boolean fatal, long maintVer, String maintNode, boolean maintOn,
                           long clearVer, boolean byAdmin) {

        public boolean active() {
            return state.active();
        }
    }

    public GroupAnn group(String id) {
        for (GroupAnn g : groups) {
            if (g.group().equals(id)) {
                return g;
            }
        }
        return null;
    }
}
