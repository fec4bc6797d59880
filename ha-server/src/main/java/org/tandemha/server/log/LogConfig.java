package org.tandemha.server.log;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.slf4j.event.Level;

/**
 * The levels: {@code conf/logging.properties} (the file {@code -Dtandem.log.config} names), with {@code level} for
 * every logger and {@code level.NAME} for a logger and those under it (the longest name that matches wins);
 * {@code -Dtandem.log.level} overrides {@code level}. Without a file: INFO, and WARN for {@code io.netty}. A value
 * that is not a level is reported once on standard error with the fix, and the default kept: logging never stops a
 * node from starting.
 */
final class LogConfig {
    static final String FILE_PROPERTY = "tandem.log.config";
    static final String LEVEL_PROPERTY = "tandem.log.level";
    /** Above ERROR: nothing is logged. */
    static final int OFF = Level.ERROR.toInt() + 10;

    private final int root;
    private final TreeMap<String, Integer> byName;

    LogConfig(int root, Map<String, Integer> byName) {
        this.root = root;
        this.byName = new TreeMap<>(byName);
    }

    static LogConfig load(PrintStream err) {
        Properties p = new Properties();
        String file = System.getProperty(FILE_PROPERTY);
        if (file == null || file.isBlank()) {
            p.setProperty("level.io.netty", "WARN");
        } else {
            try (Reader r = Files.newBufferedReader(Path.of(file))) {
                p.load(r);
            } catch (IOException | RuntimeException e) {
                err.println("tandem: cannot read the logging configuration " + file + " (" + e
                        + "): logging at INFO; fix the file or the -D" + FILE_PROPERTY + " option");
            }
        }
        String override = System.getProperty(LEVEL_PROPERTY);
        if (override != null && !override.isBlank()) {
            p.setProperty("level", override);
        }
        return parse(p, file == null ? "-D" + LEVEL_PROPERTY : file, err);
    }

    static LogConfig parse(Properties p, String source, PrintStream err) {
        int root = Level.INFO.toInt();
        Map<String, Integer> byName = new TreeMap<>();
        for (String key : p.stringPropertyNames()) {
            String value = p.getProperty(key).trim();
            if (!key.equals("level") && !key.startsWith("level.")) {
                err.println("tandem: " + source + ": unknown setting `" + key + "` (ignored): the settings are `level` "
                        + "and `level.LOGGER`");
                continue;
            }
            Integer level = level(value);
            if (level == null) {
                err.println("tandem: " + source + ": `" + key + " = " + value + "` is not a level (ignored): use one of "
                        + "TRACE, DEBUG, INFO, WARN, ERROR, OFF");
                continue;
            }
            if (key.equals("level")) {
                root = level;
            } else {
                byName.put(key.substring("level.".length()), level);
            }
        }
        return new LogConfig(root, byName);
    }

    private static Integer level(String s) {
        String u = s.toUpperCase(Locale.ROOT);
        if (u.equals("OFF")) {
            return OFF;
        }
        for (Level l : Level.values()) {
            if (l.name().equals(u)) {
                return l.toInt();
            }
        }
        return u.equals("WARNING") ? Level.WARN.toInt() : null;
    }

    /** The threshold of the logger NAME: that of the longest configured name equal to it or a prefix ending at a dot. */
    int levelOf(String name) {
        String n = name;
        while (true) {
            Integer l = byName.get(n);
            if (l != null) {
                return l;
            }
            int dot = n.lastIndexOf('.');
            if (dot < 0) {
                return root;
            }
            n = n.substring(0, dot);
        }
    }
}
