#!/usr/bin/env python3
"""Checks trawl's entries for the traffic h2_traffic.sh made, field by field.

Usage: check_h2_entries.py ENTRIES.jsonl LARGE_BODY_FILE [SCHEMA_ENTRIES.jsonl]
SCHEMA_ENTRIES are the same capture read with --proto-descriptors (etcd_kv.proto).
Every expectation is what the clients in h2_traffic.sh did; a failed one is
printed and the exit status is 1.
"""
import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from www_content import files  # noqa: E402

from checks import check, finish  # noqa: E402

entries = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
large = open(sys.argv[2]).read()
served = files()
SRV, CLI = "10.77.0.1", "10.77.0.2"


def find(proto, pred=lambda e: True):
    return [e for e in entries if e["protocol"]["name"] == proto and pred(e)]


def one(proto, pred, what):
    found = find(proto, pred)
    check(len(found) == 1, "%s: expected 1 entry, found %d" % (what, len(found)))
    return found[0] if found else None


def req(e):
    return e.get("request", {})


def resp(e):
    return e.get("response") or {}


def port_of(e, port):
    return port in (e["src"]["port"], e["dst"]["port"])


CANCELLED = "/index.json?cancelled=1"


for e in entries:
    check(e["timestamp"] == e["timestampUs"] // 1000, "timestamp ms matches us")
    if e["protocol"]["name"] in ("http2", "grpc", "websocket", "graphql"):
        check(e["src"]["ip"] in (SRV, CLI) and e["dst"]["ip"] in (SRV, CLI), "endpoints")
        if req(e).get("url") != CANCELLED:
            check(e.get("error") in (None, "truncated"), "no unexpected error: %s" % e.get("error"))

# --- HTTP/2 with prior knowledge (nginx, curl)
e = one("http2", lambda e: req(e).get("url") == "/index.json?h2=1", "h2c GET")
if e:
    check(e["protocol"]["version"] == "2", "version 2")
    check(e["src"]["ip"] == CLI and e["dst"] == {"ip": SRV, "port": 8080}, "h2c endpoints")
    check(req(e)["method"] == "GET" and req(e)["path"] == "/index.json", "method and path")
    check(req(e)["queryString"] == {"h2": "1"}, "queryString")
    check(req(e)["host"] == SRV + ":8080", "host from :authority")
    check(req(e)["headers"].get(":scheme") == "http", "pseudo-headers kept")
    check(resp(e)["status"] == 200 and resp(e)["statusText"] == "OK", "200 OK")
    check(resp(e).get("body") == served["index.json"], "body equals the file")
    check(resp(e)["headers"].get("content-type") == "application/json", "content-type")
    check(e["elapsedTime"] > 0, "latency")
e = one("http2", lambda e: req(e).get("url") == "/missing", "h2c 404")
if e:
    check(resp(e)["status"] == 404, "404")
e = one("http2", lambda e: req(e).get("method") == "POST", "h2c POST")
if e:
    check(req(e)["url"] == "/upload" and req(e).get("body") == "posted=yes", "POST body from DATA")
    check(resp(e)["status"] == 200 and resp(e).get("body") == "posted=yes", "echoed body")
    check(req(e)["headers"].get("content-type") == "application/x-www-form-urlencoded", "form type")

# --- nghttpd: concurrent streams on one connection, large body, trailers, push
multi = find("http2", lambda e: e["dst"]["port"] == 8081 and req(e).get("url") in
             ("/a.txt", "/b.txt", "/index.json", "/nothing-here") and not req(e).get("pushPromise"))
by_stream = {}
for e in multi:
    by_stream.setdefault(e["stream"], []).append(e)
concurrent = [s for s in by_stream.values() if len(s) == 4]
check(len(concurrent) == 1, "four requests on one connection")
if concurrent:
    got = {req(e)["url"]: e for e in concurrent[0]}
    check(sorted(got) == ["/a.txt", "/b.txt", "/index.json", "/nothing-here"], "their paths")
    check(len({req(e)["streamId"] for e in concurrent[0]}) == 4, "four stream ids")
    for url, name in (("/a.txt", "a.txt"), ("/b.txt", "b.txt"), ("/index.json", "index.json")):
        if url in got:
            check(resp(got[url])["status"] == 200 and resp(got[url]).get("body") == served[name],
                  "%s paired with its own body" % url)
            check(resp(got[url]).get("trailers") == {"x-trawl-trailer": "end-of-body"}, "trailer on %s" % url)
    if "/nothing-here" in got:
        check(resp(got["/nothing-here"])["status"] == 404, "404 on its stream")
e = one("http2", lambda e: req(e).get("url") == "/large.txt", "large body")
if e:
    check(resp(e)["bodySize"] == len(large), "large bodySize %d" % resp(e)["bodySize"])
    check(resp(e).get("bodyTruncated") is True, "large body capped")
    check(large.startswith(resp(e).get("body", "-")), "large body prefix")
    check(resp(e).get("trailers") == {"x-trawl-trailer": "end-of-body"}, "trailer after a large body")
    check(e["responseSize"] > len(large), "wire size counts frame headers")
e = one("http2", lambda e: req(e).get("pushPromise") is True, "server push")
if e:
    check(req(e)["url"] == "/b.txt" and req(e)["method"] == "GET", "promised request")
    check(resp(e)["status"] == 200 and resp(e).get("body") == served["b.txt"], "pushed response")
    check(req(e)["streamId"] % 2 == 0, "pushed on an even stream")

# --- gRPC: etcd
grpc = find("grpc")
calls = [(req(e).get("service"), req(e).get("rpc")) for e in grpc]
for call in (("etcdserverpb.KV", "Put"), ("etcdserverpb.KV", "Range"), ("etcdserverpb.KV", "DeleteRange"),
             ("etcdserverpb.Lease", "LeaseGrant"), ("etcdserverpb.Watch", "Watch")):
    check(call in calls, "gRPC call %s/%s seen" % call)
for e in grpc:
    check(e["protocol"]["version"] == "2", "gRPC over HTTP/2")
    check(e["dst"] == {"ip": SRV, "port": 2379}, "gRPC to etcd")
    check(req(e)["headers"].get("content-type") == "application/grpc", "gRPC content-type")
    if (req(e)["service"], req(e)["rpc"]) != ("etcdserverpb.Watch", "Watch"):
        check(resp(e).get("grpcStatus") == 0, "grpc-status 0 on %s" % req(e)["rpc"])
        check(len(req(e).get("messages", [])) == 1 and len(resp(e).get("messages", [])) == 1,
              "unary %s: one message each way" % req(e)["rpc"])
e = one("grpc", lambda e: req(e).get("rpc") == "Put" and
        req(e)["messages"][0].get("1") == "trawl/key", "Put trawl/key")
if e:
    check(req(e)["messages"][0].get("2") == "value one", "PutRequest value (field 2)")
e = one("grpc", lambda e: req(e).get("rpc") == "Range" and req(e)["messages"][0] == {"1": "trawl/key"}, "Range")
if e:
    kv = resp(e)["messages"][0].get("2", {})
    check(kv.get("1") == "trawl/key" and kv.get("5") == "value one", "RangeResponse kv %r" % kv)
e = one("grpc", lambda e: req(e).get("rpc") == "LeaseGrant", "LeaseGrant")
if e:
    check(req(e)["messages"][0] == {"1": 300}, "LeaseGrant TTL")
    check(resp(e)["messages"][0].get("3") == 300, "granted TTL")
e = one("grpc", lambda e: req(e).get("rpc") == "Watch", "Watch stream")
if e:
    check(req(e)["messages"][0] == {"1": {"1": "trawl/watched"}}, "WatchCreateRequest %r" % req(e)["messages"])
    events = [m.get("11") for m in resp(e).get("messages", []) if "11" in m]
    check(len(resp(e).get("messages", [])) >= 2, "watch: created, then an event, in order")
    check(bool(events) and events[0].get("2", {}).get("5") == "seen by the watcher", "watch event value")

# --- GraphQL (HTTP/1.1)
gql = find("graphql")
check(len(gql) == 5, "five GraphQL operations, found %d" % len(gql))
for e in gql:
    check(e["protocol"]["version"] == "1.1" and e["dst"] == {"ip": SRV, "port": 4000}, "GraphQL over HTTP/1.1")
    check(resp(e)["status"] == 200, "GraphQL 200")
ops = {(req(e).get("operationType"), req(e).get("operationName")): e for e in gql if req(e)["method"] == "POST"}
e = ops.get(("query", ""))
check(e is not None and req(e)["query"] == "{ users { id name } }", "anonymous query")
e = ops.get(("query", "OneUser"))
check(e is not None and req(e)["variables"] == {"id": "2"}, "named query with variables")
check(e is not None and "grace" in resp(e).get("body", ""), "its response")
e = ops.get(("mutation", "AddUser"))
check(e is not None and "hopper" in resp(e).get("body", ""), "mutation")
e = ops.get(("query", "Missing"))
check(e is not None and resp(e).get("errors") == 1, "an error counted")
get = [e for e in gql if req(e)["method"] == "GET"]
check(len(get) == 1 and req(get[0])["query"] == "{ hello }", "GET ?query=")

# --- HTTP/2: an answer that crossed the client's RST_STREAM (Node's http2, nginx)
e = one("http2", lambda e: req(e).get("url") == CANCELLED, "the cancelled request")
if e:
    check(e.get("error") == "stream reset: CANCEL", "the entry says the stream was reset: %s" % e.get("error"))
    check(resp(e).get("status") == 200, "the answer that came after the reset is kept")
    check(resp(e).get("body") == served["index.json"], "with its body")
    check(e["src"]["ip"] == CLI and e["dst"] == {"ip": SRV, "port": 8082}, "cancelled request endpoints")
e = one("http2", lambda e: req(e).get("url") == "/download.bin", "the download beside it")
check(e is not None and resp(e).get("bodySize") == 16384 and e.get("error") is None, "the download is whole")

# --- WebSocket after a wrong Sec-WebSocket-Accept (a lenient client goes on)
lenient = find("websocket", lambda e: port_of(e, 8766))
said = [(req(e)["direction"], req(e)["opcode"], req(e).get("payload")) for e in lenient]
check(said == [("client", "text", "lenient one"), ("client", "text", "lenient two"),
               ("server", "text", "echo: lenient one"), ("server", "text", "echo: lenient two"),
               ("client", "close", ""), ("server", "close", "")]
      or sorted(said) == sorted([("client", "text", "lenient one"), ("client", "text", "lenient two"),
                                 ("server", "text", "echo: lenient one"), ("server", "text", "echo: lenient two"),
                                 ("client", "close", ""), ("server", "close", "")]),
      "frames after a wrong accept key are dissected: %s" % said)
bad = find("http", lambda e: resp(e).get("status") == 101 and port_of(e, 8766))
check(len(bad) == 1 and bad[0].get("error") == "malformed: Sec-WebSocket-Accept does not match the key",
      "the handshake is flagged: %s" % [e.get("error") for e in bad])

# --- WebSocket (ws)
ws = find("websocket", lambda e: not port_of(e, 8766))
check(all(e["dst"]["port"] == 8765 or e["src"]["port"] == 8765 for e in ws), "WebSocket port")
client = [req(e) for e in ws if req(e)["direction"] == "client"]
server = [req(e) for e in ws if req(e)["direction"] == "server"]
check(all(m["masked"] for m in client) and not any(m["masked"] for m in server), "clients mask, servers do not")
seq = [(m["opcode"], m.get("payload")) for m in client]
check(("text", "hello trawl") in seq, "client text")
binary = [m for m in client if m["opcode"] == "binary"]
check(len(binary) == 1 and base64.b64decode(binary[0].get("payloadBase64", "")) == bytes([0, 1, 2, 3, 254, 255]),
      "client binary")
frag = [m for m in client if m.get("payload") == "frag-mented"]
check(len(frag) == 1 and frag[0].get("frames") == 3, "fragmented message joined from 3 frames")
check(("ping", "between fragments") in seq, "ping between fragments")
pos = [i for i, (op, p) in enumerate(seq) if op == "ping" and p == "between fragments"]
check(bool(pos) and seq.index(("text", "frag-mented")) > pos[0], "the ping came before the message ended")
comp = [m for m in client if m.get("payload") == "compressed " * 20]
check(len(comp) == 1 and comp[0].get("compressed") is True, "client compressed message inflated")
echoes = [m for m in server if m["opcode"] == "text"]
check([m["payload"] for m in echoes] == ["hello trawl", "frag-mented", "compressed " * 20], "server echoes in order")
check(all(m.get("compressed") for m in echoes), "server compressed every echo (permessage-deflate)")
check(("pong", "are you there") in [(m["opcode"], m.get("payload")) for m in server], "pong")
close = [m for m in client if m["opcode"] == "close"]
check(len(close) == 1 and close[0].get("closeCode") == 4001 and close[0].get("closeReason") == "done testing",
      "close code and reason")
check(any(m["opcode"] == "close" for m in server), "server close")
upgrade = find("http", lambda e: resp(e).get("status") == 101 and port_of(e, 8765))
check(len(upgrade) == 1 and req(upgrade[0])["headers"].get("upgrade") == "websocket", "the upgrade is an http entry")

# --- gRPC messages by name (etcd_kv.proto: KV only)
if len(sys.argv) > 3:
    b64 = lambda s: base64.b64encode(s.encode()).decode()
    named = [json.loads(line) for line in open(sys.argv[3]) if line.strip()]
    named = [e for e in named if e["protocol"]["name"] == "grpc"]
    puts = [e for e in named if req(e)["rpc"] == "Put" and req(e)["messages"][0].get("key") == b64("trawl/key")]
    check(len(puts) == 1, "Put decoded by name")
    if puts:
        check(req(puts[0])["messages"][0].get("value") == b64("value one"), "PutRequest.value by name")
        check(req(puts[0]).get("messagesSchema") is True, "marked as decoded by the schema")
        check("revision" in resp(puts[0])["messages"][0].get("header", {}), "PutResponse.header.revision")
    ranges = [e for e in named if req(e)["rpc"] == "Range" and req(e)["messages"][0] == {"key": b64("trawl/key")}]
    check(len(ranges) == 1 and resp(ranges[0])["messages"][0]["kvs"][0]["value"] == b64("value one"),
          "RangeResponse.kvs[0].value by name")
    lease = [e for e in named if req(e)["rpc"] == "LeaseGrant"]
    check(len(lease) == 1 and req(lease[0])["messages"] == [{"1": 300}], "methods outside the schema: by number")

finish("h2 integration")
