package org.tandemha.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;
import org.tandemha.api.Problem;

/** Reads the cluster key ({@code key} or {@code keyFile}), which authenticates every heartbeat. */
final class KeyReader extends ConfigFields {
    private static final Pattern HEX = Pattern.compile("([0-9A-Fa-f]{2})*");
    private static final int MIN_KEY = 16;

    private final Path baseDir;

    KeyReader(List<Problem> problems, Path baseDir) {
        super(problems);
        this.baseDir = baseDir;
    }

    /** The key's bytes, or null (with a problem recorded) when it is missing or unusable. */
    byte[] key(JsonNode root) {
        JsonNode k = present(root.get("key"));
        JsonNode f = present(root.get("keyFile"));
        if (k == null && f == null) {
            problem("key", "no cluster key: heartbeats must be authenticated",
                    "add key: \"hex:...\" with at least 16 random bytes (for example the output of 'openssl rand -hex 32'), "
                            + "or keyFile: /path/to/a/file of at least 16 bytes");
            return null;
        }
        if (k != null && f != null) {
            problem("key", "both key and keyFile are set", "keep only one of key and keyFile");
            return null;
        }
        if (k != null) {
            if (!k.isTextual()) {
                problem("key", "the key must be text, found " + kind(k), "write it as key: \"hex:...\" or key: \"base64:...\"");
                return null;
            }
            String s = k.asText().strip();
            byte[] bytes;
            if (s.startsWith("hex:")) {
                String hex = s.substring(4).replaceAll("[\\s:]", "");
                if (!HEX.matcher(hex).matches()) {
                    problem("key", "the hex: key is not an even number of hexadecimal digits",
                            "write the key as pairs of digits 0-9 and a-f after 'hex:'");
                    return null;
                }
                bytes = java.util.HexFormat.of().parseHex(hex);
            } else if (s.startsWith("base64:")) {
                try {
                    bytes = Base64.getMimeDecoder().decode(s.substring(7).strip());
                } catch (IllegalArgumentException e) {
                    problem("key", "the base64: key is not valid base64", "write the key as base64 text after 'base64:'");
                    return null;
                }
            } else {
                problem("key", "the key must start with 'hex:' or 'base64:'",
                        "write it as key: \"hex:<hex digits>\" or key: \"base64:<base64 text>\"");
                return null;
            }
            if (bytes.length < MIN_KEY) {
                problem("key", "the key is " + bytes.length + " bytes long; at least " + MIN_KEY + " are required",
                        "use at least 16 random bytes, for example the output of 'openssl rand -hex 32'");
                return null;
            }
            return bytes;
        }
        if (!f.isTextual() || f.asText().isBlank()) {
            problem("keyFile", "keyFile must be a file path, found " + kind(f), "write keyFile: /path/to/key");
            return null;
        }
        String name = f.asText().strip();
        try {
            Path p = Path.of(name);
            if (!p.isAbsolute() && baseDir != null) {
                p = baseDir.resolve(p);
            }
            if (!Files.isRegularFile(p)) {
                problem("keyFile", "key file '" + name + "' does not exist or is not a regular file",
                        "create it with at least 16 random bytes (for example 'head -c 32 /dev/urandom > " + name
                                + "'), or fix the path");
                return null;
            }
            if (Files.size(p) > 64 * 1024) {
                problem("keyFile", "key file '" + name + "' is larger than 64 KiB", "check the path; a key is a few bytes");
                return null;
            }
            byte[] bytes = Files.readAllBytes(p);
            if (bytes.length < MIN_KEY) {
                problem("keyFile", "key file '" + name + "' holds " + bytes.length + " bytes; at least " + MIN_KEY
                        + " are required", "fill it with at least 16 random bytes, for example 'head -c 32 /dev/urandom'");
                return null;
            }
            return bytes;
        } catch (IOException | RuntimeException e) {
            problem("keyFile", "cannot read key file '" + name + "': " + ConfigLoader.ioReason(e),
                    "check the path and that this process may read the file");
            return null;
        }
    }
}
