/**
 * Operator views built only on a node's public status snapshot, events and commands
 * ({@link org.tandemha.api.ClusterNode}): a text table ({@code org.tandemha.server.cli.StatusTable}), a local
 * authenticated admin endpoint ({@link org.tandemha.examples.ops.AdminServer}) and its command line
 * (now {@code bin/tandem} of ha-server), and JMX MXBeans
 * ({@link org.tandemha.examples.ops.JmxExporter}).
 */
package org.tandemha.examples.ops;
