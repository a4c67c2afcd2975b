package io.kop.network;

import io.kop.api.ApiDispatcher;
import io.kop.api.ConnectionState;
import io.kop.stats.PulsarStats;
import io.kop.api.RequestContext;
import io.kop.security.Access;
import io.kop.security.ListenerSecurity;
import io.kop.security.Principal;
import io.kop.security.SaslAuthenticator;
import io.kop.topic.TopicResolver;
import io.kop.metrics.RequestMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.message.SaslAuthenticateResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Kafka client connection: decodes each frame into a request, hands it to the dispatcher and writes
 * the responses strictly in request order, however the futures complete. Runs on the channel's event
 * loop; handlers complete their futures on any thread.
 */
final class KafkaConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(KafkaConnection.class);

    private static final boolean TRACING_LEAKS = io.netty.util.ResourceLeakDetector.getLevel().ordinal()
            >= io.netty.util.ResourceLeakDetector.Level.ADVANCED.ordinal();
    private final ApiDispatcher dispatcher;
    private final RequestMetrics metrics;
    private final String listenerName;
    private final int maxPending;
    private final ListenerSecurity security;
    private final TopicResolver topics;
    private final ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
    private ConnectionState state;
    private final PulsarStats pulsarStats;
    private SaslAuthenticator auth;
    private Access access;
    /** The principal {@link #principalTopics} was resolved for; they change together (re-authentication). */
    private Principal resolvedFor;
    private TopicResolver principalTopics;
    private ChannelHandlerContext ctx;
    private boolean closed;

    /**
     * A request whose response has not been written yet; {@code header} null: a bare SASL token after a
     * v0 handshake, answered by a bare token.
     */
    private record InFlight(RequestHeader header, CompletableFuture<ApiMessage> response, long arrivedNanos,
                            long dispatchedNanos, long[] readyNanos) {
    }

    KafkaConnection(ApiDispatcher dispatcher, String listenerName, int maxPending, ListenerSecurity security,
                    TopicResolver topics, RequestMetrics metrics, PulsarStats pulsarStats) {
        this.pulsarStats = pulsarStats;
        this.topics = topics;
        this.metrics = metrics;
        this.dispatcher = dispatcher;
        this.listenerName = listenerName;
        this.maxPending = maxPending;
        this.security = security;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        this.auth = security.newAuthenticator(ctx.channel().remoteAddress(),
                () -> tls == null ? null : tls.engine().getSession());
        this.state = new ConnectionState(ctx.executor(), pulsarStats.open(ctx.channel(), auth::principal));
        this.access = security.newAccess(auth::principal);
        metrics.connectionOpened();
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        CompletableFuture<ApiMessage> answered = null;
        try {
            answered = handle(ctx, frame.nioBuffer());
        } finally {
            // Parsed produce records point into the frame: it is released once the request is answered.
            if (answered == null) {
                frame.release();
            } else {
                if (TRACING_LEAKS && frame.readableBytes() >= 4) { // names the request in leak reports
                    frame.touch("Kafka request, API key " + frame.getShort(frame.readerIndex()) + " v"
                            + frame.getShort(frame.readerIndex() + 2));
                }
                answered.whenComplete((r, t) -> frame.release());
            }
        }
    }

    /** Parses and dispatches one request; returns its answer, or null when nothing refers to the frame. */
    private CompletableFuture<ApiMessage> handle(ChannelHandlerContext ctx, ByteBuffer buffer) {
        long arrived = System.nanoTime();
        if (closed) {
            return null;
        }
        if (auth.expectsRawTokens()) {
            byte[] token = new byte[buffer.remaining()];
            buffer.get(token);
            enqueue(null, auth.authenticate(token).thenApply(r -> (ApiMessage) r), arrived, arrived);
            return null;
        }
        RequestHeader header;
        try {
            header = RequestHeader.parse(buffer);
        } catch (RuntimeException e) {
            closeOnError("cannot parse request header", e);
            return null;
        }
        ApiKeys apiKey = header.apiKey();
        if (!dispatcher.supports(apiKey)) {
            closeOnError("unsupported API " + apiKey + " v" + header.apiVersion(), null);
            return null;
        }
        // Authentication stage: nothing but ApiVersions and SASL before it, nothing after the session ended.
        if (!auth.admits(apiKey)) {
            closeOnError(apiKey + " before SASL authentication (only ApiVersions, SaslHandshake and "
                    + "SaslAuthenticate may come first)", null);
            return null;
        }
        if (apiKey != ApiKeys.SASL_HANDSHAKE && apiKey != ApiKeys.SASL_AUTHENTICATE && auth.expired()) {
            closeOnError("SASL session expired and the client did not re-authenticate", null);
            return null;
        }
        if (!dispatcher.supportsVersion(apiKey, header.apiVersion())) {
            if (apiKey == ApiKeys.API_VERSIONS) {
                // KIP-511: tell a newer client which versions we have, in v0 so it can read the answer.
                enqueue(header, CompletableFuture.completedFuture(dispatcher.apiVersions(Errors.UNSUPPORTED_VERSION)),
                        arrived, arrived);
                return null;
            }
            closeOnError("unsupported version " + header.apiVersion() + " of " + apiKey, null);
            return null;
        }
        AbstractRequest request;
        try {
            request = AbstractRequest.parseRequest(apiKey, header.apiVersion(), new ByteBufferAccessor(buffer)).request;
        } catch (RuntimeException e) {
            closeOnError("cannot parse " + apiKey + " v" + header.apiVersion() + " request", e);
            return null;
        }
        RequestContext context = new RequestContext(header, listenerName, ctx.channel().remoteAddress(), state,
                auth, access, topicsOf(auth.principal()));
        CompletableFuture<ApiMessage> response;
        long dispatched = System.nanoTime();
        try {
            response = dispatcher.handle(context, request);
        } catch (RuntimeException e) {
            response = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<ApiMessage> withErrors = response.exceptionally(t -> {
            Throwable cause = t instanceof java.util.concurrent.CompletionException && t.getCause() != null
                    ? t.getCause() : t;
            log.warn("[{}] {} failed: {}", ctx.channel().remoteAddress(), apiKey, cause.toString());
            return request.getErrorResponse(0, cause).data();
        });
        if (dispatcher.expectsResponse(request)) {
            enqueue(header, withErrors, arrived, dispatched);
        } else { // acks=0 produce: counted once processed
            withErrors.whenComplete((r, t) -> {
                long now = System.nanoTime();
                metrics.answered(apiKey, header.apiVersion(), null, now - arrived, now - dispatched);
            });
        }
        return withErrors;
    }

    /** The topic resolver of the principal's namespace, looked up again only when the principal changes. */
    private TopicResolver topicsOf(Principal p) {
        if (p != resolvedFor || principalTopics == null) {
            resolvedFor = p;
            principalTopics = p == null || topics == null ? topics : topics.in(p.tenant(), p.namespace());
        }
        return principalTopics;
    }

    private void enqueue(RequestHeader header, CompletableFuture<ApiMessage> response, long arrivedNanos,
                         long dispatchedNanos) {
        long[] ready = {0}; // when the response was ready; 0: not seen yet (dependents run in any order)
        inFlight.add(new InFlight(header, response, arrivedNanos, dispatchedNanos, ready));
        response.whenComplete((r, t) -> ready[0] = System.nanoTime());
        if (inFlight.size() >= maxPending) {
            ctx.channel().config().setAutoRead(false);
        }
        response.whenComplete((r, t) -> {
            if (ctx.executor().inEventLoop()) {
                writeCompleted();
            } else {
                ctx.executor().execute(this::writeCompleted);
            }
        });
    }

    private void writeCompleted() {
        boolean wrote = false;
        while (!inFlight.isEmpty() && inFlight.peek().response().isDone()) {
            InFlight head = inFlight.poll();
            ApiMessage body = head.response().join();
            if (closed) {
                ResponseFrames.release(body);
                continue;
            }
            RequestHeader header = head.header();
            if (header == null) {
                SaslAuthenticateResponseData token = (SaslAuthenticateResponseData) body;
                if (token.errorCode() == Errors.NONE.code()) {
                    byte[] bytes = token.authBytes();
                    ctx.write(ctx.alloc().buffer(4 + bytes.length).writeInt(bytes.length).writeBytes(bytes));
                    wrote = true;
                }
                continue; // a refused bare token closes the connection below: v0 has no way to say why
            }
            short version = header.apiVersion();
            if (header.apiKey() == ApiKeys.API_VERSIONS && !dispatcher.supportsVersion(header.apiKey(), version)) {
                version = 0;
            }
            long now = System.nanoTime();
            metrics.answered(header.apiKey(), header.apiVersion(), body, now - head.arrivedNanos(),
                    (head.readyNanos()[0] == 0 ? now : head.readyNanos()[0]) - head.dispatchedNanos());
            ByteBuf buf;
            try {
                buf = ResponseFrames.frame(ctx.alloc(), header.toResponseHeader(), body, version);
            } catch (IOException | RuntimeException e) {
                closeOnError("cannot serialize " + header.apiKey() + " response", e);
                continue; // the rest are dropped, and released, here and as they complete
            } finally {
                ResponseFrames.release(body);
            }
            ctx.write(buf);
            wrote = true;
        }
        if (wrote) {
            ctx.flush();
        }
        if (!closed && auth.failed()) {
            metrics.saslFailed(auth.mechanism());
            closeOnError("SASL authentication failed: " + auth.failureReason(), null);
            return;
        }
        if (!closed && inFlight.size() < maxPending && !ctx.channel().config().isAutoRead()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    private void closeOnError(String what, Throwable cause) {
        log.warn("[{}] closing Kafka connection: {}{}", ctx.channel().remoteAddress(), what,
                cause == null ? "" : ": " + cause);
        closed = true;
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!closed) {
            closeOnError("network error", cause);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent handshake) {
            if (!handshake.isSuccess()) {
                if (!closed) {
                    closeOnError("TLS handshake failed", handshake.cause());
                }
                return;
            }
            // Pulsar's tls provider reads the certificate's role at once, before the first request.
            SslHandler tls = ctx.pipeline().get(SslHandler.class);
            security.certificatePrincipal(ctx.channel().remoteAddress(), tls.engine().getSession())
                    .thenAccept(auth::certificateVerified);
        }
        if (evt instanceof IdleStateEvent) {
            log.info("[{}] closing idle Kafka connection", ctx.channel().remoteAddress());
            closed = true;
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        closed = true;
        metrics.connectionClosed();
        if (state != null) {
            state.traffic().close();
        }
        // Responses still to come are dropped; what they hold is given back when they complete.
        for (InFlight pending : inFlight) {
            pending.response().thenAccept(ResponseFrames::release);
        }
        inFlight.clear();
        super.channelInactive(ctx);
    }
}
