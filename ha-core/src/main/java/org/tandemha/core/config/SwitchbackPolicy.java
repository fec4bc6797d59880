package org.tandemha.core.config;

/** What happens when a more preferred node becomes available again after a failover. */
public enum SwitchbackPolicy {
    /** The group moves back by itself, once the preferred node has been available for the settle delay. */
    AUTOMATIC,
    /** The group stays; the administrator picks the moment (the default). */
    ADMINISTRATOR
}
