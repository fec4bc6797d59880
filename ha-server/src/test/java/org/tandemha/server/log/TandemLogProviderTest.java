package org.tandemha.server.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.event.Level;

class TandemLogProviderTest {
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

    private LogConfig parse(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return LogConfig.parse(p, "conf/logging.properties", err);
    }

    @Test
    void theLongestConfiguredNameWins() {
        LogConfig c = parse("level", "WARN", "level.io.netty", "ERROR", "level.io.netty.channel", "debug");
        assertThat(c.levelOf("org.tandemha.core.Engine")).isEqualTo(Level.WARN.toInt());
        assertThat(c.levelOf("io.netty.util.ResourceLeakDetector")).isEqualTo(Level.ERROR.toInt());
        assertThat(c.levelOf("io.netty.channel.epoll.Epoll")).isEqualTo(Level.DEBUG.toInt());
        assertThat(c.levelOf("io.nettyx.Other")).isEqualTo(Level.WARN.toInt()); // a prefix ends at a dot
        assertThat(errBytes.size()).isZero();
    }

    @Test
    void aBadValueOrKeyIsReportedWithTheFixAndIgnored() {
        LogConfig c = parse("level", "LOUD", "lvl.io.netty", "WARN");
        assertThat(c.levelOf("any")).isEqualTo(Level.INFO.toInt());
        String e = errBytes.toString(StandardCharsets.UTF_8);
        assertThat(e).contains("conf/logging.properties: `level = LOUD` is not a level (ignored): use one of TRACE, DEBUG, "
                + "INFO, WARN, ERROR, OFF").contains("unknown setting `lvl.io.netty` (ignored)");
    }

    @Test
    void aLineHasTheTimeLevelMdcFieldsLoggerMessageAndStackTrace() {
        ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
        ThreadLocalMdc mdc = new ThreadLocalMdc();
        LineWriter w = new LineWriter(new PrintStream(outBytes, true, StandardCharsets.UTF_8), mdc);
        TandemLogProvider.LoggerFactory f = new TandemLogProvider.LoggerFactory(parse("level.quiet", "OFF"), w);
        Logger log = f.getLogger("org.tandemha.core.Engine");
        mdc.put("tandem.node", "node1");
        mdc.put("tandem.event", "RESOURCE_STARTED");
        mdc.put("tandem.group", "web");
        mdc.put("tandem.resource", "app");
        log.info("started {} in {} ms", "app", 12);
        mdc.clear();
        mdc.put("node", "node2");
        log.warn("failed {}", "x", new IllegalStateException("boom"));
        log.debug("not shown");
        f.getLogger("quiet.Thing").error("not shown either");
        String[] lines = outBytes.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines[0]).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S* INFO  \\[node1\\] RESOURCE_STARTED "
                + "web/app Engine: started app in 12 ms");
        assertThat(lines[1]).endsWith(" WARN  [node2] - -/- Engine: failed x");
        assertThat(lines[2]).isEqualTo("java.lang.IllegalStateException: boom");
        assertThat(outBytes.toString(StandardCharsets.UTF_8)).doesNotContain("not shown");
    }

    @Test
    void threadsStartedUnderAnMdcDoNotInheritIt() throws Exception {
        ThreadLocalMdc mdc = new ThreadLocalMdc();
        mdc.put("tandem.group", "web");
        String[] seen = new String[1];
        Thread t = new Thread(() -> seen[0] = mdc.get("tandem.group"));
        t.start();
        t.join();
        assertThat(seen[0]).isNull();
        assertThat(mdc.getCopyOfContextMap()).containsEntry("tandem.group", "web");
    }
}
