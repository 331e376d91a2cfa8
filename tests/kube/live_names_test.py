#!/usr/bin/env python3
"""Live Kubernetes names: `trawl capture --kubeconfig` watching the stand-in API
server while real HTTP traffic (curl to a Python server) runs on loopback, in a
network namespace of its own. Checks, field by field:
- entries name both ends (pod, namespace, kind, workload through a ReplicaSet,
  labels) from a token file, then after the token rotates and the old one is
  revoked;
- churn: a pod deleted and another made with its IP keeps each entry's own name,
  in the worker, after the worker restarts, and offline with `--names` and the
  history `/api/names` serves;
- faults: 410 Gone after compaction, a malformed event, hung watches, the
  stand-in restarted with a pod gone meanwhile: each relists or reconnects, is
  counted in /api/stats and /metrics, and the names follow the cluster again;
- `trawl read --kubeconfig` with a client certificate, an exec plugin (v1 and
  v1beta1), and a refused token (a clear error).

Usage: live_names_test.py TRAWL   (root; curl and openssl on PATH)
"""
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from checks import check, finish  # noqa: E402

API_PORT, WORKER_PORT, WEB_PORT = 16443, 18899, 8080
CLIENT_IP, WEB_IP = "127.0.0.2", "127.0.0.3"


def pod(name, ip, labels, owner=None):
    meta = {"name": name, "namespace": "shop", "labels": labels}
    if owner:
        meta["ownerReferences"] = [{"kind": "ReplicaSet", "name": owner, "controller": True}]
    return {"kind": "Pod", "metadata": meta, "spec": {"nodeName": "n1"},
            "status": {"podIP": ip, "phase": "Running"}}


STATE = [
    {"kind": "Namespace", "metadata": {"name": "shop"}},
    {"kind": "Node", "metadata": {"name": "n1"},
     "status": {"addresses": [{"type": "InternalIP", "address": "10.77.0.1"}]}},
    {"kind": "ReplicaSet", "metadata": {"name": "web-5d9f", "namespace": "shop",
                                        "ownerReferences": [{"kind": "Deployment", "name": "web",
                                                             "controller": True}]}},
    pod("client", CLIENT_IP, {"app": "client"}),
    pod("web-5d9f-a", WEB_IP, {"app": "web", "tier": "front"}, "web-5d9f"),
]


class Web(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class StandIn:
    def __init__(self, work, port=API_PORT):
        self.work, self.proc, self.port = work, None, port
        self.context = ssl.create_default_context(cafile=f"{work}/ca.crt")

    def start(self, state, start_rv=0):
        with open(f"{self.work}/state.json", "w") as f:
            json.dump(state, f)
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "apiserver.py"), "--port", str(self.port),
             "--cert", f"{self.work}/server.crt", "--key", f"{self.work}/server.key",
             "--ca", f"{self.work}/ca.crt", "--tokens", f"{self.work}/tokens",
             "--state", f"{self.work}/state.json", "--bookmark-seconds", "0.5",
             "--start-rv", str(start_rv)], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().startswith("listening on ")

    def call(self, path, method="GET", body=None):
        req = urllib.request.Request(f"https://127.0.0.1:{self.port}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": "Bearer t-admin"})
        with urllib.request.urlopen(req, context=self.context, timeout=10) as r:
            return json.loads(r.read())

    def create_pod(self, p):
        return self.call("/api/v1/namespaces/shop/pods", "POST", p)

    def delete_pod(self, name):
        return self.call(f"/api/v1/namespaces/shop/pods/{name}", "DELETE")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class Worker:
    def __init__(self, work, kubeconfig):
        self.work, self.kubeconfig, self.proc = work, kubeconfig, None

    def start(self):
        self.log = open(f"{self.work}/worker.log", "a")
        self.proc = subprocess.Popen(
            [TRAWL, "capture", "-i", "lo", "--threads", "1", "--filter-bpf", f"tcp port {WEB_PORT}",
             "--kubeconfig", self.kubeconfig, "--data-dir", f"{self.work}/data",
             "--port", str(WORKER_PORT), "--kube-watch-idle", "2"],
            stderr=self.log)
        wait_for(lambda: self.get("/healthz", raw=True), 10, "the worker answers")
        wait_for(lambda: all(r.get("synced") for r in self.kube()["resources"].values())
                 and len(self.kube()["resources"]) == 7, 10, "every resource listed and watched")

    def get(self, path, raw=False):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{WORKER_PORT}{path}", timeout=10) as r:
                body = r.read()
                return body if raw else json.loads(body)
        except (urllib.error.URLError, ConnectionError):
            return None

    def kube(self):
        return self.get("/api/stats")["kube"]

    def pods_stats(self):
        return self.kube()["resources"]["pods"]

    def entry(self, path):
        q = urllib.parse.quote(f'request.path == "{path}"')
        got = self.get(f"/api/entries?q={q}&limit=10")
        return got["entries"][0] if got and got["entries"] else None

    def spans(self, ip):
        return self.get(f"/api/names?ip={ip}")["spans"]

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=20)


def wait_for(cond, seconds, what, show=lambda: None):
    deadline, last = time.monotonic() + seconds, None
    while time.monotonic() < deadline:
        try:
            if cond():
                return True
        except (TypeError, KeyError, IndexError) as e:
            last = e
        time.sleep(0.1)
    raise SystemExit(f"live_names_test: timed out waiting until {what} ({last!r}, {show()})")


def call_web(path):
    subprocess.run(["curl", "-sf", "--interface", CLIENT_IP, f"http://{WEB_IP}:{WEB_PORT}{path}"],
                   check=True, stdout=subprocess.DEVNULL)


def names(side):
    """What an entry's side says of its owner, the fields the checks compare."""
    return {k: side.get(k) for k in ("name", "namespace", "kind", "workload", "labels")}


WEB_A = {"name": "web-5d9f-a", "namespace": "shop", "kind": "pod",
         "workload": {"kind": "Deployment", "name": "web"}, "labels": {"app": "web", "tier": "front"}}
WEB_B = {"name": "web-b", "namespace": "shop", "kind": "pod", "workload": None,
         "labels": {"app": "web", "tier": "canary"}}
CLIENT = {"name": "client", "namespace": "shop", "kind": "pod", "workload": None,
          "labels": {"app": "client"}}


def call_and_check(worker, path, dst, what):
    call_web(path)
    wait_for(lambda: worker.entry(path), 10, f"the entry of {path}")
    e = worker.entry(path)
    check(names(e["src"]) == CLIENT, f"{what}: src {names(e['src'])}")
    check(names(e["dst"]) == dst, f"{what}: dst {names(e['dst'])}")
    return e


def churn(api, worker):
    """web-5d9f-a deleted, web-b made with its IP: each entry keeps its own name."""
    api.delete_pod("web-5d9f-a")
    api.create_pod(pod("web-b", WEB_IP, {"app": "web", "tier": "canary"}))
    wait_for(lambda: [s["name"] for s in worker.spans(WEB_IP)] == ["web-5d9f-a", "web-b"], 10,
             "the IP's history shows both pods", lambda: worker.spans(WEB_IP))
    spans = worker.spans(WEB_IP)
    check(spans[0]["to"] is not None and spans[0]["to"] == spans[1]["from"],
          f"the first pod's span ends where the second's begins: {spans}")
    call_and_check(worker, "/after-churn", WEB_B, "after churn")
    before = worker.entry("/before")
    check(names(before["dst"]) == WEB_A, f"the earlier entry keeps the old name: {before['dst']}")


def fault_expired(api, worker):
    """A pod made while the watches hang, then the history compacted and the
    watches dropped: resuming gets 410 Gone, so each relists and finds the pod."""
    s0 = worker.pods_stats()
    api.call("/standin/hang?on=1")
    api.create_pod(pod("after-410", "127.0.0.20", {"app": "x"}))
    api.call("/standin/compact")
    api.call("/standin/drop-watches")
    api.call("/standin/hang?on=0")
    wait_for(lambda: worker.pods_stats()["relists"] > s0["relists"], 15, "pods relisted after 410",
             worker.pods_stats)
    s1 = worker.pods_stats()
    check(s1["expired"] > s0["expired"], f"410 counted: {s0} -> {s1}")
    wait_for(lambda: worker.spans("127.0.0.20"), 10, "the pod made meanwhile is named")


def fault_malformed(api, worker):
    s0 = worker.pods_stats()
    api.call("/standin/malformed")
    wait_for(lambda: worker.pods_stats()["malformed"] > s0["malformed"], 10, "malformed counted")
    wait_for(lambda: worker.pods_stats()["relists"] > s0["relists"], 10, "relisted after it")


def fault_hang(api, worker):
    """Watches that send nothing are reopened after the idle time; what changed
    meanwhile arrives once they send again."""
    s0 = worker.pods_stats()
    api.call("/standin/hang?on=1")
    wait_for(lambda: worker.pods_stats()["errors"] > s0["errors"], 10, "a hung watch counted")
    check("timed out" in worker.pods_stats().get("last_error", ""),
          f"the hang is named: {worker.pods_stats()}")
    api.create_pod(pod("during-hang", "127.0.0.21", {"app": "x"}))
    api.call("/standin/hang?on=0")
    wait_for(lambda: worker.spans("127.0.0.21"), 15, "a pod made during the hang is named after it")


def fault_token_rotation(api, worker):
    """The token file changes and the old token is revoked: requests carry the new one."""
    with open(f"{worker.work}/token", "w") as f:
        f.write("t-rotated\n")
    urllib.request.urlopen(urllib.request.Request(
        f"https://127.0.0.1:{API_PORT}/standin/revoke?token=t-viewer",
        headers={"Authorization": "Bearer t-admin"}), context=api.context, timeout=10).read()
    api.call("/standin/drop-watches")
    api.create_pod(pod("after-rotation", "127.0.0.22", {"app": "x"}))
    wait_for(lambda: worker.spans("127.0.0.22"), 15, "names still follow after the token rotated",
             worker.pods_stats)


def fault_restart(api, worker):
    """The stand-in restarts from its objects, less one pod deleted meanwhile:
    the watches reconnect, find their versions gone, relist, and the pod's
    address is released."""
    state = api.call("/standin/state")
    objects = [o for o in state["objects"] if o["metadata"]["name"] != "after-410"]
    api.stop()
    time.sleep(1)
    api.start(objects, start_rv=state["resourceVersion"] + 100)
    wait_for(lambda: worker.spans("127.0.0.20")[-1]["to"] is not None, 20,
             "the pod gone while the server was down is released")
    api.create_pod(pod("after-restart", "127.0.0.23", {"app": "x"}))
    wait_for(lambda: worker.spans("127.0.0.23"), 15, "a pod made after the restart is named")


def one_watch_per_type(api):
    """One list and one watch per resource type, whatever the traffic."""
    time.sleep(1)
    requests = [r["path"] for r in api.call("/standin/requests") if r["verb"] == "GET"]
    for path in ("/api/v1/pods", "/api/v1/services", "/apis/discovery.k8s.io/v1/endpointslices",
                 "/api/v1/nodes", "/api/v1/namespaces", "/apis/apps/v1/replicasets",
                 "/apis/batch/v1/jobs"):
        mine = [r for r in requests if r.split("?")[0] == path]
        watches = [r for r in mine if "watch=1" in r]
        check(len(watches) == 1 and len(mine) == 2, f"{path}: one list and one watch: {mine}")


def metrics_named(worker):
    text = worker.get("/metrics", raw=True).decode()
    for name in ("lists", "relists", "watches", "events", "expired", "malformed", "errors"):
        check(f'trawl_kube_{name}_total{{resource="pods"}}' in text, f"/metrics has {name}")
    check('trawl_kube_last_event_age_seconds{resource="pods"}' in text, "/metrics has the event age")


def after_restart(worker, work):
    """The worker restarted: stored entries keep their names, the history is reloaded."""
    worker.stop()
    worker.start()
    before = worker.entry("/before")
    check(names(before["dst"]) == WEB_A, f"after restart, the stored entry: {before['dst']}")
    check([s["name"] for s in worker.spans(WEB_IP)] == ["web-5d9f-a", "web-b"],
          f"after restart, the history: {worker.spans(WEB_IP)}")
    call_and_check(worker, "/after-restart", WEB_B, "after the worker restarted")


def offline(worker, work):
    """The history /api/names serves names the packets offline, each at its time."""
    with open(f"{work}/names.jsonl", "wb") as f:
        f.write(worker.get("/api/names", raw=True))
    for path, dst in (("/before", WEB_A), ("/after-churn", WEB_B)):
        pcap = f"{work}/{path[1:]}.pcap"
        with open(pcap, "wb") as f:
            f.write(worker.get(f"/api/entries/{worker.entry(path)['id']}/pcap", raw=True))
        out = subprocess.run([TRAWL, "read", pcap, "--json", "--names", f"{work}/names.jsonl"],
                             check=True, capture_output=True, text=True).stdout
        e = [json.loads(l) for l in out.splitlines() if '"http"' in l][0]
        check(names(e["dst"]) == dst and names(e["src"]) == CLIENT, f"offline {path}: {e['dst']}")


def read_with_kubeconfig(work, kubeconfig):
    """`trawl read --kubeconfig` lists once, with each way to authenticate."""
    pcap = f"{work}/after-churn.pcap"
    for context in ("cert", "exec-v1", "exec-v1beta1"):
        r = subprocess.run([TRAWL, "read", pcap, "--json", "--kubeconfig", kubeconfig,
                            "--context", context], capture_output=True, text=True)
        e = [json.loads(l) for l in r.stdout.splitlines() if '"http"' in l]
        check(r.returncode == 0 and e and e[0]["dst"].get("name") == "web-b",
              f"read --kubeconfig as {context}: {r.returncode} {r.stderr[-300:]}")
    with open(f"{work}/plugin.log") as f:
        runs = f.read().splitlines()
    check(len(runs) == 2 and all('"kind":"ExecCredential"' in r for r in runs),
          f"the plugin ran once per read, with KUBERNETES_EXEC_INFO: {runs}")
    r = subprocess.run([TRAWL, "read", pcap, "--kubeconfig", kubeconfig, "--context", "stranger"],
                       capture_output=True, text=True)
    check(r.returncode != 0 and "401" in r.stderr, f"a refused token is said: {r.stderr[-300:]}")


def kubeconfig(work):
    plugin = f"{work}/plugin.sh"
    with open(plugin, "w") as f:
        f.write('#!/bin/sh\necho "$KUBERNETES_EXEC_INFO" >> %s/plugin.log\n'
                'echo \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",'
                '"status":{"token":"t-exec","expirationTimestamp":"2099-01-01T00:00:00Z"}}\'\n' % work)
    os.chmod(plugin, 0o755)
    users = {"watcher": {"tokenFile": f"{work}/token"},
             "cert": {"client-certificate": f"{work}/alice.crt", "client-key": f"{work}/alice.key"},
             "exec-v1": {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": plugin}},
             "exec-v1beta1": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1",
                                       "command": plugin}},
             "stranger": {"token": "t-unknown"}}
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "watcher",
              "clusters": [{"name": "standin", "cluster": {
                  "server": f"https://127.0.0.1:{API_PORT}", "certificate-authority": f"{work}/ca.crt"}}],
              "users": [{"name": n, "user": u} for n, u in users.items()],
              "contexts": [{"name": n, "context": {"cluster": "standin", "user": n}} for n in users]}
    with open(f"{work}/kubeconfig", "w") as f:
        json.dump(config, f)
    return f"{work}/kubeconfig"


def main():
    work = tempfile.mkdtemp(prefix="trawl-live-names.")
    subprocess.run([os.path.join(HERE, "certs.sh"), work, "alice"], check=True)
    with open(f"{work}/tokens", "w") as f:
        f.write("t-admin,admin\nt-viewer,viewer\nt-rotated,rotated\nt-exec,plugin\n")
    with open(f"{work}/token", "w") as f:
        f.write("t-viewer\n")
    web = ThreadingHTTPServer(("0.0.0.0", WEB_PORT), Web)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    api = StandIn(work)
    api.start(STATE)
    worker = Worker(work, kubeconfig(work))
    try:
        worker.start()
        one_watch_per_type(api)
        call_and_check(worker, "/before", WEB_A, "before churn")
        churn(api, worker)
        fault_expired(api, worker)
        fault_malformed(api, worker)
        fault_hang(api, worker)
        fault_token_rotation(api, worker)
        fault_restart(api, worker)
        metrics_named(worker)
        after_restart(worker, work)
        offline(worker, work)
        read_with_kubeconfig(work, f"{work}/kubeconfig")
        check(worker.proc.poll() is None, "the worker is still running")
    finally:
        if worker.proc and worker.proc.poll() is None:
            worker.stop()
        api.stop()
        web.shutdown()
    shutil.rmtree(work)
    finish("live_names_test")


if __name__ == "__main__":
    TRAWL = os.path.realpath(sys.argv[1])
    if os.environ.get("TRAWL_LIVE_NAMES_NETNS") != "1":
        # A network namespace of its own: its loopback carries only this test.
        os.environ["TRAWL_LIVE_NAMES_NETNS"] = "1"
        os.execvp("unshare", ["unshare", "-n", "--", sys.executable, __file__, TRAWL])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    main()
