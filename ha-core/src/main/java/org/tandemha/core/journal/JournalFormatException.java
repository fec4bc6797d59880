package org.tandemha.core.journal;

import java.io.IOException;

/**
 * A journal that this code cannot read: a segment of a newer format, an unknown input kind, or a malformed line in
 * the middle of a segment. The message names the file, the line where known, and what to do.
 */
public final class JournalFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public JournalFormatException(String message) {
        super(message);
    }
}
