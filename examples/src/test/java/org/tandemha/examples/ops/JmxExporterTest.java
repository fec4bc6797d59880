package org.tandemha.examples.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import javax.management.InstanceAlreadyExistsException;
import javax.management.JMX;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.tandemha.examples.embed.HelloPair;

/** The MXBeans of node1 of a running hello cluster, read and operated through the platform MBeanServer. */
class JmxExporterTest {
    private final MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();

    @Test
    void attributesAndOperationsThroughTheMBeanServer() throws Exception {
        try (HelloPair pair = HelloPair.start(false)) {
            JmxExporter jmx = JmxExporter.register(pair.node("node1"));
            ObjectName node = new ObjectName("org.tandemha:type=Node,name=node1");
            ObjectName group = new ObjectName("org.tandemha:type=Group,node=node1,name=hello");
            assertThat(jmx.names()).containsExactly(node, group);

            assertThat(mbs.getAttribute(node, "Cluster")).isEqualTo("hello");
            assertThat(mbs.getAttribute(node, "LocalNode")).isEqualTo("node1");
            assertThat((String[]) mbs.getAttribute(node, "Nodes")).containsExactly("node1 LOCAL", "node2 REACHABLE");
            assertThat((String[]) mbs.getAttribute(node, "Paths")).singleElement().asString().startsWith("memory to node2: UP, rtt -");
            assertThat((String[]) mbs.getAttribute(node, "Groups")).containsExactly("hello: ONLINE here, active on node1, generation 1, managed");

            assertThat(mbs.getAttribute(group, "State")).isEqualTo("ONLINE");
            assertThat(mbs.getAttribute(group, "ActiveNode")).isEqualTo("node1");
            assertThat(mbs.getAttribute(group, "Generation")).isEqualTo(1L);
            assertThat(mbs.getAttribute(group, "Managed")).isEqualTo(true);
            assertThat((String[]) mbs.getAttribute(group, "Blocked")).isEmpty();
            assertThat(mbs.getMBeanInfo(group).getOperations()).anyMatch(o -> o.getName().equals("switchover")
                    && o.getSignature()[0].getName().equals("node"));

            Object on = mbs.invoke(group, "maintenance", new Object[] {true}, new String[] {"boolean"});
            assertThat((String) on).startsWith("done: ");
            // (awaited: the runtime may hand out the previous snapshot for a moment after a command completes)
            HelloPair.await("unmanaged", () -> !JMX.newMXBeanProxy(mbs, group, GroupMXBean.class).isManaged());
            mbs.invoke(group, "maintenance", new Object[] {false}, new String[] {"boolean"});

            Object moved = mbs.invoke(group, "switchover", new Object[] {"node2"}, new String[] {String.class.getName()});
            assertThat((String) moved).startsWith("done: ");
            pair.awaitActive("node2");
            GroupMXBean proxy = JMX.newMXBeanProxy(mbs, group, GroupMXBean.class);
            assertThat(proxy.getActiveNode()).isEqualTo("node2");
            assertThat(proxy.getGeneration()).isEqualTo(2);
            assertThat(proxy.switchover("node2")).startsWith("refused: ").contains("already runs on node2");

            assertThatThrownBy(() -> JmxExporter.register(pair.node("node1"))).isInstanceOf(InstanceAlreadyExistsException.class);
            assertThat(mbs.isRegistered(node)).as("a failed second export leaves the first alone").isTrue();
            jmx.close();
            assertThat(mbs.isRegistered(node)).isFalse();
            assertThat(mbs.isRegistered(group)).isFalse();
        }
    }
}
