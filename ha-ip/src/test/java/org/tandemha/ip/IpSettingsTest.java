package org.tandemha.ip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.tandemha.api.InvalidConfigException;
import org.tandemha.api.PluginConfig;
import org.tandemha.api.ResourceType;

/** Configuration of the ip resource: defaults, and every bad parameter named with its fix. Pure; no network. */
class IpSettingsTest {

    private static IpSettings read(Object... kv) throws InvalidConfigException {
        Map<String, Object> params = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            params.put((String) kv[i], kv[i + 1]);
        }
        return IpSettings.read(PluginConfig.of("vip", "ip", params));
    }

    private static String problems(Object... kv) {
        try {
            read(kv);
        } catch (InvalidConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted a bad configuration");
    }

    @Test
    void defaults() throws Exception {
        IpSettings s = read("interface", "eth0", "address", "192.0.2.10/24");
        assertThat(s.ipv4()).isTrue();
        assertThat(s.text()).isEqualTo("192.0.2.10/24");
        assertThat(s.arpCount()).isEqualTo(5);
        assertThat(s.arpInterval()).isEqualTo(Duration.ofMillis(200));
        assertThat(s.probe()).isTrue();
        assertThat(s.probeTimeout()).isEqualTo(Duration.ofMillis(25));
        assertThat(s.backup()).isNull();
        assertThat(s.labelFor("eth0")).isNull();
        assertThat(s.peers()).as("the cluster's other nodes come from the node context").isEmpty();
        assertThat(s.reannounce()).isTrue();
        assertThat(s.reannounceInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.reannounceFor()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void ipv6AddressesAreShownInTheirShortForm() throws Exception {
        assertThat(read("interface", "eth0", "address", "2001:db8::16/64").text()).isEqualTo("2001:db8::16/64");
        assertThat(read("interface", "eth0", "address", "2001:db8:0:1:0:0:0:1/64").host()).isEqualTo("2001:db8:0:1::1");
        assertThat(read("interface", "eth0", "address", "2001:db8:1:0:1:0:0:1/64").host()).isEqualTo("2001:db8:1:0:1::1");
        assertThat(read("interface", "eth0", "address", "2001:db8:1:2:3:4:5:6/64").host()).isEqualTo("2001:db8:1:2:3:4:5:6");
        assertThat(read("interface", "eth0", "address", "2001:db8::/64").host()).isEqualTo("2001:db8::");
        assertThat(read("interface", "eth0", "address", "192.0.2.10/24").host()).isEqualTo("192.0.2.10");
    }

    @Test
    void reannouncementsAreBounded() throws Exception {
        IpSettings s = read("interface", "eth0", "address", "192.0.2.10/24", "reannounce", false,
                "reannounceInterval", "500ms", "reannounceFor", "2m");
        assertThat(s.reannounce()).isFalse();
        assertThat(s.reannounceInterval()).isEqualTo(Duration.ofMillis(500));
        assertThat(s.reannounceFor()).isEqualTo(Duration.ofMinutes(2));
        assertThat(problems("interface", "eth0", "address", "192.0.2.10/24", "reannounceInterval", "10ms"))
                .contains("'reannounceInterval' is shorter than 100ms").contains("1s");
        assertThat(problems("interface", "eth0", "address", "192.0.2.10/24", "reannounceInterval", "5m"))
                .contains("'reannounceInterval' is longer than a minute");
        assertThat(problems("interface", "eth0", "address", "192.0.2.10/24", "reannounceFor", "2d"))
                .contains("'reannounceFor' is longer than a day").contains("reannounce: false");
        assertThat(problems("interface", "eth0", "address", "192.0.2.10/24", "reannounceFor", "0s"))
                .contains("'reannounceFor' must be longer than zero");
    }

    @Test
    void everyParameter() throws Exception {
        IpSettings s = read("interface", "eth0", "address", "2001:db8::10/64", "backupInterface", "eth1",
                "arpCount", 3, "arpInterval", "100ms", "probe", "false", "probeTimeout", "50ms", "peers", List.of("n1"));
        assertThat(s.ipv4()).isFalse();
        assertThat(s.prefix()).isEqualTo(64);
        assertThat(s.backup()).isEqualTo("eth1");
        assertThat(s.arpCount()).isEqualTo(3);
        assertThat(s.arpInterval()).isEqualTo(Duration.ofMillis(100));
        assertThat(s.probe()).isFalse();
        assertThat(s.peers()).containsExactly("n1");
    }

    @Test
    void labelFollowsTheInterface() throws Exception {
        IpSettings s = read("interface", "eth0", "address", "192.0.2.10/24", "label", "eth0:vip", "backupInterface", "eth1");
        assertThat(s.labelFor("eth0")).isEqualTo("eth0:vip");
        assertThat(s.labelFor("eth1")).isEqualTo("eth1:vip");
    }

    @Test
    void missingParametersAreAllReported() {
        String m = problems();
        assertThat(m).contains("2 problems").contains("'interface' is missing").contains("'address' is missing");
    }

    @Test
    void malformedAddressesAndPrefixes() {
        assertThat(problems("interface", "eth0", "address", "192.0.2.300/24"))
                .contains("'192.0.2.300' is not an IPv4 or IPv6 address");
        assertThat(problems("interface", "eth0", "address", "banana/24")).contains("'banana' is not an IPv4 or IPv6");
        assertThat(problems("interface", "eth0", "address", "192.0.2.10")).contains("has no prefix length")
                .contains("192.0.2.10/24");
        assertThat(problems("interface", "eth0", "address", "192.0.2.10/33")).contains("prefix length '/33'")
                .contains("from 0 to 32");
        assertThat(problems("interface", "eth0", "address", "2001:db8::1/129")).contains("from 0 to 128");
        assertThat(problems("interface", "eth0", "address", "192.0.2.10/x")).contains("prefix length '/x'");
        assertThat(problems("interface", "eth0", "address", "224.0.0.1/24")).contains("multicast");
        assertThat(problems("interface", "eth0", "address", "0.0.0.0/0")).contains("wildcard");
        assertThat(problems("interface", "eth0", "address", "example.org/24")).contains("not an IPv4 or IPv6 address");
    }

    @Test
    void badInterfacesLabelsAndTimings() {
        String m = problems("interface", "eth0 x", "address", "192.0.2.10/24", "backupInterface", "a/b",
                "label", "averyverylonglabel", "arpCount", -1, "arpInterval", "200", "probeTimeout", "1h",
                "probe", "maybe", "colour", "blue");
        assertThat(m).contains("'eth0 x' is not a valid interface name")
                .contains("'a/b' is not a valid interface name")
                .contains("'arpCount' is -1, outside 0..100")
                .contains("the unit is required")
                .contains("'probeTimeout' is longer than 10 s")
                .contains("'probe' is 'maybe', not true or false")
                .contains("unknown parameter 'colour'");
        assertThat(problems("interface", "eth0", "address", "192.0.2.10/24", "label", "averyverylonglabel"))
                .contains("'eth0:averyverylonglabel' is longer than 15 characters");
        assertThat(problems("interface", "eth0", "address", "2001:db8::1/64", "label", "vip"))
                .contains("labels exist for IPv4 addresses only");
        assertThat(problems("interface", "eth0", "address", "192.0.2.10/24", "backupInterface", "eth0"))
                .contains("the backup interface is the same");
    }

    @Test
    void theTypeIsFoundThroughServiceLoaderAndBuildsAllThreeParts() throws Exception {
        ResourceType type = ServiceLoader.load(ResourceType.class).stream().map(ServiceLoader.Provider::get)
                .filter(t -> t.name().equals("ip")).findFirst().orElseThrow();
        var parts = type.create(PluginConfig.of("vip", "ip", Map.of("interface", "eth0", "address", "192.0.2.10/24")),
                new FakeNodeContext("n1", e -> { }));
        assertThat(parts.resource()).isInstanceOf(org.tandemha.api.PeerAware.class);
        assertThat(parts.checker()).isSameAs(parts.resource());
        assertThat(parts.recoverer()).isSameAs(parts.resource());
        assertThatThrownBy(() -> type.create(PluginConfig.of("vip", "ip", Map.of()), new FakeNodeContext("n1", e -> { })))
                .isInstanceOf(InvalidConfigException.class);
    }

    @Test
    void refreshProbeModeAndBroadcast() throws Exception {
        IpSettings d = read("interface", "eth0", "address", "192.0.2.10/24");
        assertThat(d.refreshInterval()).isEqualTo(Duration.ZERO);
        assertThat(d.rfc5227()).isFalse();
        assertThat(d.broadcast()).containsExactly(192, 0, 2, (byte) 255);
        assertThat(read("interface", "eth0", "address", "198.51.100.9/29").broadcast()).containsExactly(198, 51, 100, 15);
        assertThat(read("interface", "eth0", "address", "192.0.2.10/31").broadcast()).isNull();
        assertThat(read("interface", "eth0", "address", "2001:db8::16/64").broadcast()).isNull();
        IpSettings s = read("interface", "eth0", "address", "192.0.2.10/24", "refreshInterval", "30s", "probeMode", "rfc5227");
        assertThat(s.refreshInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.rfc5227()).isTrue();
        assertThat(IpSettings.RFC5227_LONGEST).isEqualTo(Duration.ofSeconds(7));
        assertThat(problems("interface", "eth0", "address", "192.0.2.10/24", "refreshInterval", "100ms"))
                .contains("refreshInterval").contains("shorter than 1 s");
        assertThat(problems("interface", "eth0", "address", "192.0.2.10/24", "probeMode", "slow")).contains("probeMode");
        assertThat(problems("interface", "eth0", "address", "192.0.2.10/24", "probeMode", "rfc5227", "probe", false))
                .contains("probeMode rfc5227 with probe: false");
    }
}
