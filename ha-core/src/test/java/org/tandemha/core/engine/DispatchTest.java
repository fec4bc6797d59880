package org.tandemha.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every kind of input, action and wire message reaches its own handler method: the compiler makes each handler
 * decide every kind (one method per kind); this test makes sure no kind calls another kind's method.
 */
class DispatchTest {
    @Test
    void everyInputKindReachesItsOwnMethod() throws Exception {
        assertOwnMethods(Input.class, Input.Handler.class);
    }

    @Test
    void everyActionKindReachesItsOwnMethod() throws Exception {
        assertOwnMethods(Action.class, Action.Handler.class);
    }

    @Test
    void everyWireMessageKindReachesItsOwnMethod() throws Exception {
        assertOwnMethods(Wire.Message.class, Wire.Message.Handler.class);
    }

    private static void assertOwnMethods(Class<?> sealed, Class<?> handler) throws Exception {
        Class<?>[] kinds = sealed.getPermittedSubclasses();
        assertThat(kinds).isNotEmpty();
        assertThat(handler.getDeclaredMethods()).hasSameSizeAs(kinds);
        Set<String> seen = new HashSet<>();
        for (Class<?> kind : kinds) {
            List<Method> called = new ArrayList<>();
            Object h = Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[] {handler}, (p, m, args) -> {
                called.add(m);
                return null;
            });
            Object instance = instance(kind);
            sealed.getMethod("dispatch", handler).invoke(instance, h);
            assertThat(called).as(kind.getSimpleName()).hasSize(1);
            Method m = called.get(0);
            assertThat(m.getParameterTypes()).as(kind.getSimpleName()).containsExactly(kind);
            assertThat(seen.add(m.getName())).as(kind.getSimpleName() + " shares " + m.getName()).isTrue();
        }
    }

    /** A record of the kind with default component values (nulls, zeros, false). */
    private static Object instance(Class<?> kind) throws Exception {
        RecordComponent[] rc = kind.getRecordComponents();
        Class<?>[] types = new Class<?>[rc.length];
        Object[] args = new Object[rc.length];
        for (int i = 0; i < rc.length; i++) {
            types[i] = rc[i].getType();
            args[i] = types[i] == long.class ? 0L : types[i] == int.class ? 0 : types[i] == boolean.class ? false : null;
        }
        var c = kind.getDeclaredConstructor(types);
        c.setAccessible(true);
        return c.newInstance(args);
    }
}
