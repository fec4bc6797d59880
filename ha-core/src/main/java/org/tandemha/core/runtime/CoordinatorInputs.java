package org.tandemha.core.runtime;

import java.util.Map;
import java.util.function.Consumer;
import org.tandemha.api.Coordinator;
import org.tandemha.core.engine.Input;

/** Turns what the coordination service reports into the engine's inputs (it acts on the engine only through them). */
final class CoordinatorInputs implements Coordinator.Listener {
    private final Consumer<Input> submit;

    CoordinatorInputs(Consumer<Input> submit) {
        this.submit = submit;
    }

    @Override
    public void granted(String group, long token) {
        submit.accept(new Input.LeaseGranted(group, token));
    }

    @Override
    public void lost(String group, String reason) {
        submit.accept(new Input.LeaseLost(group, reason));
    }

    @Override
    public void suspended(String reason) {
        submit.accept(new Input.SessionSuspended(reason));
    }

    @Override
    public void verified(Map<String, Long> leases) {
        submit.accept(new Input.SessionVerified(leases));
    }
}
