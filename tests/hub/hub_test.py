#!/usr/bin/env python3
"""trawl hub over three workers, in a network namespace of its own.

Three `trawl read --serve` workers hold the demo capture shifted in time (so
their entries interleave); the hub federates them. Checks:
- a hub query equals the union of the three workers' answers (ids made
  <node>~<id>), newest first, also filtered, and paged with the hub's cursor
  (every entry once, in order);
- an entry and its pcap asked by hub id come from that worker, unchanged;
- /api/stats per node and in total; /metrics with a node label per line;
- a worker killed, and one stopped (SIGSTOP: it accepts but never answers):
  the answer comes within the member timeout, `partial`, naming the missing node;
- the live stream: two `trawl capture` workers on the loopback and a hub; one
  `trawl tail` through the hub sees every request from both nodes;
- names through the hub: the hub alone watches the stand-in API server (one
  watch per resource type for the whole cluster), finds the workers from their
  DaemonSet's pods, and the workers take their names from it (--names-from):
  entries name both ends; with the hub down the workers keep naming; a pod
  made while it was down is named once it is back.
Usage: hub_test.py TRAWL   (root)
"""
import json, os, select, shutil, signal, subprocess, sys, tempfile, threading, time, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from checks import check, finish  # noqa: E402

TOKEN = "hub-test-token-0123456789"
DEMO = os.path.join(HERE, "..", "..", "fixtures", "demo.pcap")


def get(port, path, token=TOKEN, raw=False):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
            return r.status, (body if raw else json.loads(body) if body[:1] in (b"{", b"[") else body.decode())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def wait_healthy(port, proc):
    for _ in range(200):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).status == 200:
                return True
        except OSError:
            pass
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def start(args, port, log):
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    if not wait_healthy(port, p):
        raise SystemExit(f"did not start: {' '.join(args)}; see {log}")
    return p


def rewrite(entries, node):
    return [dict(e, id=f"{node}~{e['id']}") for e in entries]


def newest_first(lists):
    """The workers' answers (each newest first as stored: a flow's entry comes
    when it closes, with its start time) merged by the newest head."""
    heads, out = [0] * len(lists), []
    while True:
        live = [i for i, l in enumerate(lists) if heads[i] < len(l)]
        if not live:
            return out
        best = max(live, key=lambda i: (lists[i][heads[i]]["timestampUs"], -i))
        out.append(lists[best][heads[best]])
        heads[best] += 1


def federated_queries(work):
    ports = {"n1": 19201, "n2": 19202, "n3": 19203}
    procs = {}
    for i, (node, port) in enumerate(ports.items()):
        pcap = f"{work}/{node}.pcap"
        subprocess.run(["editcap", "-t", f"{i * 0.00037:.5f}", DEMO, pcap], check=True, capture_output=True)
        cluster = "us" if node == "n3" else "eu"
        procs[node] = start([TRAWL, "read", pcap, "--serve", "--port", str(port), "--node-name", node,
                             "--cluster-name", cluster, "--token", TOKEN], port, f"{work}/{node}.log")
    members = ",".join(f"{n}=http://127.0.0.1:{p}" for n, p in ports.items())
    hub = start([TRAWL, "hub", "--workers", members, "--port", "19200", "--token", TOKEN,
                 "--member-timeout", "1.5"], 19200, f"{work}/hub.log")
    try:
        for q in ("", "http", "dns or tcp"):
            union, lists = [], []
            for node, port in ports.items():
                _, body = get(port, f"/api/entries?limit=10000&q={urllib.parse.quote(q)}")
                lists.append(rewrite(body["entries"], node))
                union += lists[-1]
            _, body = get(19200, f"/api/entries?limit=10000&q={urllib.parse.quote(q)}")
            got = body["entries"]
            check(len(union) > 0 and sorted(json.dumps(e, sort_keys=True) for e in got) ==
                  sorted(json.dumps(e, sort_keys=True) for e in union),
                  f"q={q!r}: the hub's answer is the union of the workers' ({len(got)} vs {len(union)})")
            check([e["id"] for e in got] == [e["id"] for e in newest_first(lists)],
                  f"q={q!r}: merged newest first, each worker's order kept")
            if q == "http":  # each worker's HTTP entries are in time order: so are the hub's
                ts = [e["timestampUs"] for e in got]
                check(ts == sorted(ts, reverse=True), f"q={q!r}: in time order across workers")
            check(len({e["id"].split("~")[0] for e in got}) == 3, f"q={q!r}: entries of all three nodes")
            check("next" not in body and not body.get("partial"), f"q={q!r}: complete, no cursor: {list(body)}")
            if q == "":
                everything = got
        paged, cursor, pages = [], "", 0
        while True:
            _, body = get(19200, "/api/entries?limit=7" + (f"&before={urllib.parse.quote(cursor)}" if cursor else ""))
            paged += body["entries"]
            pages += 1
            if "next" not in body or pages > 1000:
                break
            cursor = body["next"]
        check([e["id"] for e in paged] == [e["id"] for e in everything],
              f"paged by 7 over {pages} pages: every entry once, in order ({len(paged)} vs {len(everything)})")
        status, body = get(19200, "/api/entries?before=nonsense")
        check(status == 400, f"a malformed cursor: 400 ({status})")
        status, body = get(19200, "/api/entries?q=http%20and")
        check(status == 400 and body.get("valid") is False, "a bad query: 400 with the position, as a worker")

        pick = [e for e in everything if e["id"].startswith("n2~")][3]
        _, direct = get(ports["n2"], f"/api/entries/{pick['id'].split('~')[1]}")
        _, via_hub = get(19200, f"/api/entries/{pick['id']}")
        check(via_hub == dict(direct, id=pick["id"]), "an entry by hub id: the worker's, with the hub id")
        _, pcap_direct = get(ports["n2"], f"/api/entries/{pick['id'].split('~')[1]}/pcap", raw=True)
        _, pcap_hub = get(19200, f"/api/entries/{pick['id']}/pcap", raw=True)
        check(len(pcap_hub) > 24 and pcap_hub == pcap_direct, "its pcap through the hub, byte for byte")
        status, _ = get(19200, "/api/entries/n9~1")
        check(status == 404, "an id of no member: 404")
        status, _ = get(19200, "/api/entries", token="wrong-token-0123456789")
        check(status == 401, "the hub asks its clients for the token")

        _, stats = get(19200, "/api/stats")
        per_node = [stats["nodes"][n]["store"]["entries"] for n in ports]
        check(sorted(stats["nodes"]) == ["n1", "n2", "n3"] and stats["store"]["entries"] == sum(per_node)
              == len(everything), f"stats per node and in total (a worker's shape): {per_node} {stats.get('store')}")
        _, metrics = get(19200, "/metrics")
        lines = [l for l in metrics.splitlines() if l.startswith("trawl_entries_total{")]
        check(lines and all('node="' in l for l in lines) and {l.split('node="')[1].split('"')[0] for l in lines}
              == {"n1", "n2", "n3"}, "metrics: every worker's lines with its node")
        check(metrics.count("# TYPE trawl_entries_total ") == 1, "metrics: each family described once")
        check('trawl_hub_member_up{member="n3"} 1' in metrics, "metrics: members up")

        procs["n3"].kill()
        procs["n3"].wait()
        procs["n2"].send_signal(signal.SIGSTOP)
        t0 = time.monotonic()
        _, body = get(19200, "/api/entries?limit=10000")
        took = time.monotonic() - t0
        check(body.get("partial") is True and sorted(body.get("missing", [])) == ["n2", "n3"],
              f"a killed and a stopped worker: partial, both named: {body.get('missing')} {body.get('errors')}")
        check(took < 2.5, f"answered within the member timeout (1.5 s): {took:.2f} s")
        check({e["id"].split("~")[0] for e in body["entries"]} == {"n1"} and
              len(body["entries"]) == sum(1 for e in everything if e["id"].startswith("n1~")),
              "the answering worker's entries all there")
        _, members = get(19200, "/api/members")
        check([m["up"] for m in members] == [True, False, False], f"members' health: {members}")
        procs["n2"].send_signal(signal.SIGCONT)
        procs["n3"] = start([TRAWL, "read", f"{work}/n3.pcap", "--serve", "--port", "19203", "--node-name", "n3",
                             "--cluster-name", "us", "--token", TOKEN], 19203, f"{work}/n3-again.log")
        across_clusters(work, everything, procs)
    finally:
        for p in [hub, *procs.values()]:
            if p.poll() is None:
                p.send_signal(signal.SIGCONT)
                p.kill()
                p.wait()


def across_clusters(work, everything, procs):
    """Two clusters' hubs (eu: n1 and n2; us: n3) under a top hub."""
    procs["eu"] = start([TRAWL, "hub", "--workers", "n1=127.0.0.1:19201,n2=127.0.0.1:19202", "--port", "19205",
                         "--token", TOKEN], 19205, f"{work}/hub-eu.log")
    procs["us"] = start([TRAWL, "hub", "--workers", "n3=127.0.0.1:19203", "--port", "19206", "--token", TOKEN],
                        19206, f"{work}/hub-us.log")
    procs["top"] = start([TRAWL, "hub", "--workers", "eu=127.0.0.1:19205,us=127.0.0.1:19206", "--port", "19207",
                          "--token", TOKEN], 19207, f"{work}/hub-top.log")
    _, body = get(19207, "/api/entries?limit=10000")
    got = body["entries"]
    check(sorted(e["id"] for e in got) ==
          sorted(("us~" if e["id"].startswith("n3~") else "eu~") + e["id"] for e in everything),
          f"the top hub: every entry of both clusters, ids <cluster>~<node>~<id> ({len(got)} of {len(everything)})")
    check(all(e["cluster"]["name"] == e["id"].split("~")[0] for e in got), "each entry carries its cluster.name")
    _, us = get(19207, "/api/entries?limit=10000&q=" + urllib.parse.quote('cluster.name == "us"'))
    check(us["entries"] and all(e["id"].startswith("us~n3~") for e in us["entries"]) and
          len(us["entries"]) == sum(1 for e in everything if e["id"].startswith("n3~")), "KFL cluster.name across hubs")
    paged, cursor = [], ""
    for _ in range(1000):
        _, page = get(19207, "/api/entries?limit=5" + (f"&before={urllib.parse.quote(cursor)}" if cursor else ""))
        paged += page["entries"]
        if "next" not in page:
            break
        cursor = page["next"]
    check([e["id"] for e in paged] == [e["id"] for e in got], "paged through two levels of hubs: every entry once")
    pick = got[len(got) // 2]
    _, one = get(19207, f"/api/entries/{pick['id']}")
    check(one == pick, "an entry asked by its nested id, through two hubs")
    _, stats = get(19207, "/api/stats")
    check(stats["store"]["entries"] == len(everything) and sorted(stats["nodes"]) == ["eu", "us"],
          "stats summed over clusters")


class Web(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello " + self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


# A member slow to acknowledge the query (a second), that then says it skipped
# entries before the hub got them (as a worker does to a slow reader), and
# sends one: a WebSocket server on node's ws.
SKIPPING_MEMBER = r"""
const { createRequire } = require("node:module");
const WebSocket = createRequire(process.argv[1] + "/package.json")("ws");
const server = new WebSocket.WebSocketServer({ host: "127.0.0.1", port: 19219 });
server.on("connection", (ws) => ws.on("message", () => setTimeout(() => {
  ws.send(JSON.stringify({ control: { query: "" } }));
  ws.send(JSON.stringify({ control: { skipped: 3 } }));
  ws.send(JSON.stringify({ control: { skipped: 7 } }));
  ws.send(JSON.stringify({ id: "1", timestampUs: 1, protocol: { name: "http" } }));
}, 1000)));
console.log("listening");
"""


def wait_live(tail, timeout=10):
    """Seconds until `trawl tail` says its query is acknowledged (None: not
    within `timeout`). Reads stderr's bytes itself, leaving the rest in the pipe
    for communicate()."""
    start, line, fd = time.monotonic(), b"", tail.stderr.fileno()
    while select.select([fd], [], [], max(0, start + timeout - time.monotonic()))[0]:
        c = os.read(fd, 1)
        if not c:
            return None
        if c != b"\n":
            line += c
        elif line == b"trawl tail: live":
            return time.monotonic() - start
        else:
            line = b""
    return None


def skipped_upstream(work):
    ui = os.path.join(HERE, "..", "..", "ui")
    member = subprocess.Popen(["node", "-e", SKIPPING_MEMBER, ui], stdout=subprocess.PIPE, text=True)
    hub = None
    try:
        member.stdout.readline()
        # n8 is down: it must not hold the acknowledgement back.
        hub = start([TRAWL, "hub", "--workers", "n9=127.0.0.1:19219,n8=127.0.0.1:19217", "--port", "19218",
                     "--token", TOKEN], 19218, f"{work}/hub-skip.log")
        tail = subprocess.Popen([TRAWL, "tail", "", "--json", "--server", "http://127.0.0.1:19218", "--token", TOKEN],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        live_after = wait_live(tail)
        check(live_after is not None and 0.9 <= live_after < 2.5,
              f"the hub acknowledges a query once its live members' streams have (a second), "
              f"not waiting for one that is down: {live_after}")
        time.sleep(1)
        tail.terminate()
        out, err = tail.communicate(timeout=10)
        check(any(json.loads(l)["id"] == "n9~1" for l in out.splitlines() if l.startswith("{")) and
              "trawl tail: 7 entries skipped" in err,
              f"what a member skipped reaches the hub's client: {out!r} {err!r}")
    finally:
        for p in (member, hub):
            if p:
                p.kill()
                p.wait()


def live_stream(work):
    web = ThreadingHTTPServer(("127.0.0.1", 8080), Web)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    procs = []
    try:
        for node, port in (("n1", 19211), ("n2", 19212)):
            procs.append(start([TRAWL, "capture", "-i", "lo", "--port", str(port), "--node-name", node,
                                "--token", TOKEN, "--data-dir", f"{work}/{node}-data", "--threads", "1"],
                               port, f"{work}/{node}-capture.log"))
        procs.append(start([TRAWL, "hub", "--workers", "n1=127.0.0.1:19211,n2=127.0.0.1:19212",
                            "--port", "19210", "--token", TOKEN], 19210, f"{work}/hub-live.log"))
        tail = subprocess.Popen([TRAWL, "tail", 'http and request.path.startsWith("/live")', "--json",
                                 "--server", "http://127.0.0.1:19210", "--token", TOKEN],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # Acknowledged once the hub's streams to both workers are on: the
        # calls made right after must all arrive.
        check(wait_live(tail) is not None, "the hub's live stream acknowledges the query")
        paths = [f"/live/{i}" for i in range(20)]
        for p in paths:
            subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:8080{p}"], check=True)
        time.sleep(2)
        tail.terminate()
        out, _ = tail.communicate(timeout=10)
        got = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
        seen = {(e["id"].split("~")[0], e["request"]["path"]) for e in got}
        check(seen == {(n, p) for n in ("n1", "n2") for p in paths},
              f"the hub's live stream: every request from both nodes ({len(seen)} of {2 * len(paths)})")
        check(all(e.get("node", {}).get("name") == e["id"].split("~")[0] for e in got),
              "each streamed entry's id names the node it came from")
    finally:
        for p in procs:
            p.kill()
            p.wait()
        web.shutdown()


def names_through_the_hub(work):
    sys.path.insert(0, os.path.join(HERE, "..", "kube"))
    import live_names_test as kube  # the stand-in API server and its users
    subprocess.run([os.path.join(HERE, "..", "kube", "certs.sh"), work], check=True)
    with open(f"{work}/tokens", "w") as f:
        f.write("t-admin,admin\nt-viewer,viewer\n")
    with open(f"{work}/token", "w") as f:
        f.write("t-viewer\n")
    kubeconfig = f"{work}/kubeconfig"
    with open(kubeconfig, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "Config", "current-context": "hub",
                   "clusters": [{"name": "s", "cluster": {"server": f"https://127.0.0.1:{kube.API_PORT}",
                                                          "certificate-authority": f"{work}/ca.crt"}}],
                   "users": [{"name": "hub", "user": {"tokenFile": f"{work}/token"}}],
                   "contexts": [{"name": "hub", "context": {"cluster": "s", "user": "hub"}}]}, f)

    def worker_pod(node, ip):
        return {"kind": "Pod", "metadata": {"name": f"trawl-worker-{node}", "namespace": "trawl", "labels": {
            "app.kubernetes.io/name": "trawl", "app.kubernetes.io/component": "worker"}},
            "spec": {"nodeName": node, "hostNetwork": True}, "status": {"podIP": ip, "phase": "Running"}}
    state = [{"kind": "Namespace", "metadata": {"name": n}} for n in ("shop", "trawl")]
    state += [kube.pod("client", "127.0.0.2", {"app": "client"}),
              kube.pod("web-a", "127.0.0.3", {"app": "web"}),
              worker_pod("n1", "127.0.0.11"), worker_pod("n2", "127.0.0.12")]
    api = kube.StandIn(work)
    api.start(state)
    web = ThreadingHTTPServer(("127.0.0.3", 8080), Web)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    hub_args = [TRAWL, "hub", "--kubeconfig", kubeconfig, "--worker-namespace", "trawl", "--worker-port", "19221",
                "--port", "19220", "--token", TOKEN, "--data-dir", f"{work}/hub-data", "--member-timeout", "2"]
    procs = {"hub": start(hub_args, 19220, f"{work}/hub-names.log")}
    try:
        for node, ip in (("n1", "127.0.0.11"), ("n2", "127.0.0.12")):
            procs[node] = subprocess.Popen(
                [TRAWL, "capture", "-i", "lo", "--threads", "1", "--filter-bpf", "tcp port 8080", "--address", ip,
                 "--port", "19221", "--node-name", node, "--names-from", "http://127.0.0.1:19220", "--token", TOKEN,
                 "--data-dir", f"{work}/{node}-names"], stderr=open(f"{work}/{node}-names.log", "w"))
        def synced(ip):
            try:
                kube_stats = get_at(ip, 19221, "/api/stats")["kube"]
                return kube_stats["resources"]["hub"]["synced"] and kube_stats["addresses"] >= 2
            except (OSError, KeyError, TypeError):
                return False
        check(wait(lambda: synced("127.0.0.11") and synced("127.0.0.12"), 15),
              f"both workers took the cluster's names from the hub: {get_at('127.0.0.11', 19221, '/api/stats').get('kube')}")
        check(wait(lambda: sorted(m["name"] for m in get(19220, "/api/members")[1]) == ["n1", "n2"], 10),
              f"the hub found both workers from their pods: {get(19220, '/api/members')[1]}")

        def called_and_named(path, client):
            subprocess.run(["curl", "-s", "-o", "/dev/null", "--interface", "127.0.0.2", f"http://127.0.0.3:8080{path}"],
                           check=True)
            q = urllib.parse.quote(f'request.path == "{path}"')
            ok = lambda: len(get(19220, f"/api/entries?q={q}")[1].get("entries", [])) == 2
            if not wait(ok, 10):
                return f"no entries for {path}: {get(19220, f'/api/entries?q={q}')[1]}"
            entries = get(19220, f"/api/entries?q={q}")[1]["entries"]
            return [(e["id"].split("~")[0], e["src"].get("name"), e["dst"].get("name"),
                     e["dst"].get("workload", {}).get("name")) for e in entries]
        got = called_and_named("/named", "client")
        check(sorted(got) == [("n1", "client", "web-a", None), ("n2", "client", "web-a", None)],
              f"entries of both nodes name both ends: {got}")
        requests = [r["path"] for r in api.call("/standin/requests") if r["verb"] == "GET"]
        watches = [r for r in requests if "watch=1" in r]
        check(len(watches) == 7 and len({w.split("?")[0] for w in watches}) == 7,
              f"one watch per resource type for the whole cluster: {watches}")

        procs["hub"].kill()
        procs["hub"].wait()
        subprocess.run(["curl", "-s", "-o", "/dev/null", "--interface", "127.0.0.2", "http://127.0.0.3:8080/hub-down"],
                       check=True)
        q = urllib.parse.quote('request.path == "/hub-down"')
        check(wait(lambda: get_at("127.0.0.11", 19221, f"/api/entries?q={q}")["entries"], 10) and
              get_at("127.0.0.11", 19221, f"/api/entries?q={q}")["entries"][0]["src"].get("name") == "client",
              "with the hub down, a worker still names its entries")
        api.delete_pod("client")
        api.create_pod(kube.pod("client-2", "127.0.0.2", {"app": "client"}))
        procs["hub"] = start(hub_args, 19220, f"{work}/hub-names-2.log")
        time.sleep(3)  # the hub lists; the workers take its snapshot
        got = called_and_named("/after-restart", "client-2")
        check(sorted(got) == [("n1", "client-2", "web-a", None), ("n2", "client-2", "web-a", None)],
              f"after the hub's restart, a pod made meanwhile is named: {got}")
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        api.stop()
        web.shutdown()


def get_at(host, port, path):
    req = urllib.request.Request(f"http://{host}:{port}{path}", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def wait(cond, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if cond():
                return True
        except (OSError, KeyError, IndexError, TypeError):
            pass
        time.sleep(0.2)
    return False


def main():
    work = tempfile.mkdtemp(prefix="trawl-hub.")
    try:
        federated_queries(work)
        live_stream(work)
        skipped_upstream(work)
        names_through_the_hub(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    finish("hub_test")


if __name__ == "__main__":
    import urllib.parse
    TRAWL = os.path.realpath(sys.argv[1])
    if os.environ.get("TRAWL_HUB_NETNS") != "1":
        os.environ["TRAWL_HUB_NETNS"] = "1"
        os.execvp("unshare", ["unshare", "-n", "--", sys.executable, __file__, TRAWL])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    main()
