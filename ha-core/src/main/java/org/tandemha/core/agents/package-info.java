/**
 * The built-in resource types that run programs: {@code process} (a program Tandem starts and watches),
 * {@code script} (a user-defined resource as a few commands), {@code ocf} (an unchanged OCF resource agent, as
 * Pacemaker runs it), {@code systemd} (a unit through systemctl) and {@code lsb} (an init script). They are found
 * through {@link java.util.ServiceLoader} like any plugin.
 *
 * <p>Every action runs through {@link org.tandemha.core.exec.CommandRunner} with the action's deadline; on timeout
 * the whole process tree is killed and the result says "timeout after ...". The exit codes of each kind are mapped
 * in one place, {@code ExitCodes}.
 */
package org.tandemha.core.agents;
