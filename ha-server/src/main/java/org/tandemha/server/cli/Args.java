package org.tandemha.server.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A subcommand's arguments: {@code --name value} (or {@code --name=value}) options, flags, and the words left.
 * Every mistake is a {@link UsageException} naming the option and what it expects.
 */
public final class Args {
    private final Map<String, String> options = new LinkedHashMap<>();
    private final List<String> words = new ArrayList<>();
    private final boolean help;

    private Args(boolean help) {
        this.help = help;
    }

    /**
     * Parses {@code args}.
     *
     * @param valued the options that take a value (without {@code --})
     * @param flags  the options that take none
     */
    public static Args parse(String command, List<String> args, Set<String> valued, Set<String> flags) throws UsageException {
        boolean help = args.contains("--help") || args.contains("-h");
        Args a = new Args(help);
        for (int i = 0; i < args.size(); i++) {
            String s = args.get(i);
            if (s.equals("--help") || s.equals("-h")) {
                continue;
            }
            if (s.startsWith("--")) {
                String name = s.substring(2);
                String value = null;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                if (flags.contains(name) && value == null) {
                    a.options.put(name, "true");
                } else if (valued.contains(name)) {
                    if (value == null) {
                        if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
                            throw new UsageException(command + ": --" + name + " needs a value");
                        }
                        value = args.get(++i);
                    }
                    if (a.options.put(name, value) != null) {
                        throw new UsageException(command + ": --" + name + " is given twice");
                    }
                } else if (!help) {
                    List<String> known = new ArrayList<>();
                    valued.forEach(v -> known.add("--" + v));
                    flags.forEach(v -> known.add("--" + v));
                    throw new UsageException(command + ": unknown option --" + name
                            + (known.isEmpty() ? " (it takes none)" : "; it takes " + String.join(", ", known.stream().sorted().toList())));
                }
            } else {
                a.words.add(s);
            }
        }
        return a;
    }

    public boolean help() {
        return help;
    }

    public String get(String name) {
        return options.get(name);
    }

    public String require(String command, String name, String what) throws UsageException {
        String v = options.get(name);
        if (v == null || v.isBlank()) {
            throw new UsageException(command + ": --" + name + " " + what + " is required");
        }
        return v;
    }

    public boolean flag(String name) {
        return options.containsKey(name);
    }

    public List<String> words() {
        return words;
    }

    /** A mistake in the command line: printed with the command's usage, exit code 2. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message, null, false, false);
        }
    }
}
