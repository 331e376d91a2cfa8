"""Checks what worker_live.sh collected from a live `trawl capture`."""
import json
import os
import sys

from checks import check, finish

work = sys.argv[1]


def load(name):
    with open(os.path.join(work, name)) as f:
        return f.read()


page = json.loads(load("page.json"))
entries = page["entries"]
http = [e for e in entries if e["protocol"]["name"] == "http"]
redis = [e for e in entries if e["protocol"]["name"] == "redis"]
check(len(http) == 4, "4 HTTP entries through the query API, got %d" % len(http))
check(len(redis) == 2, "2 Redis entries through the query API, got %d" % len(redis))
ids = [int(e["id"]) for e in entries]
check(ids == sorted(ids, reverse=True), "entries come newest first: %s" % ids)
for n in (1, 2, 3):
    e = next((e for e in http if e["request"].get("url") == "/live.json?n=%d" % n), None)
    check(e is not None, "GET /live.json?n=%d was captured" % n)
    if not e:
        continue
    check(e["request"]["method"] == "GET", "method of n=%d" % n)
    check(e["request"]["queryString"] == {"n": str(n)}, "query string of n=%d" % n)
    check(e["response"]["status"] == 200, "status of n=%d" % n)
    check(e["response"]["body"] == '{"live":true}\n', "body of n=%d" % n)
    check(e["src"]["ip"] == "10.77.0.2" and e["dst"]["ip"] == "10.77.0.1" and e["dst"]["port"] == 80,
          "endpoints of n=%d: %s -> %s" % (n, e["src"], e["dst"]))
    check(e["elapsedTime"] >= 0, "latency of n=%d" % n)
set_entry = next((e for e in redis if e["request"]["command"] == "SET"), None)
get_entry = next((e for e in redis if e["request"]["command"] == "GET"), None)
check(set_entry and set_entry["request"]["args"] == ["live:key", "captured live"], "SET args")
check(set_entry and set_entry["response"] == {"type": "simple", "value": "OK"}, "SET reply")
check(get_entry and get_entry["response"]["value"] == "captured live", "GET reply")
check(get_entry and get_entry["request"]["key"] == "live:key", "GET key")

not_found = json.loads(load("404.json"))["entries"]
check(len(not_found) == 1 and not_found[0]["request"]["url"] == "/not-there",
      "the KFL query finds the 404 only: %s" % [e["request"]["url"] for e in not_found])

bad = json.loads(load("bad-query.json"))
check(bad.get("valid") is False and bad.get("column") == 9 and "expected" in bad.get("error", ""),
      "a bad query is a 400 with its position: %s" % bad)
check(json.loads(load("validate.json")) == {"valid": True}, "/api/validate accepts a good query")
check(load("missing.code") == "404", "an unknown id is a 404")
check(load("post.code") == "405", "POST is a 405")
check(load("garbage.txt").startswith("HTTP/1.1 400"), "garbage gets a 400: %r" % load("garbage.txt"))

# The WebSocket stream saw the same entries as they happened.
streamed = [json.loads(line) for line in load("tail.jsonl").splitlines() if line.strip()]
streamed_urls = sorted(e["request"].get("url", "") for e in streamed if e["protocol"]["name"] == "http")
check(streamed_urls == sorted(e["request"]["url"] for e in http),
      "the stream carried the HTTP entries: %s" % streamed_urls)
check(sum(1 for e in streamed if e["protocol"]["name"] == "redis") == 2, "the stream carried Redis")
check(all(e["protocol"]["name"] in ("http", "redis") for e in streamed),
      "the stream's query filtered: %s" % sorted({e["protocol"]["name"] for e in streamed}))
streamed_by_id = {e["id"]: e for e in streamed}
for e in entries:
    check(streamed_by_id.get(e["id"]) == e, "entry %s is the same streamed and queried" % e["id"])

# The pcap export holds the request of that entry's connection.
check(load("pcap-uris.txt").split() == ["/live.json?n=2"],
      "tshark reads the exported pcap: %r" % load("pcap-uris.txt"))

stats = json.loads(load("stats.json"))
check(stats["live"]["kernel_drops"] == 0, "no kernel drops")
check(stats["live"]["interfaces"][0]["name"] == "br0", "captured on br0")
check(stats["live"]["threads"] == 2, "two capture threads")
check(stats["entries"]["by_protocol"].get("http") == 4, "stats count the HTTP entries")
check(stats["store"]["entries"] >= 6, "the store counts its entries")
metrics = load("metrics.txt")
check('trawl_entries_total{protocol="http"} 4' in metrics, "metrics count HTTP entries")
check('trawl_latency_milliseconds_count{protocol="redis"} 2' in metrics, "latency histogram")
check("trawl_kernel_drops_total 0" in metrics, "metrics report drops")

after = json.loads(load("page-after-restart.json"))["entries"]
check(after == entries, "after a restart the same entries come back")

finish("worker live")
