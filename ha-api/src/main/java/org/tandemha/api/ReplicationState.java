package org.tandemha.api;

import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link PromotableResource} reports about its copy on this node.
 *
 * @param role     the role it plays now
 * @param position how far its copy goes ({@link ReplicationPosition#NONE} when it has none)
 * @param lag      for a standby, how far behind the primary it is in time (the data at risk if it were promoted
 *                 now); {@link Duration#ZERO} for a primary or when unknown
 * @param detail   a short sentence for the operator (whom it streams from, why it does not)
 */
public record ReplicationState(ReplicationRole role, ReplicationPosition position, Duration lag, String detail) {
    /**
     * The fact (see {@link NodeContext#publishFact}) under which a node publishes its copy's position for a group,
     * followed by the group id; the value is {@link ReplicationPosition#toFact()}. The runtime publishes it after
     * every check of a promotable resource.
     */
    public static final String POSITION_FACT = "replication.position/";

    /** The fact under which a node publishes its standby's lag in milliseconds for a group, followed by the group id. */
    public static final String LAG_FACT = "replication.lagMs/";

    /**
     * The fact under which a node publishes the group's {@code maxLagOnFailover} in bytes, followed by the group id: a
     * copy further behind the best position known (or whose distance cannot be known) is not promoted by a failover;
     * the group stays down with an alarm until an operator clears it (which accepts the loss). Absent: no limit.
     */
    public static final String MAX_LAG_FACT = "replication.maxLagOnFailoverBytes/";

    /**
     * The fact under which a node publishes how many copies a failover must hear from, followed by the group id: with
     * quorum commit ({@code ANY k} of {@code n} standbys) every acknowledged commit is on at least {@code k} standbys,
     * so only among {@code n-k+1} of them is the most advanced sure to have them all. Fewer eligible: no promotion.
     */
    public static final String QUORUM_FACT = "replication.copiesToKnow/";

    public ReplicationState {
        Objects.requireNonNull(role, "role");
        position = position == null ? ReplicationPosition.NONE : position;
        lag = lag == null || lag.isNegative() ? Duration.ZERO : lag;
        detail = detail == null ? "" : detail;
    }
}
