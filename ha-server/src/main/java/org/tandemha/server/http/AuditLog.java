package org.tandemha.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tandemha.core.json.JsonTrees;

/**
 * The audit log: every command sent to the API (carried out, refused by the cluster, forbidden, unauthenticated or
 * malformed) as one JSON line {@code {"time","who","role","remote","command","group","args","status","outcome",
 * "message"}}, where {@code status} is the HTTP status answered and {@code outcome} one of {@code accepted},
 * {@code refused}, {@code forbidden}, {@code unauthorized}, {@code malformed}, {@code error}. The file is created
 * with mode 0640 and only appended to; each line is written with one system call.
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    private final Path file;
    private final FileChannel channel;

    private AuditLog(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Opens (creating it and its directory if needed) {@code file} for appending. */
    public static AuditLog open(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        if (!Files.exists(file)) {
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // created meanwhile
            }
        }
        try {
            return new AuditLog(file, FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new IOException("cannot open the audit log " + file + " for appending: " + e.getMessage()
                    + "; make it writable by the node's user or set server.auditLog elsewhere", e);
        }
    }

    /** The file. */
    public Path file() {
        return file;
    }

    /** Appends one record. An audit log that cannot be written is logged as an error (the command has happened). */
    public void record(String who, String role, String remote, String command, String group, JsonNode args,
                       int status, String outcome, String message) {
        ObjectNode o = JsonTrees.NODES.objectNode().put("time", Instant.now().toString()).put("who", who)
                .put("role", role).put("remote", remote).put("command", command).put("group", group);
        o.set("args", args == null ? JsonTrees.NODES.nullNode() : args);
        o.put("status", status).put("outcome", outcome).put("message", message);
        byte[] line = (JsonTrees.text(o) + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (this) {
            try {
                ByteBuffer b = ByteBuffer.wrap(line);
                while (b.hasRemaining()) {
                    channel.write(b);
                }
            } catch (IOException e) {
                LOG.error("cannot append to the audit log {}: {}; lost record: {}", file, e.getMessage(), o);
            }
        }
    }

    @Override
    public synchronized void close() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.warn("closing the audit log {}: {}", file, e.getMessage());
        }
    }
}
