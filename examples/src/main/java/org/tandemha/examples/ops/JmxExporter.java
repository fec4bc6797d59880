package org.tandemha.examples.ops;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import javax.management.JMException;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import org.tandemha.api.ClusterNode;
import org.tandemha.api.ClusterStatus;
import org.tandemha.api.CommandResult;
import org.tandemha.api.Durations;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.PathStatus;
import org.tandemha.server.cli.StatusTable;

/**
 * Exposes a node's status and commands as JMX MXBeans, readable in JConsole, built only on {@link ClusterNode}'s
 * public status and commands:
 * <ul>
 *   <li>{@code org.tandemha:type=Node,name=<node>} ({@link NodeMXBean}): Cluster, LocalNode, Nodes, Paths,
 *       Groups;</li>
 *   <li>{@code org.tandemha:type=Group,node=<node>,name=<group>} ({@link GroupMXBean}), one per group: State,
 *       ActiveNode, Generation, Managed, Blocked, Detail, and the operations switchover(node), switchback(),
 *       maintenance(on), clear(). The {@code node} key keeps names apart when one JVM runs several nodes.</li>
 * </ul>
 * Registered on the platform MBeanServer by {@link #register(ClusterNode)}; {@link #close()} unregisters them.
 */
public final class JmxExporter implements AutoCloseable {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_.\\-]+");

    private final MBeanServer server;
    private final List<ObjectName> names = new ArrayList<>();

    private JmxExporter(MBeanServer server) {
        this.server = server;
    }

    /**
     * Registers the node's MXBeans on the platform MBeanServer.
     *
     * @throws JMException if they cannot be registered (for example, this node is exported already)
     */
    public static JmxExporter register(ClusterNode node) throws JMException {
        return register(node, ManagementFactory.getPlatformMBeanServer(), AdminServer.DEFAULT_COMMAND_WAIT);
    }

    static JmxExporter register(ClusterNode node, MBeanServer server, Duration commandWait) throws JMException {
        JmxExporter x = new JmxExporter(server);
        try {
            x.add(nodeName(node.nodeId()), new Bean(new NodeView(node), NodeMXBean.class));
            for (GroupStatus g : node.status().groups()) {
                x.add(groupName(node.nodeId(), g.group()), new Bean(new GroupView(node, g.group(), commandWait), GroupMXBean.class));
            }
        } catch (JMException | RuntimeException e) {
            x.close();
            throw e;
        }
        return x;
    }

    /** {@code org.tandemha:type=Node,name=<node>}. */
    public static ObjectName nodeName(String node) throws MalformedObjectNameException {
        return new ObjectName("org.tandemha:type=Node,name=" + value(node));
    }

    /** {@code org.tandemha:type=Group,node=<node>,name=<group>}. */
    public static ObjectName groupName(String node, String group) throws MalformedObjectNameException {
        return new ObjectName("org.tandemha:type=Group,node=" + value(node) + ",name=" + value(group));
    }

    private static String value(String s) {
        return PLAIN.matcher(s).matches() ? s : ObjectName.quote(s);
    }

    private void add(ObjectName name, StandardMBean bean) throws JMException {
        server.registerMBean(bean, name);
        names.add(name);
    }

    /** The names registered. */
    public List<ObjectName> names() {
        return List.copyOf(names);
    }

    /** Unregisters every MXBean it registered. */
    @Override
    public void close() {
        for (ObjectName n : names) {
            try {
                server.unregisterMBean(n);
            } catch (JMException e) {
                // unregistered by someone else already
            }
        }
        names.clear();
    }

    /** Names the operations' parameters for JConsole (instead of p0, p1). */
    private static final class Bean extends StandardMBean {
        <T> Bean(T impl, Class<T> type) {
            super(impl, type, true);
        }

        @Override
        protected String getParameterName(MBeanOperationInfo op, MBeanParameterInfo param, int sequence) {
            return switch (op.getName()) {
                case "switchover" -> "node";
                case "maintenance" -> "on";
                default -> super.getParameterName(op, param, sequence);
            };
        }
    }

    private static final class NodeView implements NodeMXBean {
        private final ClusterNode node;

        NodeView(ClusterNode node) {
            this.node = node;
        }

        @Override
        public String getCluster() {
            return node.status().cluster();
        }

        @Override
        public String getLocalNode() {
            return node.nodeId();
        }

        @Override
        public String[] getNodes() {
            return node.status().nodes().stream().map(n -> n.node() + " " + n.state()).toArray(String[]::new);
        }

        @Override
        public String[] getPaths() {
            ClusterStatus s = node.status();
            return s.paths().stream().map(p -> path(p, s)).toArray(String[]::new);
        }

        private static String path(PathStatus p, ClusterStatus s) {
            return p.name() + " to " + p.peer() + ": " + p.state() + ", rtt " + StatusTable.rtt(p.rtt())
                    + ", loss " + String.format(Locale.ROOT, "%.1f%%", p.lossPercent())
                    + ", last heartbeat " + StatusTable.ago(p.lastSeen(), s.time(), "never");
        }

        @Override
        public String[] getGroups() {
            return node.status().groups().stream().map(g -> g.group() + ": " + g.localState() + " here, "
                    + (g.activeNode() == null ? "runs nowhere" : "active on " + g.activeNode())
                    + ", generation " + g.generation() + ", " + (g.managed() ? "managed" : "maintenance")
                    + (g.blockedOn().isEmpty() ? "" : ", blocked on " + String.join(",", g.blockedOn())))
                    .toArray(String[]::new);
        }
    }

    private static final class GroupView implements GroupMXBean {
        private final ClusterNode node;
        private final String group;
        private final Duration wait;

        GroupView(ClusterNode node, String group, Duration wait) {
            this.node = node;
            this.group = group;
            this.wait = wait;
        }

        private GroupStatus g() {
            GroupStatus g = node.status().group(group);
            if (g == null) {
                throw new IllegalStateException("group " + group + " is no longer in the status of node " + node.nodeId());
            }
            return g;
        }

        @Override
        public String getState() {
            return String.valueOf(g().localState());
        }

        @Override
        public String getActiveNode() {
            return g().activeNode();
        }

        @Override
        public long getGeneration() {
            return g().generation();
        }

        @Override
        public boolean isManaged() {
            return g().managed();
        }

        @Override
        public String[] getBlocked() {
            return g().blockedOn().toArray(String[]::new);
        }

        @Override
        public String getDetail() {
            return g().detail();
        }

        @Override
        public String switchover(String target) {
            return answer(node.switchover(group, target));
        }

        @Override
        public String switchback() {
            return answer(node.switchback(group));
        }

        @Override
        public String maintenance(boolean on) {
            return answer(node.maintenance(group, on));
        }

        @Override
        public String clear() {
            return answer(node.clear(group));
        }

        private String answer(CompletableFuture<CommandResult> f) {
            try {
                CommandResult r = f.get(wait.toMillis(), TimeUnit.MILLISECONDS);
                return (r.accepted() ? "done: " : "refused: ") + r.message();
            } catch (TimeoutException e) {
                return "no answer within " + Durations.format(wait) + "; the command may still complete: watch the events";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted while waiting for the node's answer";
            } catch (ExecutionException e) {
                return "failed inside the node: " + e.getCause();
            }
        }
    }
}
