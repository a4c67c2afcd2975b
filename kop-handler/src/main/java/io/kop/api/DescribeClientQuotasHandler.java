package io.kop.api;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.DescribeClientQuotasResponseData;
import org.apache.kafka.common.requests.DescribeClientQuotasRequest;

/**
 * DescribeClientQuotas (API 48): KoP sets no Kafka client quotas (AlterClientQuotas is not served), so
 * every filter matches nothing. {@code kafka-configs --describe --entity-type users} asks this beside the
 * users' SCRAM credentials. Superusers only.
 */
final class DescribeClientQuotasHandler implements ApiHandler<DescribeClientQuotasRequest> {
    @Override
    public CompletableFuture<DescribeClientQuotasResponseData> handle(RequestContext ctx,
                                                                      DescribeClientQuotasRequest request) {
        return CompletableFuture.completedFuture(new DescribeClientQuotasResponseData().setEntries(List.of()));
    }
}
