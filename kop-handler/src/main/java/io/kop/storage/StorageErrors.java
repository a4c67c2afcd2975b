package io.kop.storage;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.bookkeeper.mledger.ManagedLedgerException;
import org.apache.pulsar.broker.service.BrokerServiceException;

/** The one place where Pulsar storage failures become Kafka errors. */
public final class StorageErrors {
    private StorageErrors() {
    }

    public static Throwable toKafka(Throwable t) {
        Throwable cause = unwrap(t);
        if (cause instanceof ApiException) {
            return cause;
        }
        if (cause instanceof BrokerServiceException.TopicFencedException
                || cause instanceof BrokerServiceException.TopicClosedException
                || cause instanceof BrokerServiceException.ServiceUnitNotReadyException
                || cause instanceof ManagedLedgerException.ManagedLedgerFencedException
                || cause instanceof ManagedLedgerException.ManagedLedgerAlreadyClosedException) {
            return new NotLeaderOrFollowerException("partition moved or is being unloaded: " + cause.getMessage());
        }
        if (cause instanceof BrokerServiceException.NotAllowedException
                && String.valueOf(cause.getMessage()).contains("maximum message size")) {
            return new RecordTooLargeException(cause.getMessage());
        }
        return new KafkaStorageException(cause.getClass().getSimpleName() + ": " + cause.getMessage());
    }

    public static RuntimeException toKafkaUnchecked(Throwable t) {
        Throwable k = toKafka(t);
        return k instanceof RuntimeException r ? r : new KafkaStorageException(k.getMessage(), k);
    }

    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
