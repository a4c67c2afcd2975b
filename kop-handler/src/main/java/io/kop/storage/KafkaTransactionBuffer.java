package io.kop.storage;

import java.lang.reflect.Field;
import org.apache.bookkeeper.mledger.Position;
import org.apache.pulsar.broker.service.persistent.PersistentTopic;
import org.apache.pulsar.broker.transaction.buffer.TransactionBuffer;
import org.apache.pulsar.broker.transaction.buffer.impl.TransactionBufferDisable;
import org.apache.pulsar.client.api.transaction.TxnID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka transactions as Pulsar's dispatchers see them: the topic's transaction buffer (Pulsar's own
 * mechanism for its transactions) answers from the partition's {@link TransactionIndex}. Dispatchers
 * read no further than the entry before the first open transaction's (Kafka's last stable offset), and
 * skip, acknowledging, the entries of aborted ones (transactional entries carry the producer id as
 * their transaction id). Pulsar transactions stay disabled on the topic, as they were; a broker with
 * Pulsar transactions enabled keeps Pulsar's buffer, and its Pulsar consumers see Kafka transactions'
 * records as they are stored.
 */
final class KafkaTransactionBuffer extends TransactionBufferDisable {
    private static final Logger log = LoggerFactory.getLogger(KafkaTransactionBuffer.class);
    private static final Field FIELD = field();
    private static final java.lang.reflect.Method NOTIFY_CURSORS = notifyCursors();

    private final PersistentTopic topic;
    private final TransactionIndex transactions;
    private final Object lock;

    private KafkaTransactionBuffer(PersistentTopic topic, TransactionIndex transactions, Object lock) {
        super(topic);
        this.topic = topic;
        this.transactions = transactions;
        this.lock = lock;
    }

    /**
     * Gives {@code topic} a buffer answering from {@code transactions} (guarded by {@code lock}), unless
     * Pulsar's own transactions are enabled there. False when it could not.
     */
    static boolean install(PersistentTopic topic, TransactionIndex transactions, Object lock) {
        return replace(topic, new KafkaTransactionBuffer(topic, transactions, lock));
    }

    /**
     * Holds {@code topic}'s dispatchers before its first entry until {@link #install} (its Kafka
     * transactions are known) or {@link #release}. False when Pulsar's transactions are enabled there.
     */
    static boolean holdAll(PersistentTopic topic) {
        return replace(topic, new KafkaTransactionBuffer(topic, TransactionIndex.holdingAll(), new Object()));
    }

    /** Gives the topic Pulsar's own disabled buffer back: dispatchers read all that is stored. */
    static void release(PersistentTopic topic) {
        replace(topic, new TransactionBufferDisable(topic));
    }

    private static boolean replace(PersistentTopic topic, TransactionBuffer replacement) {
        TransactionBuffer current = topic.getTransactionBuffer();
        if (FIELD == null || current == null || current.getClass() != TransactionBufferDisable.class
                && !(current instanceof KafkaTransactionBuffer)) {
            return false;
        }
        try {
            FIELD.set(topic, replacement);
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("[{}] Pulsar consumers will see Kafka transactions' records as stored: {}", topic.getName(),
                    e.toString());
            return false;
        }
        // Dispatchers that reached the old limit wait for the next entry: they read again now.
        if (NOTIFY_CURSORS != null) {
            try {
                NOTIFY_CURSORS.invoke(topic.getManagedLedger());
            } catch (ReflectiveOperationException | RuntimeException e) {
                log.debug("[{}] waiting dispatchers not woken: {}", topic.getName(), e.toString());
            }
        }
        return true;
    }

    private static java.lang.reflect.Method notifyCursors() {
        try {
            java.lang.reflect.Method m = org.apache.bookkeeper.mledger.impl.ManagedLedgerImpl.class
                    .getDeclaredMethod("notifyCursors");
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static Field field() {
        try {
            Field f = PersistentTopic.class.getDeclaredField("transactionBuffer");
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("this Pulsar version's topics do not take KoP's transaction buffer: {}", e.toString());
            return null;
        }
    }

    /**
     * The entry before the first open transaction's, else the last stored entry. Never "latest", as
     * Pulsar's disabled buffer answers: a dispatcher waiting for entries keeps the limit it asked with,
     * and would read a transaction that opens meanwhile.
     */
    @Override
    public Position getMaxReadPosition() {
        Position floor = transactions.readFloor();
        return floor != null ? floor : topic.getManagedLedger().getLastConfirmedEntry();
    }

    @Override
    public boolean isTxnAborted(TxnID txnID, Position readPosition) {
        synchronized (lock) {
            return transactions.isAborted(txnID.getMostSigBits(), readPosition);
        }
    }

    @Override
    public long getOngoingTxnCount() {
        synchronized (lock) {
            return transactions.openCount();
        }
    }

    @Override
    public long getAbortedTxnCount() {
        synchronized (lock) {
            return transactions.abortedCount();
        }
    }
}
