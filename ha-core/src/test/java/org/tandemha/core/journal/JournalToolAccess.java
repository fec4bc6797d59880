package org.tandemha.core.journal;

import java.io.PrintStream;

/** Runs {@link JournalTool} from tests in other packages without exiting the JVM. */
public final class JournalToolAccess {
    private JournalToolAccess() {
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        return JournalTool.run(args, out, err);
    }
}
