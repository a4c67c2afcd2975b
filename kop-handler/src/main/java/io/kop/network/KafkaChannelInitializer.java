package io.kop.network;

import io.kop.api.ApiDispatcher;
import io.kop.config.KafkaListener;
import io.kop.config.KopConfig;
import io.kop.metrics.RequestMetrics;
import io.kop.stats.PulsarStats;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.kop.security.ListenerSecurity;
import io.kop.topic.TopicResolver;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/** Pipeline of one Kafka connection: TLS on SSL and SASL_SSL listeners, idle timeout, 4-byte length framing, request processing. */
public final class KafkaChannelInitializer extends ChannelInitializer<SocketChannel> {
    private final KopConfig config;
    private final KafkaListener listener;
    private final ApiDispatcher dispatcher;
    private final ListenerSecurity security;
    private final TopicResolver topics;
    private final RequestMetrics metrics;
    private final PulsarStats pulsarStats;

    public KafkaChannelInitializer(KopConfig config, KafkaListener listener, ApiDispatcher dispatcher,
                                   ListenerSecurity security, TopicResolver topics, RequestMetrics metrics,
                                   PulsarStats pulsarStats) {
        this.pulsarStats = pulsarStats;
        this.topics = topics;
        this.metrics = metrics;
        this.config = config;
        this.listener = listener;
        this.dispatcher = dispatcher;
        this.security = security;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        if (security.tls() != null) {
            ch.pipeline().addLast("tls", new SslHandler(security.tls().newServerEngine(ch.alloc())));
        }
        ch.pipeline()
                .addLast("idle", new IdleStateHandler(0, 0, config.connectionMaxIdleMs(), TimeUnit.MILLISECONDS))
                // failFast: an oversized length closes the connection at once instead of buffering it.
                .addLast("frame", new LengthFieldBasedFrameDecoder(config.maxFrameSize(), 0, 4, 0, 4, true))
                .addLast("kafka", new KafkaConnection(dispatcher, listener.name(),
                        config.maxPendingRequestsPerConnection(), security, topics, metrics, pulsarStats));
    }
}
