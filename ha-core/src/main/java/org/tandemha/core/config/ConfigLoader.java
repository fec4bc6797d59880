package org.tandemha.core.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.Problem;
import org.tandemha.core.json.JsonTrees;

/**
 * Reads a cluster configuration (YAML or JSON) and validates all of it. Every problem found is collected and
 * reported at once in one {@link InvalidConfigException}, each naming the field (such as
 * {@code groups[web].resources[app].quickCheck.interval}) and the fix. Nothing else is ever thrown: a syntax
 * error, a wrong value type or an unreadable file are problems like the others.
 *
 * <p>The schema (YAML; JSON is the same tree):
 * <pre>{@code
 * cluster: demo                    # required; [A-Za-z0-9_.-]{1,64}
 * key: "hex:00112233..."           # or keyFile: /etc/tandem/key; at least 16 bytes; "hex:" or "base64:"
 * nodes:                           # at least 2
 *   - id: node1
 *     addresses: {heartbeat: "192.0.2.1:7401"}
 * paths:                           # at least 1
 *   - {name: heartbeat, transport: udp, priority: 1, interval: 200ms, misses: 3, options: {}}
 * arbiters: [{type: disk-lease, id: lease, params: {file: /tmp/demo.lease}}]
 * fencing:  [{type: script, params: {command: [/usr/local/bin/fence, "%peer"]}}]
 * quorum: {twoNodeWithoutArbiter: false, lossGrace: 5s, witnessVote: true}
 * timing: {startupWait: 5s, safetyRetryMin: 500ms, safetyRetryMax: 30s, safetyTimeout: 10s,
 *          pauseThreshold: 5s, commandTimeout: 5m, fenceTimeout: 30s,
 *          pauseReport: 1s, actionSlack: 200ms}   # pauseReport below pauseThreshold
 * groups:
 *   - id: web
 *     nodes: [node1, node2]         # priority order
 *     switchback: administrator     # or automatic
 *     settle: 10s
 *     recovery: {maxAttempts: 3, window: 10m}
 *     resources:
 *       - {id: vip, type: ip, params: {address: 192.0.2.10/24}, dependsOn: [],
 *          start: {timeout: 60s}, stop: {timeout: 60s}, recover: {timeout: 2m},
 *          quickCheck: {interval: 10s, timeout: 5s}, deepCheck: {interval: 60s, timeout: 30s}}
 * }</pre>
 */
public final class ConfigLoader {
    /** Files larger than this are refused: a configuration is a few kilobytes. */
    static final long MAX_FILE_BYTES = 4L * 1024 * 1024;
    private static final Pattern SOURCE = Pattern.compile("\\s*\\(?\\[Source:.*", Pattern.DOTALL);
    private static final Pattern CLASS_NAME = Pattern.compile("`?\\b[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*\\.[A-Z][\\w$]*`?");

    // Parsers only, no ObjectMapper: the tree is built by JsonTrees (a node does not load databind's mapping).
    private static final JsonFactory YAML = YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private ConfigLoader() {
    }

    /**
     * Parses and validates a configuration.
     *
     * @param text       the configuration text
     * @param yaml       {@code true} for YAML, {@code false} for JSON
     * @param knownTypes the resource type names available ({@code null}: do not check resource types)
     * @return the validated configuration, defaults applied, resources in start order
     * @throws InvalidConfigException listing every problem found
     */
    public static ClusterSpec parse(String text, boolean yaml, Set<String> knownTypes) throws InvalidConfigException {
        return parse(text, yaml, knownTypes, null, "");
    }

    /**
     * Reads and validates a configuration file: YAML for {@code .yaml}/{@code .yml}, JSON for {@code .json}.
     * A relative {@code keyFile} is resolved against the configuration file's directory.
     *
     * @param file       the configuration file
     * @param knownTypes the resource type names available ({@code null}: do not check resource types)
     * @return the validated configuration
     * @throws InvalidConfigException listing every problem found
     */
    public static ClusterSpec load(Path file, Set<String> knownTypes) throws InvalidConfigException {
        if (file == null) {
            throw new InvalidConfigException("(file)", "no configuration file given", "pass the path of a .yaml, .yml or .json file");
        }
        String name = String.valueOf(file.getFileName()).toLowerCase(Locale.ROOT);
        boolean yaml;
        if (name.endsWith(".yaml") || name.endsWith(".yml")) {
            yaml = true;
        } else if (name.endsWith(".json")) {
            yaml = false;
        } else {
            throw new InvalidConfigException(file.toString(), "unsupported file name extension",
                    "name the configuration file with one of the accepted extensions: .yaml, .yml (YAML) or .json (JSON)");
        }
        String text;
        try {
            if (!Files.isRegularFile(file) && Files.exists(file)) {
                throw new InvalidConfigException(file.toString(), "not a regular file", "give the path of the configuration file itself");
            }
            if (Files.exists(file) && Files.size(file) > MAX_FILE_BYTES) {
                throw new InvalidConfigException(file.toString(), "file is larger than " + MAX_FILE_BYTES / 1024 / 1024
                        + " MiB; this is not a configuration file", "check the path");
            }
            byte[] bytes = Files.readAllBytes(file);
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidConfigException(file.toString(), "the file is not valid UTF-8 text", "save it as UTF-8");
        } catch (IOException | RuntimeException e) {
            throw new InvalidConfigException(file.toString(), "cannot read the configuration file: " + ioReason(e),
                    "check that the file exists and is readable by this process");
        }
        Path dir = file.toAbsolutePath().getParent();
        return parse(text, yaml, knownTypes, dir, file + ": ");
    }

    static ClusterSpec parse(String text, boolean yaml, Set<String> knownTypes, Path baseDir, String where)
            throws InvalidConfigException {
        if (text == null) {
            throw new InvalidConfigException(where + "(config)", "no configuration text", "give the configuration text");
        }
        JsonNode root;
        try {
            try (JsonParser p = (yaml ? YAML : JSON).createParser(text)) {
                root = JsonTrees.parse(p, true, false);
            }
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            String at = loc == null || loc.getLineNr() < 0 ? "" : "line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            throw new InvalidConfigException(where + (at.isEmpty() ? "(syntax)" : at),
                    (yaml ? "YAML" : "JSON") + " syntax error: " + clean(e.getOriginalMessage()),
                    yaml ? "correct the YAML near this position (indentation, a missing ':' or quote, a tab instead of spaces)"
                            : "correct the JSON near this position (a missing comma, quote or bracket)");
        } catch (IOException | RuntimeException | StackOverflowError e) {
            throw new InvalidConfigException(where + "(syntax)", (yaml ? "YAML" : "JSON") + " cannot be read: "
                    + clean(e.getMessage()), "correct the syntax of the configuration");
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new InvalidConfigException(where + "(config)", "the configuration is empty",
                    "write at least cluster, key, nodes, paths and groups");
        }
        List<Problem> problems = new ArrayList<>();
        ClusterSpec spec;
        try {
            spec = new ConfigReader(problems, knownTypes, baseDir).read(root);
        } catch (RuntimeException | StackOverflowError e) {
            // A bug of the reader must still reach the operator as a configuration error, not a stack trace.
            problems.add(new Problem("(config)", "the configuration could not be validated: " + clean(e.getMessage()),
                    "report this as a bug of Tandem together with the configuration"));
            spec = null;
        }
        if (!problems.isEmpty() || spec == null) {
            if (!where.isEmpty()) {
                problems.replaceAll(p -> new Problem(where + p.field(), p.message(), p.fix()));
            }
            throw new InvalidConfigException(problems);
        }
        return spec;
    }

    /** The first line of a parser message, without locations or Java class names. */
    static String clean(String message) {
        if (message == null || message.isBlank()) {
            return "unreadable input";
        }
        // Parser messages (SnakeYAML's especially) span several lines: keep the sentences, drop the excerpts.
        String first = message.strip().lines().filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0)))
                .filter(l -> !l.startsWith("in '")).map(String::strip).distinct()
                .collect(java.util.stream.Collectors.joining("; "));
        first = SOURCE.matcher(first).replaceAll("");
        first = CLASS_NAME.matcher(first).replaceAll("value");
        first = first.replace("`", "'");
        if (first.length() > 200) {
            first = first.substring(0, 200) + "...";
        }
        return first.isBlank() ? "unreadable input" : first;
    }

    static String ioReason(Throwable e) {
        if (e instanceof NoSuchFileException) {
            return "the file does not exist";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof InvalidPathException) {
            return "the path is not valid";
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? "input/output error" : clean(m);
    }
}
