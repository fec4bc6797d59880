package org.tandemha.core.agents;

import java.io.StringReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * What an OCF agent says about itself in its {@code meta-data} XML: its parameters (required or not, of which type)
 * and its actions with their advised timeouts and intervals.
 */
record OcfMetadata(String name, List<Param> params, List<ActionInfo> actions) {
    private static final Pattern TIME = Pattern.compile("\\s*(\\d+)\\s*(ms|msec|s|sec|m|min|h|hr)?\\s*", Pattern.CASE_INSENSITIVE);

    /** One parameter. {@code type} is string, integer, boolean, select (OCF 1.1), or what the agent wrote. */
    record Param(String name, boolean required, String type, String dflt, List<String> options, String shortdesc) {
    }

    /** One action: {@code depth} only for monitor (0 when absent); timeout and interval when advised. */
    record ActionInfo(String name, int depth, Duration timeout, Duration interval) {
    }

    Optional<Param> param(String name) {
        return params.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** Whether the agent lists this action in its meta-data. */
    boolean has(String action) {
        return actions.stream().anyMatch(x -> x.name().equals(action));
    }

    /** The advised timeout of an action; for monitor, the one of that depth, else any monitor's. */
    Optional<Duration> timeout(String action, int depth) {
        return find(action, depth).map(ActionInfo::timeout);
    }

    /** The advised interval of a monitor of that depth. */
    Optional<Duration> interval(String action, int depth) {
        return find(action, depth).map(ActionInfo::interval);
    }

    private Optional<ActionInfo> find(String action, int depth) {
        Optional<ActionInfo> exact = actions.stream().filter(a -> a.name().equals(action) && a.depth() == depth).findFirst();
        return exact.isPresent() ? exact : actions.stream().filter(a -> a.name().equals(action)).findFirst();
    }

    /** Parses the XML; throws IllegalArgumentException naming what is wrong. */
    static OcfMetadata parse(String xml) {
        Document doc;
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(false);
            f.setValidating(false);
            f.setExpandEntityReferences(false);
            f.setXIncludeAware(false);
            // agents declare <!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">: never fetch it
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(null);
            doc = b.parse(new InputSource(new StringReader(xml)));
        } catch (Exception e) {
            throw new IllegalArgumentException("its meta-data is not valid XML: " + e.getMessage(), e);
        }
        Element root = doc.getDocumentElement();
        if (root == null || !root.getTagName().equals("resource-agent")) {
            throw new IllegalArgumentException("its meta-data has no <resource-agent> element");
        }
        List<Param> params = new ArrayList<>();
        NodeList ps = root.getElementsByTagName("parameter");
        for (int i = 0; i < ps.getLength(); i++) {
            Element p = (Element) ps.item(i);
            String name = p.getAttribute("name");
            if (name.isEmpty()) {
                continue;
            }
            boolean required = isTrue(p.getAttribute("required"));
            String type = "string";
            String dflt = null;
            List<String> options = new ArrayList<>();
            NodeList cs = p.getElementsByTagName("content");
            if (cs.getLength() > 0) {
                Element c = (Element) cs.item(0);
                type = c.getAttribute("type").isEmpty() ? "string" : c.getAttribute("type").toLowerCase(Locale.ROOT);
                dflt = c.hasAttribute("default") ? c.getAttribute("default") : null;
                NodeList os = c.getElementsByTagName("option");
                for (int j = 0; j < os.getLength(); j++) {
                    options.add(((Element) os.item(j)).getAttribute("value"));
                }
            }
            NodeList sd = p.getElementsByTagName("shortdesc");
            String shortdesc = sd.getLength() > 0 ? sd.item(0).getTextContent().trim() : "";
            params.add(new Param(name, required, type, dflt, List.copyOf(options), shortdesc));
        }
        List<ActionInfo> actions = new ArrayList<>();
        NodeList as = root.getElementsByTagName("action");
        for (int i = 0; i < as.getLength(); i++) {
            Element a = (Element) as.item(i);
            String name = a.getAttribute("name");
            if (name.isEmpty()) {
                continue;
            }
            int depth = 0;
            try {
                depth = a.getAttribute("depth").isEmpty() ? 0 : Integer.parseInt(a.getAttribute("depth").trim());
            } catch (NumberFormatException e) {
                // an odd depth counts as 0
            }
            actions.add(new ActionInfo(name, depth, time(a.getAttribute("timeout")), time(a.getAttribute("interval"))));
        }
        return new OcfMetadata(root.getAttribute("name"), List.copyOf(params), List.copyOf(actions));
    }

    /** An OCF time: a number with an optional unit; a bare number is seconds (as Pacemaker reads it). */
    static Duration time(String s) {
        if (s == null || s.isBlank()) {
            return null;
        }
        Matcher m = TIME.matcher(s);
        if (!m.matches()) {
            return null;
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
        return switch (unit) {
            case "ms", "msec" -> Duration.ofMillis(n);
            case "m", "min" -> Duration.ofMinutes(n);
            case "h", "hr" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }

    /** Pacemaker's notion of a true value. */
    static boolean isTrue(String s) {
        return s != null && switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "y", "on" -> true;
            default -> false;
        };
    }

    /** Whether a value is a boolean Pacemaker understands. */
    static boolean isBoolean(String s) {
        return s != null && switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "1", "true", "yes", "y", "on", "0", "false", "no", "n", "off" -> true;
            default -> false;
        };
    }
}
