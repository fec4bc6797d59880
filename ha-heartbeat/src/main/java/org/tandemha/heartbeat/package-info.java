/**
 * Heartbeats over several paths: {@link org.tandemha.heartbeat.HeartbeatMembershipFactory} builds the
 * {@link org.tandemha.api.Membership} that tells the engine which peers are reachable. Everything else in this
 * package is internal.
 */
package org.tandemha.heartbeat;
