/**
 * Operator views built only on a node's public status snapshot, events and commands
 * ({@link org.tandemha.api.ClusterNode}): a text table ({@link org.tandemha.examples.ops.StatusTable}), a local
 * authenticated admin endpoint ({@link org.tandemha.examples.ops.AdminServer}) and its command line
 * ({@link org.tandemha.examples.ops.TandemCtl}, {@code scripts/tandemctl}), and JMX MXBeans
 * ({@link org.tandemha.examples.ops.JmxExporter}).
 */
package org.tandemha.examples.ops;
