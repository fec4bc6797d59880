package org.tandemha.api;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A configuration was rejected. It carries every problem found, not only the first, each naming the field and the
 * fix. Its message is meant to be printed to the operator as it is, without a stack trace.
 */
public class InvalidConfigException extends Exception {
    private static final long serialVersionUID = 1L;
    /** Every problem found, in the order found. */
    private final List<Problem> problems;

    /** Creates the exception from one or more problems. */
    public InvalidConfigException(List<Problem> problems) {
        super(render(problems));
        this.problems = List.copyOf(problems);
    }

    /** A single problem. */
    public InvalidConfigException(String field, String message, String fix) {
        this(List.of(new Problem(field, message, fix)));
    }

    /** Every problem found. */
    public List<Problem> problems() {
        return problems;
    }

    private static String render(List<Problem> problems) {
        if (problems.isEmpty()) {
            return "invalid configuration";
        }
        return "invalid configuration, " + problems.size() + (problems.size() == 1 ? " problem" : " problems") + ":\n"
                + problems.stream().map(p -> "  - " + p).collect(Collectors.joining("\n"));
    }
}
