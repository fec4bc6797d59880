package org.tandemha.server.http;

import java.lang.reflect.Method;
import javax.management.MBeanServer;
import javax.management.MBeanServerBuilder;
import javax.management.MBeanServerDelegate;

/**
 * The JDK's MBeanServer builder, which also hands the server it builds to {@link JmxOnDemand} (so that a node's
 * MXBeans are registered when the platform MBeanServer comes to be). Named by
 * {@code -Djavax.management.builder.initial=org.tandemha.server.http.JmxOnDemandBuilder} (bin/tandem run).
 *
 * <p>bin/tandem puts this one class on the boot class path too ({@code lib/boot/tandem-jmx-builder.jar}): the JDK
 * loads the builder with the building thread's context class loader, and the thread that serves {@code jcmd} and
 * JConsole's local attach has none, so only the boot loader is asked there. It reaches {@link JmxOnDemand} through
 * the system class loader, and never fails the server's building: without the hand-over the node's beans are only
 * missing (and a warning says so).
 */
public final class JmxOnDemandBuilder extends MBeanServerBuilder {
    /** The JDK makes it by reflection. */
    public JmxOnDemandBuilder() {
    }

    @Override
    public MBeanServer newMBeanServer(String defaultDomain, MBeanServer outer, MBeanServerDelegate delegate) {
        MBeanServer s = super.newMBeanServer(defaultDomain, outer, delegate);
        try {
            Class<?> c = Class.forName("org.tandemha.server.http.JmxOnDemand", true, ClassLoader.getSystemClassLoader());
            Method created = c.getDeclaredMethod("created", MBeanServer.class);
            created.setAccessible(true);
            created.invoke(null, outer != null ? outer : s);
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            System.err.println("tandem: the node's JMX MXBeans are not registered: " + e
                    + "; run without -Djavax.management.builder.initial to register them at start");
        }
        return s;
    }
}
