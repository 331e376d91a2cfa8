#!/usr/bin/env python3
"""Checks trawl's entries for the traffic redis_traffic.sh made, field by field.

Usage: check_redis_entries.py ENTRIES.jsonl
"""
import json
import sys

from checks import check, finish

entries = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
raw = open(sys.argv[1]).read()
SRV, CLI = "10.77.0.1", "10.77.0.2"


redis = [e for e in entries if e["protocol"]["name"] == "redis"]
req = lambda e: e.get("request", {})
resp = lambda e: e.get("response") or {}


def one(pred, what):
    found = [e for e in redis if pred(e)]
    check(len(found) == 1, "%s: expected 1 entry, found %d" % (what, len(found)))
    return found[0] if found else None


def cmd(name, *args):
    return one(lambda e: req(e).get("command") == name and req(e).get("args", [])[:len(args)] == list(args),
               "%s %s" % (name, " ".join(args)))


for e in redis:
    check(e["src"]["ip"] == CLI and e["dst"]["ip"] == SRV, "client to server")
    check(e["protocol"]["layer4"] == "tcp", "over tcp")
    check("error" not in e, "no error on %s: %s" % (req(e).get("command"), e.get("error")))

e = cmd("SET", "greeting", "hello trawl")
if e:
    check(e["dst"]["port"] == 6379 and e["protocol"]["version"] == "RESP2", "port and version")
    check(req(e)["key"] == "greeting", "key")
    check(resp(e) == {"type": "simple", "value": "OK"}, "SET reply %r" % resp(e))
    check(e["elapsedTime"] > 0 and e["requestSize"] == len("*3\r\n$3\r\nSET\r\n$8\r\ngreeting\r\n$11\r\nhello trawl\r\n"),
          "latency and request size")
e = cmd("GET", "greeting")
check(e is not None and resp(e) == {"type": "bulk", "value": "hello trawl"}, "GET reply")
e = cmd("INCR", "greeting")
check(e is not None and resp(e)["type"] == "error" and resp(e)["value"].startswith("ERR value is not an integer"),
      "error reply")
e = cmd("RPUSH", "queue")
check(e is not None and resp(e) == {"type": "integer", "value": 3}, "RPUSH count")
e = cmd("LRANGE", "queue")
check(e is not None and resp(e) == {"type": "array", "value": ["one", "two", "three"]}, "LRANGE list")
e = cmd("HSET", "user:1")
check(e is not None and resp(e)["value"] == 2, "HSET count")
hget = [e for e in redis if req(e).get("command") == "HGETALL"]
check(len(hget) == 2, "two HGETALL")
resp2 = [e for e in hget if resp(e).get("type") == "array"]
resp3 = [e for e in hget if resp(e).get("type") == "map"]
check(len(resp2) == 1 and resp(resp2[0])["value"] == ["name", "ada", "lang", "c++"], "RESP2 hash as a flat array")
check(len(resp3) == 1 and resp(resp3[0])["value"] == {"name": "ada", "lang": "c++"}, "RESP3 hash as a map")
check(len(resp3) == 1 and resp3[0]["protocol"]["version"] == "RESP3", "RESP3 version")
e = cmd("HELLO", "3")
check(e is not None and resp(e)["type"] == "map" and resp(e)["value"].get("server") == "redis", "HELLO map")
e = cmd("AUTH")
check(e is not None and req(e)["args"] == ["[redacted]"], "AUTH password redacted")
check("s3cret-password" not in raw, "the password appears nowhere")
check(e is not None and resp(e)["type"] == "error", "AUTH error reply")
e = cmd("SET", "on-another-port", "yes")
check(e is not None and e["dst"]["port"] == 7777 and resp(e)["value"] == "OK", "found by content on 7777")

pipe = [e for e in redis if req(e).get("command") == "SET" and req(e)["args"][0].startswith("pipe:")]
check(len(pipe) == 10000, "10,000 pipelined SETs (redis-cli --pipe), found %d" % len(pipe))
check(len({e["stream"] for e in pipe}) == 1, "pipelined on one connection")
check([req(e)["args"] for e in pipe] == [["pipe:%d" % i, "value-%d" % i] for i in range(10000)], "pipelined order")
check(all(resp(e) == {"type": "simple", "value": "OK"} for e in pipe), "every pipelined reply paired")

tx = [e for e in redis if req(e).get("command") in ("MULTI", "EXEC") or req(e).get("key") == "tx"]
check([req(e)["command"] for e in tx] == ["MULTI", "SET", "INCR", "EXEC"], "transaction order")
check(len({e["stream"] for e in tx}) == 1, "transaction on one connection")
if len(tx) == 4:
    check([resp(e)["value"] for e in tx] == ["OK", "QUEUED", "QUEUED", ["OK", 2]], "QUEUED then EXEC results")

e = cmd("SUBSCRIBE", "news")
check(e is not None and resp(e)["value"] == ["subscribe", "news", 1], "subscribe confirmation")
pushes = [x for x in redis if "command" not in req(x)]
check([resp(x)["value"] for x in pushes] == [["message", "news", "first story"], ["message", "news", "second story"]],
      "published messages as entries without a request")
check(e is not None and all(x["stream"] == e["stream"] for x in pushes), "on the subscriber's connection")
pubs = [x for x in redis if req(x).get("command") == "PUBLISH"]
check(len(pubs) == 2 and all(resp(x)["value"] == 1 for x in pubs), "PUBLISH reaches one subscriber")

bench_set = [x for x in redis if req(x).get("command") == "SET" and req(x)["args"][0] == "key:__rand_int__"]
bench_get = [x for x in redis if req(x).get("command") == "GET" and req(x)["args"][0] == "key:__rand_int__"]
check(len(bench_set) == 200 and len(bench_get) == 200, "redis-benchmark: 200 SET and 200 GET (%d, %d)"
      % (len(bench_set), len(bench_get)))
check(all(resp(x).get("value") == "OK" for x in bench_set), "benchmark SETs paired")
check(all(resp(x).get("type") == "bulk" for x in bench_get), "benchmark GETs paired")

finish("redis integration")
