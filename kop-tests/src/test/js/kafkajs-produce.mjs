// Produces with KafkaJS and reports what the broker said, as one JSON line on stdout.
// Usage: node kafkajs-produce.mjs <bootstrap> <topic>
import { Kafka, CompressionTypes, logLevel } from 'kafkajs';

const [broker, topic] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'kop-kafkajs', brokers: [broker], logLevel: logLevel.WARN });
const admin = kafka.admin();
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
const result = {};
try {
  await admin.connect();
  result.created = await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  result.partitions = metadata.topics[0].partitions.length;
  await producer.connect();
  const sent = [];
  for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
    const messages = [];
    for (let i = 0; i < 5; i++) {
      const n = sent.length + messages.length;
      messages.push({ key: `k${n}`, value: `v${n}`, partition: 0, headers: { h: `x${n}` }, timestamp: `${1700000000000 + n}` });
    }
    const acks = await producer.send({ topic, acks: -1, compression, messages });
    sent.push(...messages.map((m, i) => ({ key: m.key, offset: Number(acks[0].baseOffset) + i })));
  }
  result.sent = sent;
  result.offsets = await admin.fetchTopicOffsets(topic);
  console.log(JSON.stringify(result));
} catch (e) {
  console.log(JSON.stringify({ error: String(e), type: e.type, stack: e.stack }));
  process.exitCode = 1;
} finally {
  await producer.disconnect().catch(() => {});
  await admin.disconnect().catch(() => {});
}
