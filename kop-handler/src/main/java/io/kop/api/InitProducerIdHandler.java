package io.kop.api;

import io.kop.KopServices;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.InitProducerIdRequest;

/**
 * InitProducerId (API 22) for idempotent producers: a cluster-unique producer id, or the next epoch of
 * the id the producer already has (KIP-360). Transactional ids are refused with INVALID_REQUEST:
 * transactions are not implemented yet (a transactional client stops earlier, at FindCoordinator,
 * which is not advertised).
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
            return CompletableFuture.completedFuture(new InitProducerIdResponseData().setProducerId(-1)
                    .setProducerEpoch((short) -1).setErrorCode(Errors.INVALID_REQUEST.code()));
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
