package org.tandemha.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.tandemha.api.InvalidConfigException;

/** PLACEHOLDER for the HTTP helper's ServerSettings (the contract's signatures only; replaced at merge). */
public record ServerSettings(String listen, Path tokensFile, Path tlsCertificate, Path tlsKey, Path auditLog,
                             Path stateDir, boolean metrics, boolean jmx) {

    public static ServerSettings defaults(Path stateDir) {
        return new ServerSettings("127.0.0.1:7480", null, null, null, stateDir.resolve("audit.log"), stateDir, true, true);
    }

    public static ServerSettings fromConfig(JsonNode serverSection, Path stateDir, Path configDir) throws InvalidConfigException {
        ServerSettings d = defaults(stateDir);
        if (serverSection == null || serverSection.isMissingNode() || serverSection.isNull()) {
            return d;
        }
        return new ServerSettings(serverSection.path("listen").asText(d.listen()), null, null, null, d.auditLog(), stateDir,
                true, true);
    }
}
