package io.kop.api;

import io.kop.KopServices;
import io.kop.topic.BrokerLookup.KafkaNode;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeClusterResponseData.DescribeClusterBroker;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeClusterRequest;

/** DescribeCluster (API 60): the brokers running KoP; this broker answers as controller. */
final class DescribeClusterHandler implements ApiHandler<DescribeClusterRequest> {
    private static final byte BROKER_ENDPOINTS = 1;

    private final KopServices services;

    DescribeClusterHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<DescribeClusterResponseData> handle(RequestContext ctx, DescribeClusterRequest request) {
        if (ctx.apiVersion() >= 1 && request.data().endpointType() != BROKER_ENDPOINTS) {
            return CompletableFuture.completedFuture(new DescribeClusterResponseData()
                    .setEndpointType(request.data().endpointType())
                    .setErrorCode(Errors.UNSUPPORTED_ENDPOINT_TYPE.code())
                    .setErrorMessage("KoP brokers serve broker endpoints only"));
        }
        KafkaNode self = services.brokers().self(ctx.listenerName());
        return services.brokers().allNodes(ctx.listenerName()).thenApply(nodes -> {
            DescribeClusterResponseData response = new DescribeClusterResponseData()
                    .setClusterId(services.config().clusterId()).setControllerId(self.id())
                    .setEndpointType(BROKER_ENDPOINTS);
            for (KafkaNode n : nodes) {
                response.brokers().add(new DescribeClusterBroker().setBrokerId(n.id()).setHost(n.host())
                        .setPort(n.port()));
            }
            return response;
        });
    }
}
