package org.tandemha.server.daemon;

import java.io.PrintStream;
import java.util.List;
import java.util.Set;
import org.tandemha.server.cli.Args;

/** {@code tandem version}: this build's version, and the Java that runs it. */
public final class Version {
    private Version() {
    }

    /** The version from the jar's manifest, or "development build" when run from classes. */
    public static String version() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v == null ? "development build" : v;
    }

    public static int main(List<String> args, PrintStream out, PrintStream err) throws Args.UsageException {
        Args a = Args.parse("version", args, Set.of(), Set.of());
        if (a.help()) {
            out.println("usage: tandem version\nprints this tandem's version and the Java that runs it");
            return 0;
        }
        if (!a.words().isEmpty()) {
            throw new Args.UsageException("version takes no arguments");
        }
        out.println("tandem " + version() + " (Java " + Runtime.version() + ", " + System.getProperty("java.vm.name") + ")");
        return 0;
    }
}
