package org.tandemha.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
import org.tandemha.api.GroupState;
import org.tandemha.api.GroupStatus;
import org.tandemha.api.NodeState;
import org.tandemha.api.NodeStatus;
import org.tandemha.api.PathState;
import org.tandemha.api.PathStatus;
import org.tandemha.api.ResourceStatus;
import org.tandemha.core.json.JsonTrees;

/**
 * A node's status and commands as JMX MXBeans with numeric attributes, readable in JConsole:
 * <ul>
 *   <li>{@code org.tandemha:type=Node,name=<node>} ({@link NodeMXBean});</li>
 *   <li>{@code org.tandemha:type=Group,node=<node>,name=<group>} ({@link GroupMXBean}), one per group, with the
 *       operations switchover(node), switchback(), maintenance(on), clear();</li>
 *   <li>{@code org.tandemha:type=Path,node=<node>,name=<path>,peer=<peer>} ({@link PathMXBean}), one per path and
 *       peer.</li>
 * </ul>
 * The {@code node} key keeps names apart when one JVM runs several nodes. {@link #close()} unregisters them.
 */
public final class JmxBeans implements AutoCloseable {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_.\\-]+");

    private final MBeanServer server;
    private final List<ObjectName> names = new ArrayList<>();

    private JmxBeans(MBeanServer server) {
        this.server = server;
    }

    /**
     * Registers the node's MXBeans on the platform MBeanServer; commands are recorded in {@code audit} (may be
     * {@code null}) and waited for up to {@code commandWait}.
     *
     * @throws JMException if they cannot be registered (for example, this node is exported already)
     */
    public static JmxBeans register(ClusterNode node, AuditLog audit, Duration commandWait) throws JMException {
        return register(node, ManagementFactory.getPlatformMBeanServer(), audit, commandWait);
    }

    static JmxBeans register(ClusterNode node, MBeanServer server, AuditLog audit, Duration commandWait) throws JMException {
        JmxBeans x = new JmxBeans(server);
        try {
            ClusterStatus s = node.status();
            x.add(nodeName(node.nodeId()), new Bean(new NodeView(node), NodeMXBean.class));
            for (GroupStatus g : s.groups()) {
                x.add(groupName(node.nodeId(), g.group()),
                        new Bean(new GroupView(node, g.group(), audit, commandWait), GroupMXBean.class));
            }
            for (PathStatus p : s.paths()) {
                x.add(pathName(node.nodeId(), p.name(), p.peer()), new Bean(new PathView(node, p.name(), p.peer()), PathMXBean.class));
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

    /** {@code org.tandemha:type=Path,node=<node>,name=<path>,peer=<peer>}. */
    public static ObjectName pathName(String node, String path, String peer) throws MalformedObjectNameException {
        return new ObjectName("org.tandemha:type=Path,node=" + value(node) + ",name=" + value(path) + ",peer=" + value(peer));
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

    /** The number {@link GroupMXBean#getStateCode()} gives a state. */
    public static int stateCode(GroupState s) {
        if (s == null) {
            return -1;
        }
        return switch (s) {
            case OFFLINE -> 0;
            case STARTING -> 1;
            case ONLINE -> 2;
            case RECOVERING -> 3;
            case STOPPING -> 4;
            case FAILED -> 5;
            case UNKNOWN -> -1;
            case STANDBY -> 6;
        };
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
        public int getPeersReachable() {
            return (int) node.status().nodes().stream().filter(n -> n.state() == NodeState.REACHABLE).count();
        }

        @Override
        public int getPeersTotal() {
            return (int) node.status().nodes().stream().filter(n -> n.state() != NodeState.LOCAL).count();
        }

        @Override
        public int getPathsUp() {
            return (int) node.status().paths().stream().filter(p -> p.state() == PathState.UP).count();
        }

        @Override
        public int getPathsTotal() {
            return node.status().paths().size();
        }

        @Override
        public int getGroupsOnline() {
            return (int) node.status().groups().stream().filter(g -> g.localState() == GroupState.ONLINE).count();
        }

        @Override
        public boolean isStale() {
            return node.status().stale();
        }

        @Override
        public long getStatusAgeMs() {
            Instant asked = Instant.now();
            ClusterStatus s = node.status();
            Duration age = StatusJson.viewAge(s, asked, Instant.now());
            return age == null ? -1 : age.toMillis();
        }

        @Override
        public int getPingReachable() {
            NodeStatus n = node.status().node(node.nodeId());
            return n != null && n.pingKnown() ? n.pingReachable() : -1;
        }

        @Override
        public int getPingHosts() {
            NodeStatus n = node.status().node(node.nodeId());
            return n == null ? 0 : n.pingHosts();
        }

        @Override
        public String[] getNodes() {
            return node.status().nodes().stream().map(n -> n.node() + " " + n.state()).toArray(String[]::new);
        }
    }

    private static final class PathView implements PathMXBean {
        private final ClusterNode node;
        private final String path;
        private final String peer;

        PathView(ClusterNode node, String path, String peer) {
            this.node = node;
            this.path = path;
            this.peer = peer;
        }

        private PathStatus p() {
            for (PathStatus p : node.status().paths()) {
                if (p.name().equals(path) && p.peer().equals(peer)) {
                    return p;
                }
            }
            throw new IllegalStateException("path " + path + " to " + peer + " is no longer in the status of node " + node.nodeId());
        }

        @Override
        public String getState() {
            return String.valueOf(p().state());
        }

        @Override
        public boolean isUp() {
            return p().state() == PathState.UP;
        }

        @Override
        public double getRttMs() {
            PathStatus p = p();
            return p.rtt() == null ? -1 : p.rtt().toNanos() / 1e6;
        }

        @Override
        public double getLossPercent() {
            return p().lossPercent();
        }

        @Override
        public long getLastSeenAgoMs() {
            PathStatus p = p();
            return p.lastSeen() == null ? -1 : Math.max(0, Duration.between(p.lastSeen(), Instant.now()).toMillis());
        }
    }

    private static final class GroupView implements GroupMXBean {
        private final ClusterNode node;
        private final String group;
        private final AuditLog audit;
        private final Duration wait;

        GroupView(ClusterNode node, String group, AuditLog audit, Duration wait) {
            this.node = node;
            this.group = group;
            this.audit = audit;
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
        public int getStateCode() {
            return stateCode(g().localState());
        }

        @Override
        public boolean isOnline() {
            return g().localState() == GroupState.ONLINE;
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
        public int getResourcesRunning() {
            return (int) g().resources().stream().filter(ResourceStatus::running).count();
        }

        @Override
        public int getCheckFailures() {
            return g().resources().stream().mapToInt(ResourceStatus::failures).sum();
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
            return answer("switchover", JsonTrees.NODES.objectNode().put("target", target),
                    node.switchover(group, target));
        }

        @Override
        public String switchback() {
            return answer("switchback", null, node.switchback(group));
        }

        @Override
        public String maintenance(boolean on) {
            return answer("maintenance", JsonTrees.NODES.objectNode().put("on", on), node.maintenance(group, on));
        }

        @Override
        public String clear() {
            return answer("clear", null, node.clear(group));
        }

        private String answer(String command, ObjectNode args, CompletableFuture<CommandResult> f) {
            String text;
            int status;
            String outcome;
            try {
                CommandResult r = f.get(wait.toMillis(), TimeUnit.MILLISECONDS);
                text = (r.accepted() ? "done: " : "refused: ") + r.message();
                status = r.accepted() ? 200 : 409;
                outcome = r.accepted() ? "accepted" : "refused";
            } catch (TimeoutException e) {
                text = "no answer within " + Durations.format(wait) + "; the command may still complete: watch the events";
                status = 504;
                outcome = "error";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                text = "interrupted while waiting for the node's answer";
                status = 503;
                outcome = "error";
            } catch (ExecutionException e) {
                text = "failed inside the node: " + e.getCause();
                status = 500;
                outcome = "error";
            }
            if (audit != null) {
                audit.record("jmx", null, "jmx", command, group, args, status, outcome, text);
            }
            return text;
        }
    }
}
