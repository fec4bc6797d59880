/**
 * The daemon's log: a small SLF4J provider that {@code bin/tandem} selects ({@code -Dslf4j.provider}); embedders who
 * use {@code ha-server} as a library keep their own logging backend (nothing here is registered as a service).
 */
package org.tandemha.server.log;
