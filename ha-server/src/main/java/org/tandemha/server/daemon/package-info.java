/**
 * The node's side of the {@code tandem} binary: {@code tandem run} (a node in the foreground, its state directory,
 * its API, a clean stop on SIGTERM), {@code validate}, {@code keygen}, {@code version} and {@code witness}.
 */
package org.tandemha.server.daemon;
