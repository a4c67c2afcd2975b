package io.kop.stats;

import io.kop.security.Principal;
import io.netty.channel.Channel;
import java.util.function.Supplier;
import org.apache.pulsar.broker.service.BrokerService;

/**
 * Kafka traffic in Pulsar's own topic statistics (what {@code pulsar-admin topics stats} and Pulsar's
 * metrics show): each Kafka connection gets a {@link ClientTraffic}; {@code groups} tells whose
 * subscription a fetch counts for.
 */
public record PulsarStats(BrokerService brokerService, ClientGroups groups) {
    public ClientTraffic open(Channel channel, Supplier<Principal> principal) {
        return new ClientTraffic(brokerService, groups, channel, principal);
    }
}
