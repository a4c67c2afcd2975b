package io.kop.api;

import io.kop.KopServices;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupResponse;

/** LeaveGroup (API 13): v0-2 name one member at the top level, the coordinator takes the v3+ member list. */
final class LeaveGroupHandler implements ApiHandler<LeaveGroupRequest> {
    private final KopServices services;

    LeaveGroupHandler(KopServices services) {
        this.services = services;
    }

    @Override
    public CompletableFuture<LeaveGroupResponseData> handle(RequestContext ctx, LeaveGroupRequest request) {
        return services.groups().leaveGroup(ctx, request.normalizedData()).thenApply(r -> new LeaveGroupResponse(
                r.members(), Errors.forCode(r.errorCode()), r.throttleTimeMs(), ctx.apiVersion()).data());
    }
}
