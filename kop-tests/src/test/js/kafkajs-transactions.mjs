// KafkaJS transactions against KoP: a committed, an aborted and a committed transaction with offsets
// sent to it, then a read_committed consumer (KafkaJS's default) and a read_uncommitted one.
// Prints one JSON line. Usage: node kafkajs-transactions.mjs <bootstrap> <topic> <transactional id> <group>
import { Kafka, logLevel } from 'kafkajs';

const [broker, topic, transactionalId, group] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'kop-kafkajs-txn', brokers: [broker], logLevel: logLevel.WARN });
const admin = kafka.admin();
const producer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
const result = {};

async function read(readUncommitted, n) {
  const consumer = kafka.consumer({ groupId: `reader-${readUncommitted}-${transactionalId}`, readUncommitted });
  const got = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { got.push(message.value.toString()); } });
  const deadline = Date.now() + 30000;
  while (got.length < n && Date.now() < deadline) {
    await new Promise(r => setTimeout(r, 200));
  }
  await new Promise(r => setTimeout(r, 1500)); // nothing more arrives
  await consumer.disconnect();
  return got;
}

try {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await producer.connect();
  let txn = await producer.transaction();
  await txn.send({ topic, messages: [{ value: 'c0' }, { value: 'c1' }] });
  await txn.commit();
  txn = await producer.transaction();
  await txn.send({ topic, messages: [{ value: 'a0' }] });
  await txn.abort();
  txn = await producer.transaction();
  await txn.send({ topic, messages: [{ value: 'c2' }] });
  await txn.sendOffsets({ consumerGroupId: group, topics: [{ topic, partitions: [{ partition: 0, offset: '2' }] }] });
  await txn.commit();
  result.readCommitted = await read(false, 3);
  result.readUncommitted = await read(true, 4);
  const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  result.committedOffset = Number(offsets[0].partitions[0].offset);
  console.log(JSON.stringify(result));
} catch (e) {
  console.log(JSON.stringify({ error: String(e), type: e.type, stack: e.stack }));
  process.exitCode = 1;
} finally {
  await producer.disconnect().catch(() => {});
  await admin.disconnect().catch(() => {});
}
