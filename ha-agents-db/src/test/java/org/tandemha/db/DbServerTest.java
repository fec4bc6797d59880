package org.tandemha.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.tandemha.api.ActionResult;
import org.tandemha.api.Checker;
import org.tandemha.api.Resource;

/**
 * What the tests of a real database server share: node n1, its resource {@code db} (heartbeat writes on) started
 * before each test, and committed rows to count across crashes and moves.
 */
abstract class DbServerTest<R extends Resource & Checker> {
    final TestSupport.Node n1 = new TestSupport.Node("n1");
    R db;

    /** The server of this JVM, set up by the subclass's {@code @BeforeAll}. */
    abstract TestSupport.Server<R> serverUnderTest();

    @BeforeEach
    void running() throws Exception {
        db = serverUnderTest().resource(n1, Map.of("heartbeatWrite", true));
        ActionResult r = db.start(TestSupport.ctx(Duration.ofSeconds(60)));
        assertThat(r.isDone()).as("%s %s", r, r.output()).isTrue();
    }

    static Connection connect(TestSupport.Server<?> s) throws Exception {
        return s.connect();
    }

    static long insertRows(TestSupport.Server<?> s, int n) throws Exception {
        try (Connection c = connect(s); Statement st = c.createStatement()) {
            st.execute(s.createRowsTable());
            for (int i = 0; i < n; i++) {
                st.execute("INSERT INTO committed_rows (v) VALUES ('row " + i + "')");
            }
            return count(st);
        }
    }

    static long countRows(TestSupport.Server<?> s) throws Exception {
        try (Connection c = connect(s); Statement st = c.createStatement()) {
            return count(st);
        }
    }

    private static long count(Statement st) throws Exception {
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM committed_rows")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
