package io.kop.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.errors.CoordinatorNotAvailableException;
import org.junit.jupiter.api.Test;

class GroupCoordinatorsTest {
    private final List<String> started = new ArrayList<>();
    private final List<String> closed = new ArrayList<>();

    private GroupCoordinators.Tenant start(String tenant) {
        started.add(tenant);
        // a group service that only knows how to close
        GroupService groups = (GroupService) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {GroupService.class}, (proxy, method, args) -> {
                    if (method.getName().equals("close")) {
                        closed.add(tenant + " groups");
                        return null;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        return new GroupCoordinators.Tenant(tenant, null, groups, g -> 0, null, () -> closed.add(tenant), null);
    }

    private GroupCoordinators coordinators(Set<String> existing) {
        return new GroupCoordinators(true, "public", this::start,
                t -> CompletableFuture.completedFuture(existing.contains(t)));
    }

    @Test
    void eachExistingTenantGetsOneCoordinator() {
        GroupCoordinators c = coordinators(Set.of("acme", "globex"));
        GroupCoordinators.Tenant acme = c.forTenant("acme").join();
        assertSame(acme, c.forTenant("acme").join());
        assertEquals("globex", c.forTenant("globex").join().name());
        assertEquals("public", c.forTenant("public").join().name(), "the metadata tenant needs no lookup");
        assertEquals(List.of("acme", "globex", "public"), started);
    }

    @Test
    void aTenantPulsarDoesNotHaveGetsNoCoordinator() {
        GroupCoordinators c = coordinators(Set.of());
        CompletionException e = assertThrows(CompletionException.class, () -> c.forTenant("nosuch").join());
        assertInstanceOf(CoordinatorNotAvailableException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("nosuch"), e.getCause().getMessage());
        assertTrue(started.isEmpty());
    }

    @Test
    void startingMayAskForTheSameTenantAgain() {
        // an ownership listener registered while a tenant starts is told of bundles at once
        AtomicReference<CompletableFuture<GroupCoordinators.Tenant>> inner = new AtomicReference<>();
        AtomicReference<GroupCoordinators> self = new AtomicReference<>();
        GroupCoordinators c = new GroupCoordinators(true, "public", t -> {
            inner.set(self.get().forTenant(t));
            return start(t);
        }, t -> CompletableFuture.completedFuture(true));
        self.set(c);
        GroupCoordinators.Tenant acme = c.forTenant("acme").join();
        assertSame(acme, inner.get().join());
        assertEquals(List.of("acme"), started);
    }

    @Test
    void closeStopsEveryTenantAndRefusesNewOnes() {
        GroupCoordinators c = coordinators(Set.of("acme"));
        c.forTenant("acme").join();
        c.forTenant("public").join();
        c.close();
        assertEquals(Set.of("acme", "acme groups", "public", "public groups"), Set.copyOf(closed));
        assertThrows(CompletionException.class, () -> c.forTenant("acme").join());
    }
}
