/**
 * The standalone node: the {@code tandem} daemon and command line, the node's HTTP API ({@code /api/v1}), metrics
 * and the console. It builds on the library's public API ({@link org.tandemha.api.ClusterNode}) and is left out by
 * embedders who only want the library.
 */
package org.tandemha.server;
