package io.kop;

import io.kop.metrics.GroupLag;
import io.kop.metrics.CoordinatorLoads;
import io.kop.metrics.DataMetrics;
import io.kop.metrics.GroupMembers;
import io.kop.metrics.RequestMetrics;
import io.kop.stats.ClientGroups;
import org.apache.pulsar.broker.service.TopicEventsListener;
import io.kop.stats.PulsarStats;
import io.kop.api.ApiDispatcher;
import io.kop.api.Handlers;
import io.kop.config.KafkaListener;
import io.kop.config.KopConfig;
import io.kop.coordinator.GroupConfigs;
import io.kop.coordinator.GroupCoordinators;
import io.kop.coordinator.GroupSubscriptionMirror;
import io.kop.coordinator.CoordinatorTopic;
import io.kop.coordinator.BrokerChannel;
import io.kop.coordinator.TxnMarkerRouter;
import io.kop.coordinator.TxnPartitionAdder;
import io.kop.coordinator.bridge.KafkaGroupCoordinator;
import io.kop.coordinator.bridge.KafkaTransactionCoordinator;
import java.util.concurrent.CompletableFuture;
import io.kop.network.KafkaChannelInitializer;
import io.kop.storage.LogCleaner;
import io.kop.storage.PartitionLogManager;
import io.kop.storage.ProducerIdAllocator;
import io.kop.topic.BrokerLookup;
import io.kop.topic.KafkaTopicNames;
import io.kop.topic.TopicConfigs;
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
import org.apache.pulsar.broker.PulsarService;
import org.apache.pulsar.broker.namespace.NamespaceBundleOwnershipListener;
import org.apache.pulsar.broker.service.BrokerService;
import org.apache.pulsar.common.naming.NamespaceBundle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Pulsar protocol handler named {@code kafka}: Kafka listeners on a Pulsar broker. */
public final class KafkaProtocolHandler implements ProtocolHandler {
    private static final Logger log = LoggerFactory.getLogger(KafkaProtocolHandler.class);
    public static final String PROTOCOL = BrokerLookup.PROTOCOL;

    private KopConfig config;
    private KopServices services;
    private LogCleaner cleaner;
    private GroupConfigs groupConfigs;
    private ApiDispatcher dispatcher;
    private static final int METRICS_WRITE_CHARS = 4096;
    private final RequestMetrics requestMetrics = new RequestMetrics();
    private final GroupLag groupLag = new GroupLag();
    private final ClientGroups clientGroups = new ClientGroups();
    private final GroupMembers groupMembers = new GroupMembers();
    private final CoordinatorLoads coordinatorLoads = new CoordinatorLoads();
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
        int nodeId = brokers.self(config.listeners().get(0).name()).id();
        PartitionLogManager logs = new PartitionLogManager(brokerService, config.maxReadEntriesPerFetch(),
                config.producerStateRecoveryRecords(), config.readAheadMaxBytes(), config.recentBatchesMaxBytes(),
                config.recentBatchesWarmBytes());
        cleaner = new LogCleaner(logs, partition -> topics.properties(partition).thenApply(TopicConfigs::cleanerPolicy),
                config.logCleanerBackoffMs(), config.logCleanerDedupeBufferBytes());
        cleaner.start();
        // Partitions KoP served before are opened as soon as Pulsar loads them (see topicLoaded)
        brokerService.addTopicEventListener((topic, event, stage, failure) -> {
            if (event == TopicEventsListener.TopicEvent.LOAD && stage == TopicEventsListener.EventStage.SUCCESS) {
                try {
                    logs.topicLoaded(topic);
                } catch (RuntimeException e) {
                    log.warn("[{}] not opened for Kafka on load: {}", topic, e.toString());
                }
            }
        });
        groupConfigs = new GroupConfigs(pulsar.getLocalMetadataStore());
        ProducerIdAllocator producerIds = new ProducerIdAllocator(pulsar.getLocalMetadataStore());
        GroupCoordinators groups = new GroupCoordinators(config.multiTenantMetadata(), config.metadataTenant(),
                tenant -> startCoordinator(pulsar, tenant, topics, logs, nodeId, producerIds, brokers),
                tenant -> pulsar.getPulsarResources().getTenantResources().tenantExistsAsync(tenant));
        services = new KopServices(config, pulsar, topics, new TopicIdRegistry(pulsar.getLocalMetadataStore(), names),
                brokers, logs, producerIds, groups, groupConfigs,
                new ScramCredentials(pulsar.getLocalMetadataStore()), pulsar.getExecutor(),
                new DataMetrics(pulsar.getConfiguration().isExposeTopicLevelMetricsInPrometheus()));
        dispatcher = Handlers.all(services);
        security = BrokerSecurity.start(config, brokerService, services.scram());
        groupConfigs.bind(groups);
        groups.forTenant(config.metadataTenant());
        if (config.multiTenantMetadata()) {
            // A broker given a tenant's offsets partitions serves them even before that tenant's clients come.
            pulsar.getNamespaceService().addNamespaceBundleOwnershipListener(new NamespaceBundleOwnershipListener() {
                @Override
                public void onLoad(NamespaceBundle bundle) {
                    groups.forTenant(bundle.getNamespaceObject().getTenant()).exceptionally(t -> {
                        log.warn("no group coordinator for {}: {}", bundle, t.toString());
                        return null;
                    });
                }

                @Override
                public void unLoad(NamespaceBundle bundle) {
                }

                @Override
                public boolean test(NamespaceBundle bundle) {
                    return bundle.getNamespaceObject().getLocalName().equals(config.metadataNamespace());
                }
            });
        }
        // Beside Pulsar's own on the broker's /metrics, no port of its own.
        String cluster = pulsar.getConfiguration().getClusterName();
        pulsar.addPrometheusRawMetricsProvider(stream -> {
            StringBuilder text = new StringBuilder();
            try {
                requestMetrics.writeTo(text, cluster);
                groupLag.writeTo(text, cluster);
                groupMembers.writeTo(text, cluster);
                coordinatorLoads.writeTo(text, cluster);
                services.metrics().writeTo(text, cluster);
            } catch (RuntimeException e) { // never take Pulsar's own metrics down with KoP's
                log.warn("KoP metrics not written: {}", e.toString());
                return;
            }
            // In pieces, as Pulsar writes its own: with 10,000 partitions KoP's text is about 4 MB.
            for (int from = 0; from < text.length(); from += METRICS_WRITE_CHARS) {
                stream.write(text.substring(from, Math.min(text.length(), from + METRICS_WRITE_CHARS)));
            }
        });
        log.info("KoP started on broker {}", pulsar.getBrokerId());
    }

    /**
     * A tenant's offsets topic, coordinator and group-subscription mirror. With per-tenant metadata a
     * tenant's coordinator sees that tenant's topics, named as clients of its default namespace name them.
     */
    private GroupCoordinators.Tenant startCoordinator(PulsarService pulsar, String tenant, TopicResolver topics,
                                                      PartitionLogManager logs, int nodeId,
                                                      ProducerIdAllocator producerIds, BrokerLookup brokers) {
        boolean ownView = config.multiTenantMetadata() && !tenant.equals(config.metadataTenant());
        TopicResolver view = ownView ? topics.in(tenant, config.kafkaNamespace()) : topics;
        CoordinatorTopic offsetsTopic = new CoordinatorTopic(pulsar, tenant, config.metadataNamespace(),
                CoordinatorTopic.OFFSETS, config.offsetsTopicPartitions());
        KafkaGroupCoordinator coordinator = new KafkaGroupCoordinator(pulsar, offsetsTopic, view,
                ownView ? tenant : null, pulsar.getExecutor(), nodeId, config.maxMessageSize(),
                config.offsetsTopicCompactionRecords(), config.groupCoordinatorConfig(), coordinatorLoads);
        offsetsTopic.start(topics, pulsar.getExecutor(), coordinator::onElection, coordinator::onResignation);
        offsetsTopic.ready().thenRun(() -> claimAll(offsetsTopic, brokers));
        // The mirror reaches the tenant's coordinators as a client of the tenant (a SASL username), or
        // as a client without a principal for the metadata tenant.
        Optional<Properties> client = BrokerKafkaClient.settings(config, pulsar.getConfiguration(),
                ownView ? tenant : null);
        GroupCoordinators.Transactions transactions = startTransactions(pulsar, tenant, topics, view, offsetsTopic,
                coordinator, logs, producerIds, brokers, client);
        AutoCloseable onClose = () -> { };
        if (client.isPresent()) {
            GroupSubscriptionMirror mirror = new GroupSubscriptionMirror(logs, view.names(), client.get(),
                    config.multiTenantMetadata() ? tenant : null, nodeId, groupLag, groupMembers, clientGroups);
            mirror.start(pulsar.getExecutor(), config.groupSubscriptionMirrorIntervalMs());
            onClose = mirror;
        } else {
            log.warn("Kafka groups of tenant {} are not mirrored to Pulsar subscriptions: no listener this broker "
                    + "can use as a Kafka client of the tenant (PLAINTEXT{}, or SASL with PLAIN and "
                    + "brokerClientAuthenticationPlugin, with tlsTrustCertsFilePath for TLS)", tenant,
                    ownView ? " does not name a tenant" : "");
        }
        groupConfigs.loadInto(tenant, coordinator);
        return new GroupCoordinators.Tenant(tenant, offsetsTopic, coordinator, coordinator::partitionFor, coordinator,
                onClose, transactions);
    }

    /**
     * Has every partition of a coordinator topic assigned to a broker now, as Kafka loads its coordinators
     * when it starts: otherwise the first request for a group or transactional id assigns its partition,
     * and the requests right after it find the coordinator still loading (which some clients, KafkaJS's
     * TxnOffsetCommit among them, do not retry).
     */
    private void claimAll(CoordinatorTopic topic, BrokerLookup brokers) {
        for (int p = 0; p < topic.partitions(); p++) {
            var partition = topic.partition(p);
            brokers.leader(partition, config.listeners().get(0).name()).exceptionally(t -> {
                log.debug("{} not assigned yet: {}", partition, t.toString());
                return null;
            });
        }
    }

    /** The tenant's client to other brokers, or null (logged) when none can be made. */
    private static BrokerChannel brokerChannel(String tenant, Optional<Properties> client) {
        try {
            return client.map(BrokerChannel::new).orElse(null);
        } catch (RuntimeException e) {
            log.warn("tenant {}: no Kafka client to other brokers ({}); transactions whose partitions or "
                    + "coordinator are on another broker will not complete", tenant, e.toString());
            return null;
        }
    }

    /**
     * A tenant's transaction coordinator beside its group coordinator: its own {@code __transaction_state}
     * in the metadata namespace, markers to partitions here written directly and to other brokers as
     * WriteTxnMarkers requests, with the same Kafka client settings as the group mirror.
     */
    private GroupCoordinators.Transactions startTransactions(PulsarService pulsar, String tenant,
                                                             TopicResolver topics, TopicResolver view,
                                                             CoordinatorTopic offsetsTopic,
                                                             KafkaGroupCoordinator groups, PartitionLogManager logs,
                                                             ProducerIdAllocator producerIds, BrokerLookup brokers,
                                                             Optional<Properties> client) {
        CoordinatorTopic txnTopic = new CoordinatorTopic(pulsar, tenant, config.metadataNamespace(),
                CoordinatorTopic.TRANSACTIONS, config.txnLogPartitions());
        BrokerChannel channel = brokerChannel(tenant, client);
        TxnMarkerRouter.RemoteMarkers remote = channel != null ? TxnMarkerRouter.over(channel)
                : (node, tp, pid, epoch, commit, coordinatorEpoch, version) -> CompletableFuture.failedFuture(
                        new org.apache.kafka.common.errors.BrokerNotAvailableException("no listener this broker can "
                                + "use as a Kafka client to send transaction markers to broker " + node.id()));
        // Other brokers are reached at their address on the listener the client settings use.
        String listener = BrokerKafkaClient.listener(config, pulsar.getConfiguration(),
                config.multiTenantMetadata() && !tenant.equals(config.metadataTenant()) ? tenant : null)
                .map(io.kop.config.KafkaListener::name).orElse(config.listeners().get(0).name());
        TxnMarkerRouter router = new TxnMarkerRouter(view, offsetsTopic, () -> groups, logs, brokers, listener,
                remote);
        KafkaTransactionCoordinator coordinator = new KafkaTransactionCoordinator(pulsar.getBrokerService(), txnTopic,
                producerIds::nextId, router,
                p -> pulsar.getNamespaceService().checkTopicOwnership(txnTopic.partition(p)),
                config.transactionMaxTimeoutMs(), config.transactionAbortIntervalMs(),
                config.transactionalIdExpirationMs(), coordinatorLoads);
        // After the offsets topic, which creates the metadata namespace: two creators at once make Pulsar warn.
        offsetsTopic.ready().thenRun(() -> txnTopic.start(topics, pulsar.getExecutor(), coordinator::onElection,
                coordinator::onResignation));
        txnTopic.ready().thenRun(() -> claimAll(txnTopic, brokers));
        TxnPartitionAdder adder = new TxnPartitionAdder(txnTopic, coordinator, view.names(), brokers, listener,
                channel);
        return new GroupCoordinators.Transactions(txnTopic, coordinator, view.names(), adder, () -> {
            if (channel != null) {
                channel.close();
            }
        });
    }

    @Override
    public Map<InetSocketAddress, ChannelInitializer<SocketChannel>> newChannelInitializers() {
        Map<InetSocketAddress, ChannelInitializer<SocketChannel>> out = new LinkedHashMap<>();
        for (KafkaListener l : config.listeners()) {
            out.put(new InetSocketAddress(l.host(), l.port()), new KafkaChannelInitializer(config, l, dispatcher,
                    security.forListener(l), services.topics(), requestMetrics,
                    new PulsarStats(services.pulsar().getBrokerService(), clientGroups)));
        }
        return out;
    }

    @Override
    public void close() {
        if (security != null) {
            security.close();
        }
        if (services != null) {
            services.groups().close();
            cleaner.close();
            services.logs().close();
        }
    }
}
