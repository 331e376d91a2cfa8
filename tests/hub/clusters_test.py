#!/usr/bin/env python3
"""Two clusters under a top hub, in a network namespace of its own.

Each cluster, east and west, has its own stand-in API server, a node's worker
(`trawl capture`, seeing only its cluster's pod addresses) and a hub that alone
watches that API server, finds the worker from its DaemonSet's pod and gives it
its names. A top hub federates the two hubs as it would workers. A pod of east
calls a pod of west (both clusters' workers see that call), and a pod of west
calls another inside west. Checks:
- one query to the top hub shows both clusters' entries, each with its
  cluster.name, in time order; KFL `cluster.name` selects one;
- each side is named by the cluster that knows it: east's entry names its
  client and not west's server, west's the other way round;
- each API server sees one watch per resource type, whatever watches names;
- the top hub's members, stats and metrics cover both clusters (west's hub
  has a token of its own, given to the top hub in a file);
- one dashboard (ui/tests/clusters_browser.mjs, chromium): the stream shows
  both clusters' rows, each side named by its cluster; the service map draws
  the call between the clusters as one edge of one call, and clicking it
  filters the stream to it.
Usage: clusters_test.py TRAWL   (root)
"""
import json, os, shutil, subprocess, sys, tempfile, threading, time, urllib.parse, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "kube"))
from checks import check, finish  # noqa: E402

TOKEN = "clusters-test-token-0123456789"
WORKER_PORT, TOP_PORT = 19331, 19340
# Per cluster: the API server's port, its hub's port, its node's address and
# pods (name, address, Deployment).
CLUSTERS = {
    "east": {"api": 16451, "hub": 19341, "node": ("e1", "127.0.0.21"), "net": "127.0.61.0/24",
             "pods": [("client-6c4d-x", "127.0.61.2", "client")]},
    "west": {"api": 16452, "hub": 19342, "node": ("w1", "127.0.0.31"), "net": "127.0.62.0/24",
             "token": "west-has-its-own-token-987654321",
             "pods": [("web-7f8b-y", "127.0.62.2", "web"), ("cron-5a1e-z", "127.0.62.3", "cron")]},
}


def get(port, path, host="127.0.0.1", token=TOKEN):
    req = urllib.request.Request(f"http://{host}:{port}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        body = r.read()
        return json.loads(body) if body[:1] in (b"{", b"[") else body.decode()


def wait(cond, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if cond():
                return True
        except (OSError, KeyError, IndexError, TypeError, ValueError):
            pass
        time.sleep(0.2)
    return False


def state_of(name):
    c = CLUSTERS[name]
    node, node_ip = c["node"]
    objs = [{"kind": "Namespace", "metadata": {"name": n}} for n in ("shop", "trawl")]
    objs.append({"kind": "Node", "metadata": {"name": node},
                 "status": {"addresses": [{"type": "InternalIP", "address": node_ip}]}})
    for pod, ip, deployment in c["pods"]:
        rs = pod.rsplit("-", 1)[0]
        objs.append({"kind": "ReplicaSet", "metadata": {"name": rs, "namespace": "shop", "ownerReferences": [
            {"kind": "Deployment", "name": deployment, "controller": True}]}})
        objs.append({"kind": "Pod", "metadata": {"name": pod, "namespace": "shop", "labels": {"app": deployment},
                                                 "ownerReferences": [{"kind": "ReplicaSet", "name": rs,
                                                                      "controller": True}]},
                     "spec": {"nodeName": node}, "status": {"podIP": ip, "phase": "Running"}})
    objs.append({"kind": "Pod", "metadata": {"name": f"trawl-worker-{node}", "namespace": "trawl", "labels": {
        "app.kubernetes.io/name": "trawl", "app.kubernetes.io/component": "worker"}},
        "spec": {"nodeName": node, "hostNetwork": True}, "status": {"podIP": node_ip, "phase": "Running"}})
    return objs


def start_cluster(name, work, procs, apis):
    import live_names_test as kube  # the stand-in API server
    c, dir_ = CLUSTERS[name], f"{work}/{name}"
    token = c.get("token", TOKEN)
    subprocess.run([os.path.join(HERE, "..", "kube", "certs.sh"), dir_], check=True)
    with open(f"{dir_}/tokens", "w") as f:
        f.write("t-admin,admin\nt-hub,system:serviceaccount:trawl:trawl-hub\n")
    apis[name] = kube.StandIn(dir_, c["api"])
    apis[name].start(state_of(name))
    kubeconfig = f"{dir_}/kubeconfig"
    with open(kubeconfig, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "Config", "current-context": name,
                   "clusters": [{"name": name, "cluster": {"server": f"https://127.0.0.1:{c['api']}",
                                                           "certificate-authority": f"{dir_}/ca.crt"}}],
                   "users": [{"name": "hub", "user": {"token": "t-hub"}}],
                   "contexts": [{"name": name, "context": {"cluster": name, "user": "hub"}}]}, f)
    procs[f"{name}-hub"] = subprocess.Popen(
        [TRAWL, "hub", "--kubeconfig", kubeconfig, "--worker-namespace", "trawl", "--worker-port", str(WORKER_PORT),
         "--port", str(c["hub"]), "--token", token, "--data-dir", f"{dir_}/hub", "--cluster-name", name],
        stderr=open(f"{dir_}/hub.log", "w"))
    node, node_ip = c["node"]
    # The node sees its own pods' traffic: a call between clusters is seen by both.
    procs[node] = subprocess.Popen(
        [TRAWL, "capture", "-i", "lo", "--threads", "1", "--filter-bpf", f"tcp port 8080 and net {c['net']}",
         "--address", node_ip, "--port", str(WORKER_PORT), "--node-name", node, "--cluster-name", name,
         "--names-from", f"http://127.0.0.1:{c['hub']}", "--token", token, "--data-dir", f"{dir_}/{node}"],
        stderr=open(f"{dir_}/{node}.log", "w"))


class Web(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok " + self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def call(src_ip, path):
    subprocess.run(["curl", "-s", "-o", "/dev/null", "--interface", src_ip, f"http://127.0.62.2:8080{path}"],
                   check=True)


def entries(q):
    return get(TOP_PORT, "/api/entries?limit=1000&q=" + urllib.parse.quote(q))["entries"]


def synced(name):
    c = CLUSTERS[name]
    kube = get(WORKER_PORT, "/api/stats", c["node"][1], c.get("token", TOKEN))["kube"]
    return kube["resources"]["hub"]["synced"] and kube["addresses"] >= len(c["pods"])


def check_query(apis):
    check(wait(lambda: synced("east") and synced("west"), 20), "each cluster's worker took its names from its hub")
    call("127.0.61.2", "/across")
    call("127.0.62.3", "/inside")
    check(wait(lambda: len(entries('request.path == "/across"')) == 2 and entries('request.path == "/inside"'), 15),
          f"one query to the top hub: the call seen by both clusters: {entries('http')}")
    across = {e["cluster"]["name"]: e for e in entries('request.path == "/across"')}
    check(sorted(across) == ["east", "west"] and
          all(e["id"].startswith(f"{c}~{CLUSTERS[c]['node'][0]}~") for c, e in across.items()),
          f"each entry carries its cluster, ids <cluster>~<node>~<id>: {[e['id'] for e in across.values()]}")
    east, west = across.get("east", {}), across.get("west", {})
    check(east.get("src", {}).get("name") == "client-6c4d-x" and
          east.get("src", {}).get("workload") == {"kind": "Deployment", "name": "client"} and
          "name" not in east.get("dst", {}), f"east names its client, not west's server: {east.get('src')} {east.get('dst')}")
    check(west.get("dst", {}).get("name") == "web-7f8b-y" and "name" not in west.get("src", {}),
          f"west names its server, not east's client: {west.get('src')} {west.get('dst')}")
    check(east.get("node", {}).get("name") == "e1" and west.get("node", {}).get("name") == "w1",
          "each entry names the node that saw it")
    both = entries("http")
    check([e["timestamp"] for e in both] == sorted((e["timestamp"] for e in both), reverse=True) and len(both) == 3,
          f"merged newest first: {[(e['id'], e['timestamp']) for e in both]}")
    west_only = entries('cluster.name == "west"')
    check(len(west_only) == 2 and all(e["cluster"]["name"] == "west" for e in west_only),
          f"KFL cluster.name selects one cluster: {[e['id'] for e in west_only]}")
    inside = entries('request.path == "/inside"')
    check(len(inside) == 1 and inside[0]["src"].get("name") == "cron-5a1e-z" and
          inside[0]["dst"].get("name") == "web-7f8b-y", "a call inside west is seen and named by west alone")
    members = get(TOP_PORT, "/api/members")
    check(sorted(m["name"] for m in members) == ["east", "west"] and all(m["up"] for m in members),
          f"the top hub's members, both up: {members}")
    stats = get(TOP_PORT, "/api/stats")
    check(sorted(stats["nodes"]) == ["east", "west"] and stats["store"]["entries"] ==
          sum(s["store"]["entries"] for s in stats["nodes"].values()), "the top hub's stats: each cluster and the sum")
    metrics = get(TOP_PORT, "/metrics")
    check(all(f'trawl_hub_member_up{{member="{c}"}} 1' in metrics and f'cluster="{c}",node="{CLUSTERS[c]["node"][0]}"'
              in metrics for c in CLUSTERS), "the top hub's metrics: each cluster up, each line with its cluster and node")
    for name, api in apis.items():
        watches = [r["path"] for r in api.call("/standin/requests") if r["verb"] == "GET" and "watch=1" in r["path"]]
        check(len(watches) == 7 and len({w.split("?")[0] for w in watches}) == 7,
              f"{name}'s API server: one watch per resource type ({len(watches)})")


def check_dashboard():
    ui = os.path.join(HERE, "..", "..", "ui")
    r = subprocess.run(["node", "tests/clusters_browser.mjs", f"http://127.0.0.1:{TOP_PORT}", TOKEN],
                       cwd=ui, capture_output=True, text=True, timeout=120)
    out = (r.stdout + r.stderr).strip().splitlines()
    check(r.returncode == 0, "one dashboard over both clusters: " + " | ".join(out[-6:]))


def main():
    work = tempfile.mkdtemp(prefix="trawl-clusters.")
    procs, apis = {}, {}
    web = ThreadingHTTPServer(("127.0.62.2", 8080), Web)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    try:
        for name in CLUSTERS:
            start_cluster(name, work, procs, apis)
        members = ",".join(f"{n}=127.0.0.1:{c['hub']}" for n, c in CLUSTERS.items())
        with open(f"{work}/west.token", "w") as f:
            f.write(CLUSTERS["west"]["token"] + "\n")
        procs["top"] = subprocess.Popen([TRAWL, "hub", "--workers", members, "--port", str(TOP_PORT),
                                         "--token", TOKEN, "--member-token-file", f"west={work}/west.token"],
                                        stderr=open(f"{work}/top.log", "w"))
        check(wait(lambda: get(TOP_PORT, "/healthz"), 10), "the top hub answers")
        check_query(apis)
        check_dashboard()
    finally:
        for p in procs.values():
            p.kill()
            p.wait()
        for api in apis.values():
            api.stop()
        web.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    finish("clusters_test")


if __name__ == "__main__":
    TRAWL = os.path.realpath(sys.argv[1])
    if os.environ.get("TRAWL_CLUSTERS_NETNS") != "1":
        os.environ["TRAWL_CLUSTERS_NETNS"] = "1"
        os.execvp("unshare", ["unshare", "-n", "--", sys.executable, __file__, TRAWL])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    main()
