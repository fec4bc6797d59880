/**
 * The embedding example: a plain Java service ({@link org.tandemha.examples.embed.HelloService}, a tiny HTTP server)
 * made active/standby with the public API only, through its own resource type
 * ({@link org.tandemha.examples.embed.HelloServiceType}, found by {@link java.util.ServiceLoader}) and one node per
 * process ({@link org.tandemha.examples.embed.HelloCluster}).
 */
package org.tandemha.examples.embed;
