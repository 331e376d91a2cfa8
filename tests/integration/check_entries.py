#!/usr/bin/env python3
"""Checks trawl's entries for the traffic traffic.sh made, field by field.

Usage: check_entries.py ENTRIES.jsonl
Every expectation is what the clients in traffic.sh did; a failed one is printed
and the exit status is 1.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from www_content import files  # noqa: E402

from checks import check, finish  # noqa: E402

entries = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]


def find(proto, pred):
    return [e for e in entries if e["protocol"]["name"] == proto and pred(e)]


def one(proto, pred, what):
    found = find(proto, pred)
    check(len(found) == 1, "%s: expected 1 entry, found %d" % (what, len(found)))
    return found[0] if found else None


def req(e):
    return e.get("request", {})


def resp(e):
    return e.get("response") or {}


# Common fields on every entry.
ids = [e["id"] for e in entries]
check(len(ids) == len(set(ids)), "entry ids are unique")
for e in entries:
    for field in ("id", "protocol", "src", "dst", "timestamp", "timestampUs", "elapsedTime",
                  "request", "requestSize", "responseSize", "stream", "tls"):
        check(field in e, "entry %s has %s" % (e.get("id"), field))
    check(e["timestamp"] == e["timestampUs"] // 1000, "timestamp ms matches us")

served = files()
index_json, a_txt, b_txt = served["index.json"], served["a.txt"], served["b.txt"]
SRV, CLI = "10.77.0.1", "10.77.0.2"

# --- HTTP
e = one("http", lambda e: req(e).get("url") == "/index.json?x=1&y=2&x=3", "GET with query")
if e:
    check(e["protocol"]["version"] == "1.1", "version 1.1")
    check(e["src"]["ip"] == CLI and e["dst"]["ip"] == SRV and e["dst"]["port"] == 80, "endpoints")
    check(req(e)["method"] == "GET", "method GET")
    check(req(e)["path"] == "/index.json", "path")
    check(req(e)["queryString"] == {"x": ["1", "3"], "y": "2"}, "queryString %r" % req(e)["queryString"])
    check(req(e)["host"] == SRV, "host")
    check(req(e)["headers"].get("accept-encoding") == "identity", "request header")
    check(resp(e)["status"] == 200 and resp(e)["statusText"] == "OK", "status 200 OK")
    check(resp(e).get("body") == index_json, "identity body equals the file")
    check(resp(e)["bodySize"] == len(index_json), "bodySize")
    check(resp(e)["headers"].get("content-type") == "application/json", "content-type")
    check(e["elapsedTime"] > 0, "latency measured")

e = one("http", lambda e: req(e).get("headers", {}).get("x-trawl-test") == "gzip", "GET gzip")
if e:
    h = resp(e)["headers"]
    check(h.get("content-encoding") == "gzip", "gzip content-encoding")
    check(h.get("transfer-encoding") == "chunked", "chunked transfer-encoding")
    check(resp(e).get("body") == index_json, "gzip+chunked body decoded to the file")
    check(e["responseSize"] < len(index_json), "wire size is the compressed size")

e = one("http", lambda e: req(e).get("url") == "/missing", "404")
if e:
    check(resp(e)["status"] == 404, "status 404")

e = one("http", lambda e: req(e).get("method") == "HEAD", "HEAD")
if e:
    check(resp(e)["status"] == 200 and resp(e)["bodySize"] == 0, "HEAD response without body")
    check(resp(e)["headers"].get("content-length") == str(len(a_txt)), "HEAD content-length")

e = one("http", lambda e: req(e).get("url") == "/empty", "204")
if e:
    check(resp(e)["status"] == 204 and resp(e)["bodySize"] == 0, "204 without body")

e = one("http", lambda e: req(e).get("method") == "POST", "POST")
if e:
    check(req(e).get("body") == "name=trawl&lang=c%2B%2B", "POST body")
    check(resp(e)["status"] == 405, "POST to a static file is 405")

e = one("http", lambda e: req(e).get("method") == "PUT", "chunked PUT")
if e:
    check(req(e)["headers"].get("transfer-encoding") == "chunked", "request is chunked")
    check(req(e).get("body") == "chunk-one;chunk-two;chunk-three", "chunked request body joined")

e = one("http", lambda e: e["dst"]["port"] == 12345, "HTTP on port 12345")
if e:
    check(req(e)["url"] == "/a.txt" and resp(e).get("body") == a_txt, "found by content on 12345")

e = one("http", lambda e: e["protocol"]["version"] == "1.0", "HTTP/1.0")
if e:
    check(req(e)["url"] == "/b.txt" and resp(e).get("body") == b_txt, "HTTP/1.0 body")

pipelined = sorted(find("http", lambda e: req(e).get("host") == "pipeline"), key=lambda e: int(e["id"]))
check(len(pipelined) == 3, "3 pipelined requests, found %d" % len(pipelined))
if len(pipelined) == 3:
    check(len({e["stream"] for e in pipelined}) == 1, "pipelined requests share one stream")
    check([req(e)["url"] for e in pipelined] == ["/a.txt", "/b.txt", "/nothing-here"], "pipelined order")
    check([resp(e)["status"] for e in pipelined] == [200, 200, 404], "pipelined statuses paired in order")
    check(resp(pipelined[1]).get("body") == b_txt, "pipelined body paired with its request")

deep = sorted(find("http", lambda e: req(e).get("host") == "deep-pipeline"), key=lambda e: int(e["id"]))
check(len(deep) == 10000, "10,000 pipelined requests on one connection, found %d" % len(deep))
check([req(e)["url"] for e in deep] == ["/%s?n=%d" % ("a.txt" if i % 2 == 0 else "b.txt", i) for i in range(10000)],
      "in order")
misplaced = [e["id"] for e in deep
             if resp(e).get("body") != (a_txt if req(e)["url"].startswith("/a.txt") else b_txt)]
check(not misplaced, "each paired with its own response (%d are not: %s)" % (len(misplaced), misplaced[:5]))

check(not [e for e in entries if e.get("error")], "no entry carries an error: %r" %
      [(e["protocol"]["name"], e.get("error")) for e in entries if e.get("error")])

# --- DNS
e = one("dns", lambda e: e["protocol"]["layer4"] == "udp" and req(e).get("questions", [{}])[0].get("name") == "web.trawl.test", "DNS A over UDP")
if e:
    check(req(e)["questions"] == [{"name": "web.trawl.test", "type": "A", "class": "IN"}], "question")
    check(resp(e)["rcode"] == 0 and resp(e)["rcodeName"] == "NOERROR", "NOERROR")
    check([a["data"] for a in resp(e)["answers"]] == [SRV], "A answer %r" % resp(e).get("answers"))
    check(resp(e)["answers"][0]["type"] == "A" and resp(e)["answers"][0]["ttl"] >= 0, "answer type/ttl")
    check(req(e)["id"] == resp(e)["id"], "paired by id")
e = one("dns", lambda e: e["protocol"]["layer4"] == "tcp" and
        req(e).get("questions", [{}])[0].get("name") == "web.trawl.test", "DNS A over TCP")
if e:
    check(req(e)["questions"][0]["name"] == "web.trawl.test", "TCP question")
    check([a["data"] for a in resp(e)["answers"]] == [SRV], "TCP answer")
# glibc's resolver over TCP: A and AAAA queries in one segment, both paired.
dual = find("dns", lambda e: req(e).get("questions", [{}])[0].get("name") == "dual.trawl.test")
check(sorted(req(e)["questions"][0]["type"] for e in dual) == ["A", "AAAA"],
      "glibc's A and AAAA over TCP are both entries: %r" % [(req(e).get("questions"), e.get("error")) for e in dual])
check(all(e["protocol"]["layer4"] == "tcp" and not e.get("error") and e.get("response") for e in dual),
      "and both are paired with their answers")
answers = sorted(a["data"] for e in dual for a in (e.get("response") or {}).get("answers", []))
check(answers == ["10.77.0.5", "fd00::5"], "their answers: %r" % answers)
e = one("dns", lambda e: req(e).get("questions", [{}])[0].get("name") == "nothing.trawl.test", "NXDOMAIN")
if e:
    check(resp(e)["rcodeName"] == "NXDOMAIN" and resp(e)["rcode"] == 3, "rcode NXDOMAIN")
e = one("dns", lambda e: req(e).get("questions", [{}])[0].get("type") == "TXT", "TXT")
if e:
    check(resp(e)["answers"][0]["data"] == '"hello world"', "TXT data %r" % resp(e)["answers"])
e = one("dns", lambda e: req(e).get("questions", [{}])[0].get("type") == "MX", "MX")
if e:
    check(resp(e)["answers"][0]["data"] == "10 mail.trawl.test", "MX data %r" % resp(e)["answers"])

# --- TLS
ja4_re = re.compile(r"^t1[23][di]\d{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$")
tls = sorted(find("tls", lambda e: True), key=lambda e: e["timestampUs"])
check(len(tls) == 3, "3 TLS handshakes, found %d" % len(tls))
if len(tls) == 3:
    t12, t13, other = tls
    check(req(t12)["sni"] == "tls.trawl.test" and resp(t12)["version"] == "TLS 1.2", "TLS 1.2 handshake")
    check(resp(t12)["alpn"] == "h2" and "h2" in req(t12)["alpn"], "ALPN h2 offered and chosen")
    check(resp(t12)["cipherSuite"].startswith("TLS_ECDHE_"), "TLS 1.2 cipher name %s" % resp(t12)["cipherSuite"])
    check(req(t13)["sni"] == "tls.trawl.test" and resp(t13)["version"] == "TLS 1.3", "TLS 1.3 negotiated")
    # TLS 1.3 moves the server's ALPN choice into encrypted extensions.
    check(req(t13)["alpn"] == ["http/1.1"] and resp(t13)["alpn"] == "", "ALPN offered, choice encrypted")
    check(resp(t13)["cipherSuite"].startswith("TLS_AES_") or "CHACHA" in resp(t13)["cipherSuite"], "TLS 1.3 suite")
    check(req(other)["sni"] == "other.trawl.test" and req(other)["alpn"] == ["http/1.1"], "openssl SNI/ALPN")
    for t in tls:
        check(re.match(r"^[0-9a-f]{32}$", req(t)["ja3"]) is not None, "ja3 is an md5")
        check(ja4_re.match(req(t)["ja4"]) is not None, "ja4 format %s" % req(t)["ja4"])
    check(req(t12)["ja4"].startswith("t12d2") and req(t12)["ja4"][8:10] == "h2", "ja4 of a TLS 1.2-only client")
    for t in (t13, other):
        check(req(t)["ja4"].startswith("t13d") and req(t)["ja4"][8:10] == "h1", "ja4 of a TLS 1.3 client")
    for t in tls:
        check(t["dst"]["port"] == 443 and t["src"]["ip"] == CLI, "TLS endpoints")

# --- ICMP
echoes = sorted(find("icmp", lambda e: req(e).get("type") == 8), key=lambda e: req(e)["seq"])
check([req(e)["seq"] for e in echoes] == [1, 2, 3], "3 echo requests")
for e in echoes:
    check(resp(e).get("type") == 0 and e["elapsedTime"] > 0, "echo reply paired with RTT")
    check(e["src"]["ip"] == CLI and e["dst"]["ip"] == SRV, "echo endpoints")
e = one("icmp", lambda e: req(e).get("type") == 3, "port unreachable")
if e:
    check(req(e)["code"] == 3, "code 3 (port unreachable)")
    o = req(e).get("original", {})
    check(o.get("src") == CLI and o.get("dst") == SRV and o.get("protocol") == 17 and o.get("dstPort") == 9999,
          "quoted 5-tuple %r" % o)

# --- flows
# Flows with payload are the clients' connections (without: traffic.sh's probes
# that wait for tcpdump, the first of which may be caught half-way).
tcp = find("tcp", lambda e: req(e)["payloadBytes"] + resp(e)["payloadBytes"] > 0)
check(len(tcp) == 16, "16 TCP connections with payload, found %d" % len(tcp))
check(all(req(e)["state"] == "closed" for e in tcp), "every TCP connection closed cleanly")
check(all(req(e)["l7"] for e in tcp), "every TCP connection has its L7 protocol")
udp = find("udp", lambda e: e["dst"]["port"] == 9999)
check(len(udp) == 1 and req(udp[0])["packets"] == 1, "UDP flow to the closed port")

finish("check_entries")
