#!/usr/bin/env python3
"""Checks trawl's entries for the traffic kafka_traffic.sh made, field by field.

Usage: check_kafka_entries.py ENTRIES.jsonl CONSUMED.txt
"""
import json
import sys

from checks import check, finish

entries = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
consumed = [line.rstrip("\n").split(" ", 2) for line in open(sys.argv[2]) if line.strip()]
SRV, CLI = "10.77.0.1", "10.77.0.2"
CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


kafka = [e for e in entries if e["protocol"]["name"] == "kafka"]
req = lambda e: e.get("request", {})
resp = lambda e: e.get("response") or {}
api = lambda name: [e for e in kafka if req(e).get("apiKeyName") == name]
check(len(kafka) > 50, "kafka entries: %d" % len(kafka))


def record_sets(payload):
    """(topic, partition, record set) for every partition of a Produce/Fetch body."""
    out = []
    for t in (payload or {}).get("topics", (payload or {}).get("responses", [])):
        for p in t["partitions"]:
            rs = p.get("records")
            if rs is not None:
                out.append((t.get("name", t.get("topic")), p.get("index", p.get("partitionIndex")), rs))
    return out


for e in kafka:
    check(e["src"]["ip"] == CLI and e["dst"]["ip"] == SRV and e["dst"]["port"] == 9092,
          "client to broker: %s -> %s" % (e["src"], e["dst"]))
    check(e["protocol"]["version"] == str(req(e).get("apiVersion")), "protocol.version is the API version")
    check(req(e).get("clientId") == "rdkafka", "clientId")
    if e.get("response"):
        check(resp(e)["correlationId"] == req(e)["correlationId"], "paired by correlation id")
        check(e["elapsedTime"] > 0, "elapsedTime")
        check(isinstance(resp(e).get("errorCode"), int), "errorCode on every response")
    err = e.get("error")
    if err:
        name = req(e).get("apiKeyName")
        # Requests in flight when a client exits (long-polling Fetches, a periodic
        # Metadata refresh) are never answered: nothing sent after them on their
        # connection was answered either. The mock answers an ApiVersions v3 it
        # does not support with a body that is neither v0 (KIP-511) nor v3: it is
        # reported, not guessed.
        in_flight_at_exit = err == "no response" and not any(
            o["stream"] == e["stream"] and o.get("response") and o["timestampUs"] > e["timestampUs"]
            for o in kafka)
        allowed = (name in ("Fetch", "Metadata") and in_flight_at_exit) or (
            name == "ApiVersions" and req(e)["apiVersion"] == 3 and
            err == "malformed: ApiVersions v0 response ends early" and resp(e).get("errorCode") == 35)
        check(allowed, "unexpected error %r on %s" % (err, name))

# Produce: one request per codec with both records, compressed with that codec.
by_topic = {}
for t, k, v in consumed:
    by_topic.setdefault(t, {})[k] = v
for codec in CODECS:
    topic = "topic-" + codec
    produced = [e for e in api("Produce") if req(e).get("topics") == [topic]]
    check(len(produced) == 1, "%s: one Produce, found %d" % (topic, len(produced)))
    if not produced:
        continue
    e = produced[0]
    check(req(e)["recordCount"] == 2 and req(e)["partitions"] == 1, topic + ": recordCount, partitions")
    check(req(e)["payload"]["acks"] == -1, topic + ": acks all (librdkafka's default)")
    sets = record_sets(req(e)["payload"])
    check(len(sets) == 1 and sets[0][1] == 0, topic + ": partition 0")
    if sets:
        rs = sets[0][2]
        check(rs.get("compression") == codec, "%s: compression %s" % (topic, rs.get("compression")))
        check(rs.get("count") == 2 and rs.get("batches") == 1, topic + ": one batch of two")
        recs = rs.get("records", [])
        check([r.get("key") for r in recs] == ["key-1", "key-2"], topic + ": keys")
        check([r.get("value") for r in recs] == [by_topic.get(topic, {}).get("key-1"), by_topic.get(topic, {}).get("key-2")],
              topic + ": values as kcat consumed them")
        check(all(r.get("headers") == {"trace": "abc123"} for r in recs), topic + ": headers")
        check([r.get("offset") for r in recs] == [0, 1], topic + ": offsets in the request batch")
    r = resp(e)
    check(r.get("errorCode") == 0, topic + ": produce errorCode 0")
    rp = r["payload"]["responses"][0]["partitions"][0] if r.get("payload") else {}
    check(rp.get("baseOffset") == 0 and rp.get("index") == 0, topic + ": baseOffset 0")

    # Fetch: a response carries the same records, decompressed.
    fetched = [rs for e in api("Fetch") for (t, p, rs) in record_sets(resp(e).get("payload"))
               if t == topic and rs.get("count")]
    check(len(fetched) >= 1, topic + ": fetched")
    for rs in fetched:
        check(rs.get("compression") == codec, "%s: fetched compression %s" % (topic, rs.get("compression")))
        check([(r.get("offset"), r.get("key"), r.get("value")) for r in rs.get("records", [])] ==
              [(0, "key-1", by_topic[topic]["key-1"]), (1, "key-2", by_topic[topic]["key-2"])],
              topic + ": fetched records")
    for e in api("Fetch"):
        if req(e).get("topics") == [topic]:
            parts = [p for t in req(e)["payload"]["topics"] for p in t["partitions"]]
            check(all(p["partitionMaxBytes"] > 0 for p in parts), topic + ": fetch partitions")
check(len(by_topic) == 5 and all(len(v) == 2 for v in by_topic.values()), "kcat consumed 2 per topic")

# Metadata: kcat -L asks for every topic (a null list); the answer names them and the broker.
listing = [e for e in api("Metadata") if req(e)["payload"]["topics"] is None and resp(e).get("payload")]
check(len(listing) >= 1, "Metadata for all topics")
if listing:
    names = set(resp(listing[-1]).get("topics", []))
    check({"topic-" + c for c in CODECS} | {"orders"} <= names, "Metadata names every topic: %s" % names)
    brokers = resp(listing[-1])["payload"]["brokers"]
    check(len(brokers) == 1 and brokers[0]["host"] == "127.0.0.1" and brokers[0]["nodeId"] == 1,
          "Metadata broker: %s" % brokers)
    orders = [t for t in resp(listing[-1])["payload"]["topics"] if t["name"] == "orders"]
    check(len(orders) == 1 and len(orders[0]["partitions"]) == 3, "orders has 3 partitions")

# ApiVersions v0 lists what the broker speaks.
av = [e for e in api("ApiVersions") if req(e)["apiVersion"] == 0 and resp(e).get("payload")]
check(len(av) >= 1, "ApiVersions v0")
for e in av:
    keys = {k["apiKey"] for k in resp(e)["payload"]["apiKeys"]}
    check({0, 1, 3, 18} <= keys, "ApiVersions lists Produce, Fetch, Metadata, ApiVersions")
    check(resp(e)["payload"]["errorCode"] == 0, "ApiVersions v0 errorCode")

# The consumer group.
fc = [e for e in api("FindCoordinator") if req(e)["payload"].get("key") == "trawl-group"]
check(len(fc) >= 1 and all(resp(e)["payload"].get("port", 0) > 0 for e in fc), "FindCoordinator trawl-group")
jg = api("JoinGroup")
check(len(jg) == 1, "one JoinGroup")
member = None
if jg:
    p, r = req(jg[0])["payload"], resp(jg[0])["payload"]
    check(p["groupId"] == "trawl-group" and p["protocolType"] == "consumer", "JoinGroup request")
    check(len(p["protocols"]) >= 1 and p["protocols"][0]["metadata"]["size"] > 0, "JoinGroup protocols")
    member = r.get("memberId")
    check(bool(member) and r.get("leader") == member and r.get("generationId", 0) >= 1, "JoinGroup: leader is us")
sg = api("SyncGroup")
check(len(sg) == 1 and req(sg[0])["payload"]["memberId"] == member and
      req(sg[0])["payload"]["groupId"] == "trawl-group" and resp(sg[0])["errorCode"] == 0, "SyncGroup")
oc = api("OffsetCommit")
check(len(oc) >= 1, "OffsetCommit")
for e in oc:
    p = req(e)["payload"]
    check(p["groupId"] == "trawl-group" and req(e).get("topics") == ["topic-gzip"], "OffsetCommit group and topic")
    offsets = [x["committedOffset"] for t in p["topics"] for x in t["partitions"]]
    check(2 in offsets, "OffsetCommit commits offset 2: %s" % offsets)
lg = api("LeaveGroup")
check(len(lg) == 1 and req(lg[0])["payload"]["memberId"] == member, "LeaveGroup")
check(all(req(e)["payload"]["groupId"] == "trawl-group" for e in api("Heartbeat")), "Heartbeat group")

# The injected error, then the retry that succeeds.
orders = [e for e in api("Produce") if req(e).get("topics") == ["orders"]]
check([resp(e).get("errorCode") for e in orders] == [6, 0], "orders: failed then retried: %s" %
      [resp(e).get("errorCode") for e in orders])
if orders:
    check(resp(orders[0]).get("errorName") == "NOT_LEADER_OR_FOLLOWER", "errorName")
    check(all(record_sets(req(e)["payload"])[0][2]["records"][0]["value"] == "after an error" for e in orders),
          "orders: the retried record")

for e in api("ListOffsets"):
    check(len(req(e).get("topics", [])) == 1 and resp(e)["errorCode"] == 0, "ListOffsets")

finish("kafka", shown=40)
