package org.tandemha.server.log;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.spi.MDCAdapter;

/**
 * The MDC per thread, not inherited by threads started under it (as in Logback): a thread started while an event
 * is logged must not carry that event's group and resource into its own later lines.
 */
final class ThreadLocalMdc implements MDCAdapter {
    private final ThreadLocal<Map<String, String>> map = new ThreadLocal<>();
    private final ThreadLocal<Map<String, Deque<String>>> stacks = new ThreadLocal<>();

    @Override
    public void put(String key, String val) {
        if (key == null) {
            throw new IllegalArgumentException("MDC key cannot be null");
        }
        Map<String, String> m = map.get();
        if (m == null) {
            m = new HashMap<>();
            map.set(m);
        }
        m.put(key, val);
    }

    @Override
    public String get(String key) {
        Map<String, String> m = map.get();
        return m == null || key == null ? null : m.get(key);
    }

    @Override
    public void remove(String key) {
        Map<String, String> m = map.get();
        if (m != null) {
            m.remove(key);
        }
    }

    @Override
    public void clear() {
        map.remove();
    }

    @Override
    public Map<String, String> getCopyOfContextMap() {
        Map<String, String> m = map.get();
        return m == null ? null : new HashMap<>(m);
    }

    @Override
    public void setContextMap(Map<String, String> contextMap) {
        if (contextMap == null) {
            map.remove();
        } else {
            map.set(new HashMap<>(contextMap));
        }
    }

    @Override
    public void pushByKey(String key, String value) {
        Map<String, Deque<String>> s = stacks.get();
        if (s == null) {
            s = new HashMap<>();
            stacks.set(s);
        }
        s.computeIfAbsent(key, k -> new ArrayDeque<>()).push(value);
    }

    @Override
    public String popByKey(String key) {
        Map<String, Deque<String>> s = stacks.get();
        Deque<String> d = s == null ? null : s.get(key);
        return d == null ? null : d.poll();
    }

    @Override
    public Deque<String> getCopyOfDequeByKey(String key) {
        Map<String, Deque<String>> s = stacks.get();
        Deque<String> d = s == null ? null : s.get(key);
        return d == null ? null : new ArrayDeque<>(d);
    }

    @Override
    public void clearDequeByKey(String key) {
        Map<String, Deque<String>> s = stacks.get();
        if (s != null && s.get(key) != null) {
            s.get(key).clear();
        }
    }
}
