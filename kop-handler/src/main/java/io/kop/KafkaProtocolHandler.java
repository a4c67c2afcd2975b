package io.kop;

import io.kop.api.ApiDispatcher;
import io.kop.api.Handlers;
import io.kop.config.KafkaListener;
import io.kop.config.KopConfig;
import io.kop.coordinator.GroupService;
import io.kop.coordinator.GroupSubscriptionMirror;
import io.kop.coordinator.OffsetsTopic;
import io.kop.coordinator.bridge.KafkaGroupCoordinator;
import io.kop.network.KafkaChannelInitializer;
import io.kop.storage.PartitionLogManager;
import io.kop.storage.ProducerIdAllocator;
import io.kop.topic.BrokerLookup;
import io.kop.topic.KafkaTopicNames;
import io.kop.topic.TopicIdRegistry;
import io.kop.topic.TopicResolver;
import io.kop.security.BrokerKafkaClient;
import io.kop.security.BrokerSecurity;
import io.kop.security.ScramCredentials;
import io.netty.channel.ChannelInitializer;
import java.util.Optional;
import java.util.Properties;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.utils.internals.AppInfoParser;
import org.apache.pulsar.broker.ServiceConfiguration;
import org.apache.pulsar.broker.protocol.ProtocolHandler;
import org.apache.pulsar.broker.service.BrokerService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Pulsar protocol handler named {@code kafka}: Kafka listeners on a Pulsar broker. */
public final class KafkaProtocolHandler implements ProtocolHandler {
    private static final Logger log = LoggerFactory.getLogger(KafkaProtocolHandler.class);
    public static final String PROTOCOL = BrokerLookup.PROTOCOL;

    private KopConfig config;
    private KopServices services;
    private ApiDispatcher dispatcher;
    private GroupSubscriptionMirror mirror;
    private BrokerSecurity security;

    @Override
    public String protocolName() {
        return PROTOCOL;
    }

    @Override
    public boolean accept(String protocol) {
        return PROTOCOL.equalsIgnoreCase(protocol);
    }

    @Override
    public void initialize(ServiceConfiguration conf) {
        this.config = KopConfig.from(conf);
        log.info("KoP initialised: listeners {}, advertised {}, default namespace {}/{}, kafka-clients {}",
                config.listeners(), config.advertisedListeners(), config.kafkaTenant(), config.kafkaNamespace(),
                AppInfoParser.getVersion());
    }

    @Override
    public String getProtocolDataToAdvertise() {
        return BrokerLookup.advertise(config);
    }

    @Override
    public void start(BrokerService brokerService) {
        var pulsar = brokerService.getPulsar();
        KafkaTopicNames names = new KafkaTopicNames(config.kafkaTenant(), config.kafkaNamespace());
        TopicResolver topics = new TopicResolver(pulsar, names, config.entryFormat());
        BrokerLookup brokers = new BrokerLookup(pulsar, config);
        OffsetsTopic offsetsTopic = new OffsetsTopic(pulsar, config.metadataTenant(), config.metadataNamespace(),
                config.offsetsTopicPartitions());
        int nodeId = brokers.self(config.listeners().get(0).name()).id();
        GroupService groups = new KafkaGroupCoordinator(pulsar, offsetsTopic, topics, pulsar.getExecutor(), nodeId,
                config.maxMessageSize(), config.offsetsTopicCompactionRecords(), config.groupCoordinatorConfig());
        offsetsTopic.start(topics, pulsar.getExecutor(), groups::onElection, groups::onResignation);
        services = new KopServices(config, pulsar, topics, new TopicIdRegistry(pulsar.getLocalMetadataStore(), names), brokers,
                new PartitionLogManager(brokerService, config.maxReadEntriesPerFetch(),
                        config.producerStateRecoveryRecords(), config.readAheadMaxBytes(),
                        config.recentBatchesMaxBytes(), config.recentBatchesWarmBytes()),
                new ProducerIdAllocator(pulsar.getLocalMetadataStore()), offsetsTopic, groups,
                new ScramCredentials(pulsar.getLocalMetadataStore()), pulsar.getExecutor());
        dispatcher = Handlers.all(services);
        security = BrokerSecurity.start(config, brokerService, services.scram());
        Optional<Properties> selfClient = BrokerKafkaClient.settings(config, pulsar.getConfiguration());
        if (selfClient.isPresent()) {
            mirror = new GroupSubscriptionMirror(services.logs(), names, selfClient.get());
            mirror.start(pulsar.getExecutor(), config.groupSubscriptionMirrorIntervalMs());
        } else {
            log.warn("Kafka groups are not mirrored to Pulsar subscriptions: no listener this broker can use "
                    + "as a Kafka client (PLAINTEXT, or SASL with PLAIN and brokerClientAuthenticationPlugin, "
                    + "with tlsTrustCertsFilePath for TLS)");
        }
        log.info("KoP started on broker {}", pulsar.getBrokerId());
    }

    @Override
    public Map<InetSocketAddress, ChannelInitializer<SocketChannel>> newChannelInitializers() {
        Map<InetSocketAddress, ChannelInitializer<SocketChannel>> out = new LinkedHashMap<>();
        for (KafkaListener l : config.listeners()) {
            out.put(new InetSocketAddress(l.host(), l.port()), new KafkaChannelInitializer(config, l, dispatcher,
                    security.forListener(l), services.topics()));
        }
        return out;
    }

    @Override
    public void close() {
        if (mirror != null) {
            mirror.close();
        }
        if (security != null) {
            security.close();
        }
        if (services != null) {
            services.groups().close();
            services.logs().close();
        }
    }
}
