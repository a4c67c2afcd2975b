"""confluent-kafka (librdkafka) against a secure KoP: SASL_SSL with PLAIN and with OAUTHBEARER
(the token handed over by oauth_cb), produce and consume in a group, and a wrong password.
Prints one JSON line. Usage: confluent_sasl.py <sasl_ssl bootstrap> <ca.pem> <username> <token> <topic>
(SCRAM is not tried: librdkafka before 2.6.1, Debian's included, sends a client-final nonce that
Kafka 4.x, and so KoP, refuses.)
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer

bootstrap, ca, username, token, topic = sys.argv[1:6]
base = {"bootstrap.servers": bootstrap, "security.protocol": "SASL_SSL", "ssl.ca.location": ca}
plain = dict(base, **{"sasl.mechanisms": "PLAIN", "sasl.username": username, "sasl.password": "token:" + token})
oauth = dict(base, **{"sasl.mechanisms": "OAUTHBEARER",
                      "oauth_cb": lambda _config: (token, time.time() + 3600)})
result = {}


def produce(conf, values):
    errors = []
    p = Producer(dict(conf, **{"acks": "all"}))
    for v in values:
        p.produce(topic, v.encode(), callback=lambda err, _msg: errors.append(str(err)) if err else None)
    p.flush(30)
    return errors


def consume(conf, group, n):
    c = Consumer(dict(conf, **{"group.id": group, "auto.offset.reset": "earliest"}))
    c.subscribe([topic])
    got, deadline = [], time.time() + 60
    while len(got) < n and time.time() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            got.append(m.value().decode())
        elif m is not None:
            result.setdefault("consumeErrors", []).append(str(m.error()))
    c.commit(asynchronous=False)
    c.close()
    return got


result["plainProduceErrors"] = produce(plain, ["p0", "p1"])
result["oauthProduceErrors"] = produce(oauth, ["o0"])
result["plainConsumed"] = consume(plain, "g-" + topic, 3)
result["oauthConsumed"] = consume(oauth, "g2-" + topic, 3)
reported = []
bad = Producer(dict(plain, **{"sasl.password": "token:wrong", "error_cb": lambda e: reported.append(str(e))}))
deadline = time.time() + 20
while not reported and time.time() < deadline:
    bad.poll(0.5)  # serves error_cb
result["wrongPassword"] = " | ".join(reported)
print(json.dumps(result))
