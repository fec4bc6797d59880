/**
 * The node's operator surface, started by {@link org.tandemha.server.TandemServer}: the HTTP API v1 on Netty
 * ({@link org.tandemha.server.http.HttpApi}) with bearer tokens and roles ({@link org.tandemha.server.http.Tokens}),
 * the audit log ({@link org.tandemha.server.http.AuditLog}), the recent events and their stream
 * ({@link org.tandemha.server.http.EventLog}), Prometheus metrics ({@link org.tandemha.server.http.NodeMetrics}),
 * JMX MXBeans ({@link org.tandemha.server.http.JmxBeans}), and the JSON of status, events and command answers
 * ({@link org.tandemha.server.http.StatusJson}), which clients read back.
 */
package org.tandemha.server.http;
