"""confluent-kafka (librdkafka) transactions against KoP: a committed, an aborted and a committed
transaction with offsets sent to it; read back with read_committed and read_uncommitted consumers,
and the group's committed offset. Prints one JSON line.
Usage: confluent_transactions.py <bootstrap> <topic> <transactional id> <group>
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, topic, txn_id, group = sys.argv[1:5]
result = {"errors": []}

p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id})
p.init_transactions(30)

p.begin_transaction()
for v in ["c0", "c1", "c2"]:
    p.produce(topic, v.encode(), partition=0)
p.commit_transaction(30)

p.begin_transaction()
for v in ["a0", "a1"]:
    p.produce(topic, v.encode(), partition=0)
p.flush(30)
p.abort_transaction(30)

# consume-transform-produce: the group's offset moves with the transaction
c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
              "enable.auto.commit": False, "isolation.level": "read_committed"})
c.assign([TopicPartition(topic, 0, 0)])
p.begin_transaction()
p.produce(topic, b"c3", partition=0)
p.send_offsets_to_transaction([TopicPartition(topic, 0, 3)], c.consumer_group_metadata(), 30)
p.commit_transaction(30)
c.close()


def read(isolation, n):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader-" + isolation + "-" + txn_id,
                         "auto.offset.reset": "earliest", "isolation.level": isolation})
    consumer.assign([TopicPartition(topic, 0, 0)])
    got, deadline = [], time.time() + 30
    while time.time() < deadline and len(got) < n:
        m = consumer.poll(0.5)
        if m is not None and m.error() is None:
            got.append(m.value().decode())
        elif m is not None:
            result["errors"].append(str(m.error()))
    # nothing more arrives
    quiet = time.time() + 1.5
    while time.time() < quiet:
        m = consumer.poll(0.3)
        if m is not None and m.error() is None:
            got.append(m.value().decode())
    consumer.close()
    return got


result["readCommitted"] = read("read_committed", 4)
result["readUncommitted"] = read("read_uncommitted", 6)
check = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
result["committedOffset"] = check.committed([TopicPartition(topic, 0)], 30)[0].offset
check.close()
print(json.dumps(result))
