package io.kop.api;

import io.kop.KopServices;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.InitProducerIdRequest;

/**
 * InitProducerId (API 22). Idempotent producers get a cluster-unique producer id, or the next epoch of
 * the id they already have (KIP-360). A transactional id goes to the tenant's transaction coordinator,
 * which bumps the id's epoch (fencing older producers of it) and aborts the transaction it left open.
 * Served up to v5: v6 adds two-phase commit with an external transaction manager (KIP-939).
 */
final class InitProducerIdHandler implements ApiHandler<InitProducerIdRequest> {
    private final KopServices services;

    InitProducerIdHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<InitProducerIdResponseData> handle(RequestContext ctx, InitProducerIdRequest request) {
        var data = request.data();
        if (data.transactionalId() != null) {
            return services.groups().of(ctx).thenCompose(t -> {
                if (t.transactions() == null) {
                    throw Errors.COORDINATOR_NOT_AVAILABLE.exception();
                }
                return t.transactions().service().initProducerId(data.transactionalId(),
                        data.transactionTimeoutMs(), data.producerId(), data.producerEpoch());
            });
        }
        if (data.producerId() != RecordBatch.NO_PRODUCER_ID && data.producerEpoch() >= 0
                && data.producerEpoch() < Short.MAX_VALUE - 1) {
            return CompletableFuture.completedFuture(new InitProducerIdResponseData()
                    .setProducerId(data.producerId()).setProducerEpoch((short) (data.producerEpoch() + 1)));
        }
        return services.producerIds().nextId().thenApply(id -> new InitProducerIdResponseData()
                .setProducerId(id).setProducerEpoch((short) 0));
    }
}
