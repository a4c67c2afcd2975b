// KafkaJS over SASL: PLAIN (username tenant/namespace, password token:<JWT>), SCRAM (username and
// password) or OAUTHBEARER (the password is the bearer JWT), over TLS unless the CA is '-'. Creates a topic, produces 3 records, reads them back in a
// group, and tries a wrong password. One JSON line on stdout.
// Usage: node kafkajs-sasl.mjs <bootstrap> <ca.pem|-> <username> <password> <topic> [plain|scram-sha-256|scram-sha-512|oauthbearer]
import { Kafka, logLevel } from 'kafkajs';
import { readFileSync } from 'node:fs';

const [broker, caFile, username, password, topic, mechanism = 'plain'] = process.argv.slice(2);
const ssl = caFile === '-' ? false : { ca: [readFileSync(caFile, 'utf8')] };
const sasl = (secret) => mechanism === 'oauthbearer'
  ? { mechanism, oauthBearerProvider: async () => ({ value: secret }) }
  : { mechanism, username, password: secret };
const kafka = new Kafka({ clientId: 'kop-kafkajs-sasl', brokers: [broker], ssl, logLevel: logLevel.NOTHING,
  sasl: sasl(password) });
const result = {};
const admin = kafka.admin();
const producer = kafka.producer();
const consumer = kafka.consumer({ groupId: `g-${topic}` });
try {
  await admin.connect();
  const existing = await admin.listTopics();
  result.created = existing.includes(topic) ? false
    : await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ value: 'v0' }, { value: 'v1' }, { value: 'v2' }] });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const consumed = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${consumed.length} consumed`)), 60000);
    consumer.run({ eachMessage: async ({ message }) => {
      consumed.push(message.value.toString());
      if (consumed.length === 3) { clearTimeout(timer); resolve(); }
    } });
  });
  result.consumed = consumed;
  const wrong = new Kafka({ clientId: 'kop-kafkajs-wrong', brokers: [broker], ssl, logLevel: logLevel.NOTHING,
    retry: { retries: 0 }, sasl: sasl('token:wrong') }).admin();
  try {
    await wrong.connect();
    result.wrongPassword = 'connected';
  } catch (e) {
    result.wrongPassword = `${e.name}: ${e.message}`;
  }
  console.log(JSON.stringify(result));
} catch (e) {
  console.log(JSON.stringify({ error: String(e), stack: e.stack }));
  process.exitCode = 1;
} finally {
  await consumer.disconnect().catch(() => {});
  await producer.disconnect().catch(() => {});
  await admin.disconnect().catch(() => {});
}
