/**
 * Tandem's public API: the SPIs a plugin implements ({@link org.tandemha.api.Resource},
 * {@link org.tandemha.api.Checker}, {@link org.tandemha.api.Recoverer}, {@link org.tandemha.api.ResourceType},
 * {@link org.tandemha.api.Membership}, {@link org.tandemha.api.Arbiter}, {@link org.tandemha.api.Fencer}),
 * the immutable value types they exchange, and the embedding API ({@link org.tandemha.api.Tandem},
 * {@link org.tandemha.api.ClusterNode}).
 *
 * <p>This package depends on nothing but the JDK.
 */
package org.tandemha.api;
