package org.tandemha.core.scenarios;

import java.util.ArrayList;
import java.util.List;

/** A small line diff (longest common subsequence) printed in unified style: {@code -} expected, {@code +} actual. */
final class TextDiff {
    private static final int CONTEXT = 3;

    private TextDiff() {
    }

    static String unified(String fromName, List<String> expected, String toName, List<String> actual) {
        return unified(fromName, expected, null, toName, actual);
    }

    /** @param lineNumbers the file line of each expected line, or null to count from 1 */
    static String unified(String fromName, List<String> expected, List<Integer> lineNumbers, String toName, List<String> actual) {
        int n = expected.size();
        int m = actual.size();
        int[][] lcs = new int[n + 1][m + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = m - 1; j >= 0; j--) {
                lcs[i][j] = expected.get(i).equals(actual.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        List<String> ops = new ArrayList<>(); // each prefixed ' ', '-' or '+'
        int i = 0;
        int j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && expected.get(i).equals(actual.get(j))) {
                ops.add(" " + expected.get(i++));
                j++;
            } else if (j < m && (i == n || lcs[i][j + 1] > lcs[i + 1][j])) {
                ops.add("+" + actual.get(j++));
            } else {
                ops.add("-" + expected.get(i++));
            }
        }
        StringBuilder sb = new StringBuilder("--- ").append(fromName).append("\n+++ ").append(toName).append('\n');
        int last = -1;
        for (int k = 0; k < ops.size(); k++) {
            if (ops.get(k).charAt(0) == ' ') {
                continue;
            }
            int from = Math.max(Math.max(0, k - CONTEXT), last + 1);
            if (from > last + 1 && last >= 0 || last < 0 && from > 0) {
                int idx = lineOf(ops, from) - 1;
                int line = lineNumbers != null && idx < lineNumbers.size() ? lineNumbers.get(idx) : idx + 1;
                sb.append("@@ line ").append(line).append(" @@\n");
            }
            int to = k;
            // extend the hunk over following changes that are close enough
            int end = Math.min(ops.size() - 1, k + CONTEXT);
            for (int q = k; q <= end && q < ops.size(); q++) {
                if (ops.get(q).charAt(0) != ' ') {
                    to = q;
                    end = Math.min(ops.size() - 1, q + CONTEXT);
                }
            }
            for (int q = from; q <= end; q++) {
                sb.append(ops.get(q)).append('\n');
            }
            last = end;
            k = end;
        }
        return sb.toString();
    }

    /** The 1-based line number in the expected text at which op {@code k} sits. */
    private static int lineOf(List<String> ops, int k) {
        int line = 1;
        for (int q = 0; q < k; q++) {
            if (ops.get(q).charAt(0) != '+') {
                line++;
            }
        }
        return line;
    }
}
