package org.tandemha.examples.embed;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Once the repository's README walks through the embedding example (it names HelloServiceType), the code it shows
 * must be the code that runs: every block between README-BEGIN and README-END in these sources, as is.
 */
class ReadmeTest {
    private static final Path SRC = Path.of("src/main/java/org/tandemha/examples/embed");

    static List<String> blocks(Path file) throws Exception {
        List<String> lines = Files.readAllLines(file);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).strip().equals("// README-BEGIN")) {
                int indent = lines.get(i).indexOf('/');
                List<String> block = new ArrayList<>();
                for (int j = i + 1; !lines.get(j).strip().equals("// README-END"); j++) {
                    String l = lines.get(j);
                    block.add(l.length() >= indent ? l.substring(indent) : l.strip());
                }
                out.add(String.join("\n", block));
            }
        }
        return out;
    }

    @Test
    void theReadmeShowsTheCodeThatRuns() throws Exception {
        List<String> blocks = new ArrayList<>();
        blocks.addAll(blocks(SRC.resolve("HelloServiceType.java")));
        blocks.addAll(blocks(SRC.resolve("HelloCluster.java")));
        assertThat(blocks).hasSize(3);
        Path readme = Path.of("../README.md");
        if (!Files.exists(readme) || !Files.readString(readme).contains("HelloServiceType")) {
            return; // built outside the repository, or the README does not walk through the example (yet)
        }
        String text = Files.readString(readme);
        for (String b : blocks) {
            assertThat(text).as("README.md must show this code of the embedding example as is").contains(b);
        }
    }
}
