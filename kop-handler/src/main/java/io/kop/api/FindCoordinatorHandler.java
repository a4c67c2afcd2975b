package io.kop.api;

import io.kop.KopServices;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.FindCoordinatorResponseData.Coordinator;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.pulsar.common.util.FutureUtil;

/**
 * FindCoordinator (API 10): a group's coordinator is the broker that owns its {@code __consumer_offsets}
 * partition in Pulsar (the offsets topic of the asker's tenant, see {@link io.kop.coordinator.GroupCoordinators});
 * a transactional id's, the owner of its {@code __transaction_state} partition.
 */
final class FindCoordinatorHandler implements ApiHandler<FindCoordinatorRequest> {
    private static final byte GROUP = 0;
    private static final byte TRANSACTION = 1;

    private final KopServices services;

    FindCoordinatorHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<FindCoordinatorResponseData> handle(RequestContext ctx, FindCoordinatorRequest request) {
        var data = request.data();
        boolean batched = ctx.apiVersion() >= FindCoordinatorRequest.MIN_BATCHED_VERSION;
        List<String> keys = batched ? data.coordinatorKeys() : List.of(data.key());
        List<CompletableFuture<Coordinator>> found = new ArrayList<>();
        for (String key : keys) {
            found.add(find(ctx, key, data.keyType()));
        }
        return FutureUtil.waitForAll(found).thenApply(v -> {
            FindCoordinatorResponseData response = new FindCoordinatorResponseData();
            if (batched) {
                found.forEach(f -> response.coordinators().add(f.join()));
            } else {
                Coordinator c = found.get(0).join();
                response.setErrorCode(c.errorCode()).setErrorMessage(c.errorMessage()).setNodeId(c.nodeId())
                        .setHost(c.host()).setPort(c.port());
            }
            return response;
        });
    }

    private CompletableFuture<Coordinator> find(RequestContext ctx, String key, byte keyType) {
        Coordinator c = new Coordinator().setKey(key).setNodeId(-1).setHost("").setPort(-1);
        if (keyType != GROUP && keyType != TRANSACTION) {
            return CompletableFuture.completedFuture(c.setErrorCode(Errors.INVALID_REQUEST.code())
                    .setErrorMessage("unknown coordinator key type " + keyType));
        }
        if (key == null || key.isEmpty()) {
            return CompletableFuture.completedFuture(c.setErrorCode(Errors.INVALID_REQUEST.code())
                    .setErrorMessage(keyType == GROUP ? "empty group id" : "empty transactional id"));
        }
        return services.groups().of(ctx).thenCompose(tenant -> {
            if (keyType == GROUP) {
                return tenant.offsetsTopic().ready().thenCompose(v -> services.brokers().leader(
                        tenant.offsetsTopic().partition(tenant.partitionFor().applyAsInt(key)), ctx.listenerName()));
            }
            var txns = tenant.transactions();
            if (txns == null) {
                throw Errors.COORDINATOR_NOT_AVAILABLE.exception();
            }
            return txns.topic().ready().thenCompose(v -> services.brokers().leader(
                    txns.topic().partition(txns.service().partitionFor(key)), ctx.listenerName()));
        })
                .handle((node, t) -> t != null
                        ? c.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code()).setErrorMessage(t.getMessage())
                        : c.setNodeId(node.id()).setHost(node.host()).setPort(node.port()));
    }
}
