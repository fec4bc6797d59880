package org.tandemha.server.daemon;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.tandemha.server.cli.Args;

/**
 * {@code tandem keygen}: a new cluster key ({@code hex:} and 32 random bytes, for {@code key:} in the configuration,
 * or written to a key file with {@code --out}); with {@code --token}, a line for the API's tokens file:
 * {@code NAME ROLE TOKEN}.
 */
public final class Keygen {
    static final Set<String> ROLES = Set.of("viewer", "operator", "admin");
    static final String USAGE = """
            usage: tandem keygen [--out FILE]
                   tandem keygen --token [--name NAME] [--role viewer|operator|admin]
            without --token: a new cluster key (32 random bytes) as "hex:...", for key: in the configuration;
              --out FILE writes it to a new file (mode 0600) for keyFile: instead
            with --token: a line for the API's tokens file (server.tokensFile): NAME ROLE TOKEN
              (default name: operator, role: operator)
            """;

    private Keygen() {
    }

    public static int main(List<String> args, PrintStream out, PrintStream err) throws Args.UsageException {
        Args a = Args.parse("keygen", args, Set.of("out", "name", "role"), Set.of("token"));
        if (a.help()) {
            out.print(USAGE);
            return 0;
        }
        if (!a.words().isEmpty()) {
            throw new Args.UsageException("keygen takes no arguments, got: " + String.join(" ", a.words()));
        }
        SecureRandom random = new SecureRandom();
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        if (a.flag("token")) {
            if (a.get("out") != null) {
                throw new Args.UsageException("keygen --token prints the line; append it to the tokens file yourself"
                        + " (keygen --token >> /etc/tandem/tokens)");
            }
            String name = a.get("name") == null ? "operator" : a.get("name");
            String role = a.get("role") == null ? "operator" : a.get("role");
            if (!name.matches("[A-Za-z0-9_.@-]{1,64}")) {
                throw new Args.UsageException("keygen: --name '" + name + "' must be 1-64 letters, digits or _.@-");
            }
            if (!ROLES.contains(role)) {
                throw new Args.UsageException("keygen: --role is viewer, operator or admin, not '" + role + "'");
            }
            out.println(name + " " + role + " " + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
            return 0;
        }
        if (a.get("name") != null || a.get("role") != null) {
            throw new Args.UsageException("keygen: --name and --role go with --token");
        }
        String key = "hex:" + HexFormat.of().formatHex(bytes);
        String file = a.get("out");
        if (file == null) {
            out.println(key);
            return 0;
        }
        Path p = Path.of(file);
        try {
            Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(p, key + "\n");
        } catch (FileAlreadyExistsException e) {
            err.println("tandem keygen: " + p + " exists already; a cluster key is not overwritten (remove it first if"
                    + " you mean to change the key on every node)");
            return 2;
        } catch (IOException | UnsupportedOperationException e) {
            err.println("tandem keygen: cannot write " + p + ": " + e.getMessage());
            return 2;
        }
        out.println("wrote a new cluster key to " + p + " (mode 0600); copy it to every node and name it in the"
                + " configuration with keyFile: " + p.toAbsolutePath());
        return 0;
    }
}
