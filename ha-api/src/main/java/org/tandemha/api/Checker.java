package org.tandemha.api;

/**
 * Watches a running resource. Each check has its own interval and timeout, set in the configuration.
 *
 * <ul>
 *   <li>{@link #quickCheck} is cheap and frequent: is the process there, does the socket answer?</li>
 *   <li>{@link #deepCheck} does real work: a query, a write, an HTTP request.</li>
 * </ul>
 * Neither throws for a failed check: it returns a {@link CheckResult} with a reason. An exception escaping is
 * recorded as a failed check.
 */
public interface Checker {
    /** The frequent, cheap check. */
    CheckResult quickCheck(ActionContext context);

    /** The thorough check; by default the same as the quick one. */
    default CheckResult deepCheck(ActionContext context) {
        return quickCheck(context);
    }
}
