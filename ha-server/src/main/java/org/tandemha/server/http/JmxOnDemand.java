package org.tandemha.server.http;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.management.JMException;
import javax.management.MBeanServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.api.ClusterNode;

/**
 * The node's MXBeans registered when the platform MBeanServer comes to be (a JConsole or {@code jcmd} attaching,
 * {@code -Dcom.sun.management.jmxremote...}), not at start: an idle daemon nobody watches over JMX does not load
 * the JMX classes (about 150, and the platform MXBeans' instances; examples/bench/run.sh server).
 *
 * <p>Active when the JVM runs with {@code -Djavax.management.builder.initial=}{@value #BUILDER} (bin/tandem sets it
 * for {@code tandem run}): the JDK then builds every MBeanServer through {@link JmxOnDemandBuilder}, which hands the
 * first one built (the platform MBeanServer, in a daemon that builds no other) to {@link #created}. Without it
 * (embedded), the beans are registered at once ({@link JmxBeans#register(ClusterNode, AuditLog, Duration)}).
 *
 * <p>This class refers to no JMX class but in its signatures: loading it loads none.
 */
public final class JmxOnDemand {
    /** The system property that names the MBeanServer builder. */
    public static final String PROPERTY = "javax.management.builder.initial";
    /** The builder's class name. */
    public static final String BUILDER = "org.tandemha.server.http.JmxOnDemandBuilder";
    private static final Logger LOG = LoggerFactory.getLogger(JmxOnDemand.class);

    /** Guarded by the class. */
    private static final List<Pending> PENDING = new ArrayList<>();
    /** The MBeanServer once built (guarded by the class). */
    private static MBeanServer server;

    private JmxOnDemand() {
    }

    /** True when this JVM builds its MBeanServers through {@link JmxOnDemandBuilder}. */
    public static boolean active() {
        return BUILDER.equals(System.getProperty(PROPERTY));
    }

    /**
     * Registers the node's MXBeans on the platform MBeanServer when it is built, or now if it is built already.
     * Closing the result unregisters them (or forgets them if not registered yet).
     *
     * @throws JMException if the server exists and they cannot be registered (this node is exported already)
     */
    public static AutoCloseable register(ClusterNode node, AuditLog audit, Duration commandWait) throws JMException {
        Pending p = new Pending(node, audit, commandWait);
        synchronized (JmxOnDemand.class) {
            if (server != null) {
                p.registerOn(server);
            } else {
                PENDING.add(p);
            }
        }
        return p;
    }

    /** Called by the builder with each MBeanServer it builds: the first gets the pending nodes' beans. */
    static void created(MBeanServer s) {
        synchronized (JmxOnDemand.class) {
            if (server != null) {
                return;
            }
            server = s;
            for (Pending p : PENDING) {
                try {
                    p.registerOn(s);
                } catch (JMException | RuntimeException e) {
                    LOG.warn("node {}: cannot register its JMX MXBeans: {}; is this node served twice in one JVM?"
                            + " (set server.jmx: false for the second)", p.node.nodeId(), e.toString());
                }
            }
            PENDING.clear();
        }
    }

    private static final class Pending implements AutoCloseable {
        private final ClusterNode node;
        private final AuditLog audit;
        private final Duration commandWait;
        private JmxBeans beans;
        private boolean closed;

        Pending(ClusterNode node, AuditLog audit, Duration commandWait) {
            this.node = node;
            this.audit = audit;
            this.commandWait = commandWait;
        }

        synchronized void registerOn(MBeanServer s) throws JMException {
            if (!closed && beans == null) {
                beans = JmxBeans.register(node, s, audit, commandWait);
            }
        }

        @Override
        public void close() {
            synchronized (JmxOnDemand.class) {
                PENDING.remove(this);
            }
            synchronized (this) {
                closed = true;
                if (beans != null) {
                    beans.close();
                    beans = null;
                }
            }
        }

        @Override
        public String toString() {
            return "JMX MXBeans of node " + node.nodeId();
        }
    }
}
