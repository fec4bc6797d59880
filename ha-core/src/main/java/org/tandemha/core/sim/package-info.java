/**
 * Test harnesses for Tandem clusters, for this project's properties and scenarios and for users' own tests.
 *
 * <ul>
 * <li>{@link org.tandemha.core.sim.SimCluster}: the real engines of a whole cluster in one thread and
 * <b>simulated time</b>, with a simulated network, membership, arbiter, fencing, shared disk and resources, and
 * faults for each (crashes, pauses, partitions, loss, reordering, failing and hanging resources, a forgetful array).
 * Deterministic for a seed; checks after every step that no group has two owners.</li>
 * <li>{@link org.tandemha.core.sim.Specs}: small cluster specifications built in code for it.</li>
 * <li>{@link org.tandemha.core.sim.InMemoryNetwork}: a {@link org.tandemha.api.Membership} for real nodes (built
 * with the builder) in one JVM, in real time, that can be partitioned.</li>
 * </ul>
 *
 * <p>A two-node cluster in simulated time, the preferred node crashing:
 * <pre>{@code
 * SimCluster c = new SimCluster(Specs.cluster(List.of("node1", "node2"),
 *         Specs.group("web", List.of("node1", "node2"), SwitchbackPolicy.ADMINISTRATOR, "disk", "app")), 42);
 * c.startAll();
 * c.runUntil(() -> c.onlineOn("web").equals(List.of("node1")), 10_000);  // simulated ms: returns at once
 * c.crash("node1");
 * c.runUntil(() -> c.onlineOn("web").equals(List.of("node2")), 30_000);
 * assert c.violations().isEmpty();                                       // never two owners
 * }</pre>
 */
package org.tandemha.core.sim;
