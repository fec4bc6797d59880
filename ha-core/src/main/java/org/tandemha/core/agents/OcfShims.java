package org.tandemha.core.agents;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.tandemha.api.NodeContext;

/**
 * The small Pacemaker command-line tools that common OCF agents call, as shell scripts Tandem writes at start into
 * {@code <state dir>/ocf-bin} and puts first on the agent's {@code PATH} (and as {@code HA_SBIN_DIR}); nothing is
 * installed system-wide.
 *
 * <ul>
 *   <li>{@code crm_attribute}: node attributes in a per-node store, {@code <state dir>/ocf-attrs/<lifetime>/<node>/<name>}
 *       (one file per attribute). Options: {@code -N/--node}, {@code -n/--name}, {@code -v/--update},
 *       {@code -D/--delete}, {@code -G/--query}, {@code -q/-Q/--quiet}, {@code -d/--default},
 *       {@code -l/--lifetime reboot|forever}, {@code -t/--type status|nodes}, {@code -p/--promotion [rsc]} (the
 *       promotion score {@code master-<rsc>}, lifetime reboot). {@code reboot} attributes are cleared when Tandem
 *       starts; {@code forever} ones stay.</li>
 *   <li>{@code crm_master} and {@code crm_promotion}: {@code crm_attribute --promotion}; {@code attrd_updater}:
 *       {@code crm_attribute -l reboot} ({@code -n}, {@code -U/-v}, {@code -D}, {@code -Q}, {@code -N}).</li>
 *   <li>{@code crm_node}: {@code -n} (this node's Tandem id), {@code -l} (the group's nodes), {@code -p} (the
 *       nodes this node believes online), {@code -q} (1), {@code -i}.</li>
 *   <li>{@code crm_mon -1 --output-as=xml|--as-xml}: the nodes (online or not) and the resource's role on each, as
 *       Tandem knows them, from a file written before each agent call.</li>
 *   <li>{@code pacemakerd -$}: a version line, so that {@code ocf_local_nodename} asks {@code crm_node -n} (the
 *       Tandem node id) instead of {@code uname -n}.</li>
 *   <li>{@code crm_resource}: {@code -B/--ban} is logged and ignored (exit 0: the agent's failed action is what
 *       Tandem acts on); anything else fails with a message.</li>
 * </ul>
 *
 * <p>Every change a shim makes is appended to a journal ({@code <wall ms> <lifetime> <node> set|del <name>}); the
 * resource publishes each as a fact ({@code ocf.attr/<lifetime>/<node>/<name>}) so that an attribute one node writes
 * (pgsql's master writes its standbys' {@code pgsql-status}) reaches the others, which apply the newer of their own
 * and the peer's value (last writer wins, by wall-clock milliseconds).
 */
final class OcfShims {
    static final String FACT_PREFIX = "ocf.attr/";
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_.:@+-]{1,200}");
    private static final Map<Path, OcfShims> BY_DIR = new ConcurrentHashMap<>();

    final Path bin;
    final Path attrs;
    private final Path journal;
    /** Per attribute key (lifetime/node/name): the stamp of the value the store holds. */
    private final Map<String, Long> stamps = new HashMap<>();
    private long journalOffset;

    private OcfShims(Path stateDir) throws IOException {
        this.bin = stateDir.resolve("ocf-bin");
        this.attrs = stateDir.resolve("ocf-attrs");
        this.journal = attrs.resolve("journal");
        Files.createDirectories(bin);
        Files.createDirectories(attrs.resolve("forever"));
        deleteTree(attrs.resolve("reboot")); // "reboot" attributes do not outlive the node's Tandem
        Files.createDirectories(attrs.resolve("reboot"));
        Files.deleteIfExists(journal);
        Files.createFile(journal);
        write("crm_attribute", CRM_ATTRIBUTE);
        write("crm_master", CRM_MASTER);
        write("crm_promotion", CRM_MASTER);
        write("attrd_updater", ATTRD_UPDATER);
        write("crm_node", CRM_NODE);
        write("crm_mon", CRM_MON);
        write("pacemakerd", PACEMAKERD);
        write("crm_resource", CRM_RESOURCE);
    }

    /** The shims of a node's state directory, written once per process. */
    static OcfShims of(Path stateDir) {
        return BY_DIR.computeIfAbsent(stateDir.toAbsolutePath().normalize(), d -> {
            try {
                return new OcfShims(d);
            } catch (IOException e) {
                throw new IllegalStateException("cannot write the OCF tool shims (crm_attribute, crm_node) under " + d
                        + ": " + e.getMessage() + "; make the state directory writable", e);
            }
        });
    }

    private void write(String name, String text) throws IOException {
        Path tmp = bin.resolve("." + name + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.move(tmp, bin.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The environment the shims read. */
    Map<String, String> env(String node, Path crmMon) {
        return Map.of("TANDEM_OCF_ATTRS", attrs.toString(), "TANDEM_OCF_NODE", node, "TANDEM_OCF_CRM_MON",
                crmMon.toString(), "HA_SBIN_DIR", bin.toString());
    }

    /** Reads an attribute from the store (null when absent). */
    synchronized String get(String lifetime, String node, String name) {
        Path f = attrs.resolve(lifetime).resolve(node).resolve(name);
        try {
            return Files.isRegularFile(f) ? Files.readString(f, StandardCharsets.UTF_8) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Publishes what the shims changed since the last call, as facts. */
    synchronized void publish(NodeContext context) {
        List<String> lines;
        try (RandomAccessFile f = new RandomAccessFile(journal.toFile(), "r")) {
            if (f.length() <= journalOffset) {
                return;
            }
            f.seek(journalOffset);
            byte[] b = new byte[(int) Math.min(f.length() - journalOffset, 1 << 20)];
            f.readFully(b);
            String s = new String(b, StandardCharsets.UTF_8);
            int end = s.lastIndexOf('\n');
            if (end < 0) {
                return;
            }
            journalOffset += s.substring(0, end + 1).getBytes(StandardCharsets.UTF_8).length;
            lines = s.substring(0, end).lines().toList();
        } catch (IOException e) {
            return;
        }
        for (String line : lines) {
            String[] p = line.trim().split(" ", 5);
            if (p.length != 5 || !SAFE.matcher(p[2]).matches() || !SAFE.matcher(p[4]).matches()) {
                continue;
            }
            long stamp;
            try {
                stamp = Long.parseLong(p[0]);
            } catch (NumberFormatException e) {
                continue;
            }
            String key = p[1] + "/" + p[2] + "/" + p[4];
            stamps.put(key, stamp);
            String value = p[3].equals("set") ? get(p[1], p[2], p[4]) : null;
            context.publishFact(FACT_PREFIX + key, stamp + (value == null ? " del" : " set " + value));
        }
    }

    /** Applies the attributes peers published that are newer than what the store holds. */
    synchronized void importPeers(NodeContext context) {
        for (String peer : context.peers()) {
            Map<String, String> facts;
            try {
                facts = context.peerFacts(peer);
            } catch (RuntimeException e) {
                continue;
            }
            for (Map.Entry<String, String> e : facts.entrySet()) {
                if (!e.getKey().startsWith(FACT_PREFIX)) {
                    continue;
                }
                String key = e.getKey().substring(FACT_PREFIX.length());
                String[] k = key.split("/", 3);
                String[] v = e.getValue().split(" ", 3);
                if (k.length != 3 || !(k[0].equals("reboot") || k[0].equals("forever")) || !SAFE.matcher(k[1]).matches()
                        || !SAFE.matcher(k[2]).matches() || v.length < 2) {
                    continue;
                }
                long stamp;
                try {
                    stamp = Long.parseLong(v[0]);
                } catch (NumberFormatException ex) {
                    continue;
                }
                if (stamp <= stamps.getOrDefault(key, Long.MIN_VALUE)) {
                    continue;
                }
                stamps.put(key, stamp);
                Path f = attrs.resolve(k[0]).resolve(k[1]).resolve(k[2]);
                try {
                    if (v[1].equals("set") && v.length == 3) {
                        Files.createDirectories(f.getParent());
                        Path tmp = f.resolveSibling("." + k[2] + ".peer");
                        Files.writeString(tmp, v[2], StandardCharsets.UTF_8);
                        Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    } else {
                        Files.deleteIfExists(f);
                    }
                } catch (IOException ex) {
                    // the next call tries again (the stamp is forgotten)
                    stamps.remove(key);
                }
            }
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        }
    }

    // ---- the scripts (POSIX sh) --------------------------------------------------------------------------------

    private static final String CRM_ATTRIBUTE = """
            #!/bin/sh
            # crm_attribute, as Tandem provides it to OCF agents: node attributes in $TANDEM_OCF_ATTRS
            store="${TANDEM_OCF_ATTRS:?crm_attribute (Tandem): TANDEM_OCF_ATTRS is not set; run me from an agent Tandem runs}"
            node="${TANDEM_OCF_NODE}"; name=""; value=""; op=""; lifetime=""; quiet=0; promo=0; rsc=""; dflt=""; hasdflt=0
            while [ $# -gt 0 ]; do
              case "$1" in
                -N|--node) node="$2"; shift ;;
                --node=*) node="${1#*=}" ;;
                -n|--name|--attr-name) name="$2"; shift ;;
                --name=*|--attr-name=*) name="${1#*=}" ;;
                -v|--update|--attr-value) op=set; value="$2"; shift ;;
                --update=*|--attr-value=*) op=set; value="${1#*=}" ;;
                -D|--delete|--delete-attr) op=del ;;
                -G|--query|--get-value) op=get ;;
                -q|-Q|--quiet) quiet=1 ;;
                -d|--default) dflt="$2"; hasdflt=1; shift ;;
                --default=*) dflt="${1#*=}"; hasdflt=1 ;;
                -l|--lifetime) lifetime="$2"; shift ;;
                --lifetime=*) lifetime="${1#*=}" ;;
                -t|--type) lifetime="$2"; shift ;;
                --type=*) lifetime="${1#*=}" ;;
                -p|--promotion)
                  promo=1
                  case "$2" in ''|-*) ;; *) rsc="$2"; shift ;; esac ;;
                --promotion=*) promo=1; rsc="${1#*=}" ;;
                -r|--resource) rsc="$2"; shift ;;
                -V|--verbose) ;;
                *) echo "crm_attribute (Tandem shim): option '$1' is not supported (supported: -N -n -v -D -G -q -d -l -t -p)" >&2; exit 64 ;;
              esac
              shift
            done
            if [ "$promo" = 1 ]; then
              [ -n "$rsc" ] || rsc="${OCF_RESOURCE_INSTANCE%%:*}"
              name="master-${rsc%%:*}"
              [ -n "$lifetime" ] || lifetime=reboot
            fi
            case "$lifetime" in
              ''|forever|nodes|permanent) lifetime=forever ;;
              reboot|status|transient) lifetime=reboot ;;
              *) echo "crm_attribute (Tandem shim): lifetime '$lifetime' is not reboot or forever" >&2; exit 64 ;;
            esac
            [ -n "$op" ] || op=get
            case "$node" in ''|*/*|.|..) echo "crm_attribute (Tandem shim): no node, or a bad node name '$node'" >&2; exit 64 ;; esac
            case "$name" in ''|*/*|.|..|.*) echo "crm_attribute (Tandem shim): no attribute name (-n), or a bad one '$name'" >&2; exit 64 ;; esac
            dir="$store/$lifetime/$node"; f="$dir/$name"
            scope=nodes; [ "$lifetime" = reboot ] && scope=status
            case "$op" in
              get)
                if [ -f "$f" ]; then v=$(cat "$f")
                elif [ "$hasdflt" = 1 ]; then v="$dflt"
                else
                  [ "$quiet" = 1 ] || echo "scope=$scope  name=$name value=(null)"
                  echo "crm_attribute: Error performing operation: No such device or address" >&2
                  exit 105
                fi
                if [ "$quiet" = 1 ]; then echo "$v"; else echo "scope=$scope  name=$name value=$v"; fi ;;
              set)
                mkdir -p "$dir" && printf '%s' "$value" > "$f.$$" && mv -f "$f.$$" "$f" || exit 1
                echo "$(date +%s%3N) $lifetime $node set $name" >> "$store/journal" ;;
              del)
                rm -f "$f"
                echo "$(date +%s%3N) $lifetime $node del $name" >> "$store/journal" ;;
            esac
            exit 0
            """;

    private static final String CRM_MASTER = """
            #!/bin/sh
            # crm_master / crm_promotion, as Tandem provides them: crm_attribute --promotion
            exec "$(dirname "$0")/crm_attribute" --promotion "$@"
            """;

    private static final String ATTRD_UPDATER = """
            #!/bin/sh
            # attrd_updater, as Tandem provides it: transient (reboot) node attributes through crm_attribute
            args=""; node=""
            while [ $# -gt 0 ]; do
              case "$1" in
                -n|--name) name="$2"; shift ;;
                -U|-v|--update) op="-v"; value="$2"; shift ;;
                -D|--delete) op="-D" ;;
                -Q|--query) op="-G" ;;
                -N|--node) node="$2"; shift ;;
                -q|--quiet|-V|-A|--all) ;;
                -d|--delay) shift ;;
                *) echo "attrd_updater (Tandem shim): option '$1' is not supported" >&2; exit 64 ;;
              esac
              shift
            done
            [ -n "$node" ] || node="$TANDEM_OCF_NODE"
            case "$op" in
              -v) exec "$(dirname "$0")/crm_attribute" -l reboot -N "$node" -n "$name" -v "$value" ;;
              -D) exec "$(dirname "$0")/crm_attribute" -l reboot -N "$node" -n "$name" -D ;;
              *) v=$("$(dirname "$0")/crm_attribute" -l reboot -N "$node" -n "$name" -G -q) || exit $?
                 echo "name=\\"$name\\" host=\\"$node\\" value=\\"$v\\"" ;;
            esac
            """;

    private static final String CRM_NODE = """
            #!/bin/sh
            # crm_node, as Tandem provides it: this node's Tandem id and the nodes Tandem knows
            f="${TANDEM_OCF_CRM_MON}"
            nodes() { [ -f "$f" ] && sed -n 's/.*<node name="\\([^"]*\\)" id="[^"]*" online="'"$1"'.*/\\1/p' "$f"; }
            case "$1" in
              -n|--name|'') echo "$TANDEM_OCF_NODE" ;;
              -N|--name-for-id) shift; [ -f "$f" ] && sed -n 's/.*<node name="\\([^"]*\\)" id="'"$1"'".*/\\1/p' "$f" ;;
              -i|--cluster-id) [ -f "$f" ] && sed -n 's/.*<node name="'"$TANDEM_OCF_NODE"'" id="\\([^"]*\\)".*/\\1/p' "$f" ;;
              -l|--list)
                [ -f "$f" ] && sed -n 's/.*<node name="\\([^"]*\\)" id="\\([^"]*\\)" online="\\(true\\|false\\)".*/\\2 \\1 \\3/p' "$f" \\
                  | sed 's/ true$/ member/; s/ false$/ lost/' ;;
              -p|--partition) echo $(nodes true) ;;
              -q|--quorum) echo 1 ;;
              *) echo "crm_node (Tandem shim): option '$1' is not supported (supported: -n -l -p -q -i -N)" >&2; exit 64 ;;
            esac
            """;

    private static final String CRM_MON = """
            #!/bin/sh
            # crm_mon, as Tandem provides it: one XML snapshot of the nodes and this resource's roles
            f="${TANDEM_OCF_CRM_MON}"
            [ -f "$f" ] || { echo "crm_mon (Tandem shim): no status (TANDEM_OCF_CRM_MON unset or missing)" >&2; exit 102; }
            cat "$f"
            """;

    private static final String PACEMAKERD = """
            #!/bin/sh
            # pacemakerd, as Tandem provides it: only the version, so that ocf_local_nodename asks crm_node -n
            case "$1" in
              -\\$|--version) echo "Pacemaker 2.1.5 (Tandem shim: OCF agents run by Tandem)"; echo "Written by Tandem" ;;
              *) echo "pacemakerd (Tandem shim): Tandem runs this agent; there is no Pacemaker daemon" >&2; exit 64 ;;
            esac
            """;

    private static final String CRM_RESOURCE = """
            #!/bin/sh
            # crm_resource, as Tandem provides it: a ban is ignored (Tandem acts on the agent's failed action)
            for a in "$@"; do
              case "$a" in
                -B|--ban) echo "crm_resource (Tandem shim): ban ignored ($*): Tandem acts on the failed action" >&2; exit 0 ;;
              esac
            done
            echo "crm_resource (Tandem shim): '$*' is not supported under Tandem" >&2
            exit 64
            """;
}
