package org.tandemha.db;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;
import org.tandemha.api.PluginConfig;

/**
 * A database user and where its password comes from: a file ({@code passwordFile}) or an environment variable
 * ({@code passwordEnv}), read at each use so that a rotated password is picked up. The password itself never
 * appears in configuration, logs, results or exception messages.
 */
final class Credentials {
    private final String user;
    private final Path passwordFile;
    private final String passwordEnv;
    private final Function<String, String> env;

    Credentials(String user, Path passwordFile, String passwordEnv, Function<String, String> env) {
        this.user = user;
        this.passwordFile = passwordFile;
        this.passwordEnv = passwordEnv;
        this.env = env;
    }

    /** Reads {@code user}, {@code passwordFile}, {@code passwordEnv}; rejects a plain {@code password}. */
    static Credentials read(PluginConfig.Reader r, String defaultUser) {
        String user = r.string("user", defaultUser);
        String file = r.string("passwordFile", null);
        String envName = r.string("passwordEnv", null);
        if (r.has("password")) {
            r.problem("password", "a password must not be written in the configuration",
                    "put it in a file readable only by root and set passwordFile, or set passwordEnv to the name of an environment variable");
        }
        if (file != null && envName != null) {
            r.problem("passwordEnv", "both passwordFile and passwordEnv are set", "keep one of them");
        }
        if (file != null && !Path.of(file).isAbsolute()) {
            r.problem("passwordFile", "passwordFile '" + file + "' is not an absolute path", "write the full path, such as /etc/tandem/db.pass");
        }
        if (envName != null && !envName.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            r.problem("passwordEnv", "passwordEnv '" + envName + "' is not an environment variable name", "write a name such as PGPASSWORD");
        }
        return new Credentials(user, file == null ? null : Path.of(file), envName, System::getenv);
    }

    String user() {
        return user;
    }

    /** The password, or null when none is configured. */
    String password() throws CredentialException {
        if (passwordFile != null) {
            try {
                String s = Files.readString(passwordFile, StandardCharsets.UTF_8);
                int nl = s.indexOf('\n');
                return (nl >= 0 ? s.substring(0, nl) : s).replace("\r", "");
            } catch (IOException | SecurityException e) {
                throw new CredentialException("cannot read passwordFile " + passwordFile + " (" + e.getClass().getSimpleName()
                        + "); check that it exists and is readable by the Tandem process");
            }
        }
        if (passwordEnv != null) {
            String v = env.apply(passwordEnv);
            if (v == null) {
                throw new CredentialException("environment variable " + passwordEnv + " (passwordEnv) is not set in the Tandem process");
            }
            return v;
        }
        return null;
    }

    /** Removes the password from a message, in case a driver quotes it. */
    String scrub(String message) {
        if (message == null) {
            return "";
        }
        try {
            String p = password();
            if (p != null && p.length() >= 3) {
                return message.replace(p, "***");
            }
        } catch (CredentialException e) {
            // nothing to scrub
        }
        return message;
    }

    /** A password could not be obtained; the message names the source, never the secret. */
    static final class CredentialException extends Exception {
        private static final long serialVersionUID = 1L;

        CredentialException(String message) {
            super(message);
        }
    }
}
