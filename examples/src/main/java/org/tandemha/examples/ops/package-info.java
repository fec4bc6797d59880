/**
 * Operator views built only on a node's public status snapshot ({@link org.tandemha.api.ClusterNode}): a text table
 * ({@link org.tandemha.examples.ops.StatusTable}). The node's HTTP API, metrics and JMX MXBeans are in ha-server
 * ({@code org.tandemha.server.TandemServer}).
 */
package org.tandemha.examples.ops;
