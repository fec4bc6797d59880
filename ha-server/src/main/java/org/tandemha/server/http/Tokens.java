package org.tandemha.server.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The API's bearer tokens and their roles, read from a tokens file: one token per line,
 * {@code <name> <role> <token>}, where role is {@code viewer}, {@code operator} or {@code admin}; {@code #} starts a
 * comment. The file must be readable by its owner only (mode 0600 or 0400), tokens at least 16 characters long and
 * unique. Presented tokens are compared in constant time against every token (SHA-256 digests, no early exit).
 */
public final class Tokens {
    /** The name of the file holding the generated admin token, in the state directory. */
    public static final String GENERATED_FILE = "api-token";
    static final int MIN_LENGTH = 16;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.@\\-]+");
    private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x7e]+");

    /** What a token may do; each role may do what the roles before it may. */
    public enum Role {
        /** Reads: status, events, the event stream, metrics. */
        VIEWER,
        /** And the group commands: switchover, switchback, maintenance, clear. */
        OPERATOR,
        /** And everything else (enabling and disabling heartbeat paths). */
        ADMIN;

        /** Whether this role may do what {@code needed} may. */
        public boolean covers(Role needed) {
            return compareTo(needed) >= 0;
        }

        /** Its lower-case name, as in the tokens file. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Who presented a token: the token's name from the file and its role. */
    public record Principal(String name, Role role) {
    }

    private record Entry(Principal who, byte[] digest) {
    }

    private final List<Entry> entries;
    private final String source;

    private Tokens(List<Entry> entries, String source) {
        this.entries = List.copyOf(entries);
        this.source = source;
    }

    /** Where the tokens come from (for error messages). */
    public String source() {
        return source;
    }

    /** How many tokens there are. */
    public int size() {
        return entries.size();
    }

    /**
     * Reads a tokens file.
     *
     * @throws IOException naming the file and the fix: it is missing, readable by group or others, or has bad lines
     *                     (every bad line is listed)
     */
    public static Tokens load(Path file) throws IOException {
        checkOwnerOnly(file, "tokens file");
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException("tokens file " + file + " does not exist; create it with lines 'name role token'"
                    + " (role viewer, operator or admin) and chmod 600 it");
        }
        List<String> problems = new ArrayList<>();
        List<Entry> entries = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<String> tokens = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int hash = line.indexOf('#');
            String text = (hash >= 0 ? line.substring(0, hash) : line).strip();
            if (text.isEmpty()) {
                continue;
            }
            String where = file + " line " + (i + 1) + ": ";
            String[] f = text.split("\\s+");
            if (f.length != 3) {
                problems.add(where + "expected 3 fields 'name role token', found " + f.length);
                continue;
            }
            Role role = null;
            try {
                role = Role.valueOf(f[1].toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                problems.add(where + "unknown role '" + f[1] + "'; use viewer, operator or admin");
            }
            if (!NAME.matcher(f[0]).matches()) {
                problems.add(where + "name '" + f[0] + "' may hold only letters, digits and _.@-");
            } else if (!names.add(f[0])) {
                problems.add(where + "name '" + f[0] + "' is given twice; names appear in the audit log and must be unique");
            }
            if (f[2].length() < MIN_LENGTH || !TOKEN.matcher(f[2]).matches()) {
                problems.add(where + "the token of '" + f[0] + "' is shorter than " + MIN_LENGTH + " characters or has"
                        + " non-ASCII characters; generate one with: openssl rand -hex 32");
            } else if (!tokens.add(f[2])) {
                problems.add(where + "the token of '" + f[0] + "' is also another line's token; give each its own");
            }
            if (role != null) {
                entries.add(new Entry(new Principal(f[0], role), digest(f[2])));
            }
        }
        if (!problems.isEmpty()) {
            throw new IOException("the tokens file " + file + " has " + problems.size() + " problem"
                    + (problems.size() == 1 ? "" : "s") + ":\n  " + String.join("\n  ", problems));
        }
        if (entries.isEmpty()) {
            throw new IOException("the tokens file " + file + " has no tokens; add lines 'name role token'"
                    + " (role viewer, operator or admin)");
        }
        return new Tokens(entries, file.toString());
    }

    /**
     * The single admin token of a node without a tokens file, named {@code local-admin}: read from
     * {@code <stateDir>/api-token} if it is there (and owner-only), else generated and written there with mode 0600.
     */
    public static Tokens generated(Path stateDir) throws IOException {
        Path file = stateDir.resolve(GENERATED_FILE);
        String token = null;
        if (Files.exists(file)) {
            checkOwnerOnly(file, "token file");
            String t = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (t.length() >= MIN_LENGTH && TOKEN.matcher(t).matches()) {
                token = t;
            }
        }
        if (token == null) {
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            token = HexFormat.of().formatHex(raw);
            writeOwnerOnly(file, token + "\n");
        }
        return new Tokens(List.of(new Entry(new Principal("local-admin", Role.ADMIN), digest(token))), file.toString());
    }

    /** Tokens given in code (tests, embedders with their own secret store). */
    public static Tokens of(Principal who, String token) {
        return new Tokens(List.of(new Entry(who, digest(token))), "code");
    }

    /**
     * The principal whose token this is, or {@code null}. Takes the same time whichever token matches (or none):
     * every stored digest is compared in full.
     */
    public Principal authenticate(String presented) {
        if (presented == null) {
            return null;
        }
        byte[] d = digest(presented);
        Principal found = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(d, e.digest()) & found == null) {
                found = e.who();
            }
        }
        return found;
    }

    static void checkOwnerOnly(Path file, String what) throws IOException {
        Set<PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(file);
        } catch (NoSuchFileException e) {
            throw new IOException(what + " " + file + " does not exist");
        } catch (UnsupportedOperationException e) {
            throw new IOException("the file system of " + file + " has no POSIX permissions, so the " + what
                    + " cannot be kept private; keep it on a local Linux file system");
        }
        Set<PosixFilePermission> open = EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
                PosixFilePermission.OTHERS_EXECUTE);
        open.retainAll(perms);
        if (!open.isEmpty()) {
            throw new IOException(what + " " + file + " is open to group or others (mode "
                    + PosixFilePermissions.toString(perms) + "): anyone who can read it can operate the cluster;"
                    + " run: chmod 600 " + file);
        }
    }

    /** Writes {@code text} to {@code file}, owner-only from the start, replacing it atomically. */
    static void writeOwnerOnly(Path file, String text) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp;
        try {
            tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            throw new IOException("the file system of " + dir + " has no POSIX permissions, so " + file
                    + " cannot be kept private; choose a state directory on a local Linux file system");
        }
        try {
            Files.writeString(tmp, text, StandardCharsets.US_ASCII);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (FileAlreadyExistsException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
