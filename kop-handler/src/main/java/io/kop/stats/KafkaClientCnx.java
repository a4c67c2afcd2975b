package io.kop.stats;

import io.kop.security.Principal;
import io.netty.channel.Channel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.util.concurrent.Promise;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pulsar.broker.authentication.AuthenticationDataSource;
import org.apache.pulsar.broker.loadbalance.extensions.data.BrokerLookupData;
import org.apache.pulsar.broker.service.BrokerService;
import org.apache.pulsar.broker.service.Producer;
import org.apache.pulsar.broker.service.PulsarCommandSender;
import org.apache.pulsar.broker.service.ServerCnxThrottleTracker;
import org.apache.pulsar.broker.service.TransportCnx;
import org.apache.pulsar.common.api.proto.FeatureFlags;

/**
 * A Kafka connection as Pulsar's topic statistics see it: the connection of the publishers and
 * consumers {@link ClientTraffic} registers. Pulsar never sends it anything (its consumers have no
 * permits, so no dispatcher delivers to them); when Pulsar closes one of them (topic unloaded,
 * subscription reset or deleted), the registration is forgotten and made again on the next request.
 */
final class KafkaClientCnx implements TransportCnx {
    private static final PulsarCommandSender SILENT = (PulsarCommandSender) Proxy.newProxyInstance(
            KafkaClientCnx.class.getClassLoader(), new Class<?>[] {PulsarCommandSender.class},
            (proxy, method, args) -> {
                Class<?> type = method.getReturnType();
                return type == boolean.class ? Boolean.FALSE : type == int.class ? 0 : type == long.class ? 0L : null;
            });

    private final Channel channel;
    private final BrokerService brokerService;
    private final Supplier<Principal> principal;
    private final Consumer<Object> forget;

    KafkaClientCnx(Channel channel, BrokerService brokerService, Supplier<Principal> principal, Consumer<Object> forget) {
        this.channel = channel;
        this.brokerService = brokerService;
        this.principal = principal;
        this.forget = forget;
    }

    @Override
    public String toString() {
        return "Kafka connection " + clientSourceAddressAndPort();
    }

    @Override
    public String getClientVersion() {
        return "Kafka client";
    }

    @Override
    public String getProxyVersion() {
        return null;
    }

    @Override
    public SocketAddress clientAddress() {
        return channel.remoteAddress();
    }

    @Override
    public String clientSourceAddressAndPort() {
        return channel.remoteAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress() + ":" + a.getPort() : String.valueOf(channel.remoteAddress());
    }

    @Override
    public String clientSourceAddress() {
        return channel.remoteAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress() : String.valueOf(channel.remoteAddress());
    }

    @Override
    public BrokerService getBrokerService() {
        return brokerService;
    }

    @Override
    public PulsarCommandSender getCommandSender() {
        return SILENT;
    }

    @Override
    public boolean isBatchMessageCompatibleVersion() {
        return true;
    }

    @Override
    public String getAuthRole() {
        Principal p = principal.get();
        return p == null ? null : p.role();
    }

    @Override
    public AuthenticationDataSource getAuthenticationData() {
        Principal p = principal.get();
        return p == null ? null : p.authData();
    }

    @Override
    public boolean isActive() {
        return channel.isActive();
    }

    @Override
    public boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    public void completedSendOperation(boolean isNonPersistentTopic, int msgSize) {
    }

    @Override
    public void removedProducer(Producer producer) {
        forget.accept(producer);
    }

    @Override
    public void closeProducer(Producer producer) {
        forget.accept(producer);
    }

    @Override
    public void closeProducer(Producer producer, Optional<BrokerLookupData> assignedBrokerLookupData) {
        forget.accept(producer);
    }

    @Override
    public void execute(Runnable runnable) {
        channel.eventLoop().execute(runnable);
    }

    @Override
    public void removedConsumer(org.apache.pulsar.broker.service.Consumer consumer) {
        forget.accept(consumer);
    }

    @Override
    public void closeConsumer(org.apache.pulsar.broker.service.Consumer consumer,
                              Optional<BrokerLookupData> assignedBrokerLookupData) {
        forget.accept(consumer);
    }

    @Override
    public boolean isPreciseDispatcherFlowControl() {
        return false;
    }

    @Override
    public Promise<Void> newPromise() {
        return channel.eventLoop().newPromise();
    }

    @Override
    public boolean hasHAProxyMessage() {
        return false;
    }

    @Override
    public HAProxyMessage getHAProxyMessage() {
        return null;
    }

    @Override
    public CompletableFuture<Optional<Boolean>> checkConnectionLiveness() {
        return CompletableFuture.completedFuture(Optional.of(channel.isActive()));
    }

    /** None: Pulsar's publish-rate limits do not throttle Kafka connections (see ClientTraffic). */
    @Override
    public ServerCnxThrottleTracker getThrottleTracker() {
        return null;
    }

    @Override
    public FeatureFlags getFeatures() {
        return new FeatureFlags();
    }
}
