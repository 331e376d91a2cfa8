#!/usr/bin/env python3
"""Checks trawl's entries for the traffic amqp_traffic.sh made, field by field.

Usage: check_amqp_entries.py ENTRIES.jsonl
"""
import base64
import json
import sys

from checks import check, finish

raw = open(sys.argv[1]).read()
entries = [json.loads(line) for line in raw.splitlines() if line.strip()]
SRV, CLI = "10.77.0.1", "10.77.0.2"


amqp = [e for e in entries if e["protocol"]["name"] == "amqp"]
req = lambda e: e.get("request", {})
resp = lambda e: e.get("response") or {}
method = lambda name: [e for e in amqp if req(e).get("method") == name]


def one(name, what, **args):
    found = [e for e in method(name) if all(req(e).get(k) == v for k, v in args.items())]
    check(len(found) == 1, "%s: expected 1 %s entry, found %d" % (what, name, len(found)))
    return found[0] if found else {"request": {}, "response": {}}


check(len(amqp) > 50, "amqp entries: %d" % len(amqp))
SERVER_SENT = {"connection.start", "connection.tune", "basic.deliver"}
for e in amqp:
    check(e["protocol"]["version"] == "0-9-1", "version")
    m = req(e)["method"]
    from_server = m in SERVER_SENT or (m == "basic.ack" and req(e)["channel"] == 2) or \
        (m == "channel.close" and req(e).get("replyCode") == 404)
    want = (SRV, CLI) if from_server else (CLI, SRV)
    check((e["src"]["ip"], e["dst"]["ip"]) == want, "%s sent by %s" % (m, e["src"]["ip"]))
    check((e["src"]["port"] if from_server else e["dst"]["port"]) == 5672, m + ": port 5672")
    if e.get("response"):
        check(resp(e)["channel"] == req(e)["channel"], m + ": answered on its channel")
        check(resp(e)["method"].startswith(m.split(".")[0] + "."), m + ": answered by its class")
        check(e["elapsedTime"] >= 0, m + ": elapsedTime")
    if e.get("error"):
        check(m == "queue.declare" and req(e).get("queue") == "trawl.no-such-queue",
              "unexpected error %r on %s" % (e["error"], m))

# Six connections (four amqp-tools commands, two amqplib), each with its handshake.
starts = method("connection.start")
check(len(starts) == 6, "connection.start: %d" % len(starts))
for e in starts:
    check(resp(e).get("method") == "connection.start-ok" and resp(e).get("mechanism") == "PLAIN", "start-ok PLAIN")
    check(req(e)["serverProperties"]["product"] == "RabbitMQ", "server product")
    check("response" not in resp(e) and resp(e).get("responseSize") == 12, "the PLAIN response is redacted")
check("AGd1ZXN0AGd1ZXN0" not in raw and "\\u0000guest\\u0000guest" not in raw, "credentials never shown")
products = sorted(resp(e)["clientProperties"].get("product", "") for e in starts)
check(products == ["amqplib"] * 2 + ["rabbitmq-c"] * 4, "clients: %s" % products)
for e in method("connection.tune"):
    check(req(e)["frameMax"] == 131072 and resp(e)["method"] == "connection.tune-ok", "tune")
check(len(method("connection.open")) == 6 and all(resp(e)["method"] == "connection.open-ok" and req(e)["virtualHost"] == "/"
                                                  for e in method("connection.open")), "connection.open")
closes = method("connection.close")
check(len(closes) == 6 and all(req(e)["replyCode"] == 200 and resp(e)["method"] == "connection.close-ok" for e in closes),
      "connection.close")

# amqp-tools
# 1,000 queues declared at once on 1,000 channels: every declaration paired.
deep = [e for e in method("queue.declare") if req(e).get("queue", "").startswith("trawl.deep.")]
check(len(deep) == 1000, "1,000 declarations in flight, found %d" % len(deep))
check(all(resp(e).get("method") == "queue.declare-ok" and resp(e).get("queue") == req(e)["queue"]
          and not e.get("error") for e in deep), "each answered by its own declare-ok: %r" %
      [(req(e)["queue"], resp(e).get("queue"), e.get("error")) for e in deep
       if resp(e).get("queue") != req(e)["queue"]][:3])
opens = method("channel.open")
check(len(opens) >= 1000 and all(resp(e).get("method") == "channel.open-ok" for e in opens),
      "1,000 channel.open in flight, each paired")
e = one("queue.declare", "amqp-tools", queue="tools.queue")
check(resp(e).get("method") == "queue.declare-ok" and resp(e).get("queue") == "tools.queue" and
      resp(e).get("messageCount") == 0, "tools.queue declared")
e = one("basic.publish", "amqp-tools", routingKey="tools.queue")
check(req(e).get("exchange") == "" and req(e).get("body") == "from amqp-tools" and req(e).get("bodySize") == 15 and
      req(e).get("properties", {}).get("contentType") == "text/plain" and "response" not in e, "tools publish")
e = one("basic.get", "amqp-tools", queue="tools.queue")
check(resp(e).get("method") == "basic.get-ok" and resp(e).get("body") == "from amqp-tools" and
      resp(e).get("routingKey") == "tools.queue" and resp(e).get("properties", {}).get("contentType") == "text/plain",
      "tools get")
e = one("queue.delete", "amqp-tools", queue="tools.queue")
check(resp(e).get("method") == "queue.delete-ok" and resp(e).get("messageCount") == 0, "tools delete")

# amqplib: topology
e = one("exchange.declare", "amqplib", exchange="trawl.events")
check(req(e).get("type") == "topic" and req(e).get("durable") is False and resp(e).get("method") == "exchange.declare-ok",
      "exchange.declare")
e = one("queue.declare", "amqplib", queue="trawl.orders")
check(req(e).get("arguments") == {"x-max-length": 100} and resp(e).get("queue") == "trawl.orders", "queue arguments")
e = one("queue.bind", "amqplib", queue="trawl.orders")
check(req(e).get("exchange") == "trawl.events" and req(e).get("routingKey") == "order.*" and
      resp(e).get("method") == "queue.bind-ok", "queue.bind")
e = one("basic.qos", "amqplib", prefetchCount=5)
check(resp(e).get("method") == "basic.qos-ok", "basic.qos")
e = one("confirm.select", "amqplib")
check(resp(e).get("method") == "confirm.select-ok" and req(e)["channel"] == 2, "confirm.select on channel 2")

# Publishing with properties, and the broker's confirms.
e = one("basic.publish", "amqplib", routingKey="order.created")
props = req(e).get("properties", {})
check(props == {"contentType": "application/json", "contentEncoding": "utf-8",
                "headers": {"x-trace": "abc123", "x-attempt": 3}, "deliveryMode": 2, "priority": 5,
                "correlationId": "corr-1", "replyTo": "trawl.replies", "expiration": "60000",
                "messageId": "msg-1", "timestamp": 1700000000, "type": "order", "userId": "guest",
                "appId": "trawl-test"}, "every basic property: %s" % props)
check(json.loads(req(e).get("body", "null")) == {"id": 1, "item": "book"}, "JSON body")
for key, body in (("order.paid", "second message"), ("order.cancelled", "third message")):
    e = one("basic.publish", "amqplib", routingKey=key)
    check(req(e).get("body") == body and req(e).get("exchange") == "trawl.events", key + " body")
e = one("basic.publish", "amqplib", routingKey="trawl.big")
check(req(e).get("bodySize") == 300000 and req(e).get("bodyTruncated") is True and
      req(e).get("body") == "B" * 65536 and e["requestSize"] > 300000, "a body over several frames, capped")
confirms = [e for e in method("basic.ack") if req(e)["channel"] == 2]
check(len(confirms) >= 1 and max(req(e)["deliveryTag"] for e in confirms) == 4, "confirms up to delivery tag 4")

# Getting and consuming.
gets = [e for e in method("basic.get") if req(e).get("queue") == "trawl.orders"]
check([resp(e).get("method") for e in gets] == ["basic.get-ok", "basic.get-empty"], "get, then get-empty")
if gets:
    check(resp(gets[0]).get("properties", {}).get("messageId") == "msg-1" and
          resp(gets[0]).get("exchange") == "trawl.events" and resp(gets[0]).get("routingKey") == "order.created" and
          json.loads(resp(gets[0]).get("body", "null")) == {"id": 1, "item": "book"} and
          resp(gets[0]).get("messageCount") == 2, "basic.get-ok carries msg-1 and 2 left")
e = one("basic.consume", "amqplib", queue="trawl.orders")
check(req(e).get("consumerTag") == "trawl-consumer" and resp(e).get("method") == "basic.consume-ok", "consume")
delivers = method("basic.deliver")
check([(req(e)["routingKey"], req(e)["body"], req(e)["properties"].get("messageId")) for e in delivers] ==
      [("order.paid", "second message", "msg-2"), ("order.cancelled", "third message", "msg-3")], "deliveries")
check(all(req(e)["consumerTag"] == "trawl-consumer" and "response" not in e for e in delivers), "deliver is one-way")
acks = [req(e)["deliveryTag"] for e in method("basic.ack") if req(e)["channel"] == 1]
check(acks == [1, 2], "client acks: %s" % acks)
e = one("basic.nack", "amqplib", deliveryTag=3)
check(req(e).get("requeue") is False and req(e).get("multiple") is False, "nack without requeue")
e = one("basic.cancel", "amqplib", consumerTag="trawl-consumer")
check(resp(e).get("method") == "basic.cancel-ok", "cancel-ok")
big = [e for e in gets + method("basic.get") if req(e).get("queue") == "trawl.big"]
check(len(big) == 1 and resp(big[0]).get("bodySize") == 300000 and resp(big[0]).get("bodyTruncated") is True and
      resp(big[0])["properties"]["messageId"] == "msg-big" and big[0]["responseSize"] > 300000, "the big get")

# The channel error: a passive declare of a missing queue is answered by channel.close 404.
e = one("queue.declare", "missing queue", queue="trawl.no-such-queue")
check(req(e).get("passive") is True and "response" not in e, "passive declare")
check(e.get("error", "").startswith("no response: channel.close 404 NOT_FOUND"), "the close says why: %s" % e.get("error"))
c = [x for x in method("channel.close") if req(x).get("replyCode") == 404]
check(len(c) == 1 and resp(c[0]).get("method") == "channel.close-ok" and req(c[0])["classId"] == 50 and
      req(c[0])["methodId"] == 10, "channel.close 404 names queue.declare")

for name, key, value in (("queue.delete", "queue", "trawl.big"), ("queue.delete", "queue", "trawl.orders"),
                         ("exchange.delete", "exchange", "trawl.events")):
    e = one(name, "cleanup", **{key: value})
    check(resp(e).get("method") == name + "-ok", name + " " + value)

finish("amqp", shown=40)
