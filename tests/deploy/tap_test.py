#!/usr/bin/env python3
"""`trawl tap`, `trawl proxy` and `trawl clean` against the stand-in API server,
with the test as the kubelet of three nodes, in a network namespace of its own.

The kubelet starts the processes the applied DaemonSet and Deployment describe,
with their arguments and environment from the manifests (the image's `trawl`
is the binary under test; what a node's own network, the cluster DNS and the
service account mount would give is given: each worker listens on its node's
address, the hub's name resolves to the hub, the hub's pod has its token and
CA), makes their pods, and reports them ready when /healthz answers. Checks:
- tap applies every object server-side (field manager trawl), waits until three
  workers and the hub are ready, and serves the dashboard here through the API
  server's service proxy: entries of all three nodes, with names; the live
  stream through the proxy too; chromium uses the dashboard through it
  (ui/tests/tap_browser.mjs: stream, filter, detail, map, each node's health);
- the API server sees one watch per resource type for the whole cluster;
- Ctrl-C stops the proxy and leaves trawl running; `trawl proxy` comes back;
- `trawl clean` leaves nothing tap made (the stand-in's state compared).
Usage: tap_test.py TRAWL   (root)
"""
import json, os, shutil, signal, subprocess, sys, tempfile, threading, time, urllib.parse, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "kube"))
from checks import check, finish  # noqa: E402

NODES = {"n1": "127.0.0.11", "n2": "127.0.0.12", "n3": "127.0.0.13"}
HUB_PORT, PROXY_PORT = 19499, 19400


class Kubelet:
    """Runs what the applied DaemonSet and Deployment describe."""

    def __init__(self, api, work, trawl):
        self.api, self.work, self.trawl = api, work, trawl
        self.procs, self.ready, self.stop = {}, set(), False
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def objects(self):
        return json.loads(self.api.request("/standin/state")[1])["objects"]

    def env_of(self, container, node):
        secrets = {o["metadata"]["name"]: o for o in self.objects() if o["kind"] == "Secret"}
        env = {}
        for e in container.get("env", []):
            source = e.get("valueFrom", {})
            if "fieldRef" in source:
                env[e["name"]] = node
            elif "secretKeyRef" in source:
                ref = source["secretKeyRef"]
                env[e["name"]] = secrets[ref["name"]].get("stringData", {})[ref["key"]]
            else:
                env[e["name"]] = e["value"]
        return env

    def args_of(self, container, node, address, data):
        args = []
        for a in container["args"]:
            a = a.replace("$(NODE_NAME)", node).replace("/data", data)
            a = a.replace("0.0.0.0", address)  # each node's own network
            a = a.replace("http://trawl-hub.trawl.svc:8899", f"http://127.0.0.1:{HUB_PORT}")  # cluster DNS
            a = a.replace("/usr/share/trawl/ui", os.path.join(HERE, "..", "..", "ui", "dist"))
            args.append(a)
        return args

    def start_worker(self, ds, node):
        c = ds["spec"]["template"]["spec"]["containers"][0]
        data = f"{self.work}/{node}"
        args = self.args_of(c, node, NODES[node], data)
        log = open(f"{self.work}/{node}.log", "w")
        self.procs[node] = subprocess.Popen([self.trawl, *args], env={**os.environ, **self.env_of(c, node)},
                                            stderr=log, stdout=log)
        labels = ds["spec"]["template"]["metadata"]["labels"]
        self.api.request("/api/v1/namespaces/trawl/pods", method="POST", body={
            "metadata": {"name": f"trawl-worker-{node}", "namespace": "trawl", "labels": labels},
            "spec": {"nodeName": node, "hostNetwork": True}, "status": {"podIP": NODES[node], "phase": "Running"}})

    def start_hub(self, deploy):
        c = deploy["spec"]["template"]["spec"]["containers"][0]
        args = self.args_of(c, "n1", "127.0.0.1", f"{self.work}/hub")
        args = [a if a != "8899" else str(HUB_PORT) for a in args]
        sa = f"{self.work}/serviceaccount"
        os.makedirs(sa, exist_ok=True)
        with open(f"{sa}/token", "w") as f:
            f.write("t-hub")
        shutil.copy(f"{self.work}/ca.crt", f"{sa}/ca.crt")
        with open(f"{sa}/namespace", "w") as f:
            f.write("trawl")
        # The service account's mount, for the hub's process alone.
        script = ('mount -t tmpfs none /run && mkdir -p /run/secrets/kubernetes.io && '
                  f'ln -s {sa} /run/secrets/kubernetes.io/serviceaccount && exec "$@"')
        env = {**os.environ, **self.env_of(c, "n1"), "KUBERNETES_SERVICE_HOST": "127.0.0.1",
               "KUBERNETES_SERVICE_PORT": str(self.api.port)}
        log = open(f"{self.work}/hub.log", "w")
        self.procs["hub"] = subprocess.Popen(["unshare", "-m", "sh", "-c", script, "sh", self.trawl, *args],
                                             env=env, stderr=log, stdout=log)
        self.api.request(f"/standin/proxy?namespace=trawl&name=trawl-hub&port=8899&target=127.0.0.1:{HUB_PORT}")

    def healthy(self, address, port):
        try:
            return urllib.request.urlopen(f"http://{address}:{port}/healthz", timeout=1).status == 200
        except OSError:
            return False

    def set_status(self, path, obj, status):
        obj = dict(obj, status=status)
        self.api.request(path, method="PUT", body=obj)

    def loop(self):
        while not self.stop:
            objs = {(o["kind"], o["metadata"]["name"]): o for o in self.objects()}
            ds, deploy = objs.get(("DaemonSet", "trawl-worker")), objs.get(("Deployment", "trawl-hub"))
            if ds:
                for node in NODES:
                    if node not in self.procs:
                        self.start_worker(ds, node)
                ready = sum(self.healthy(NODES[n], 8897) for n in NODES)
                want = {"desiredNumberScheduled": 3, "numberReady": ready}
                if {k: ds.get("status", {}).get(k) for k in want} != want:
                    self.set_status("/apis/apps/v1/namespaces/trawl/daemonsets/trawl-worker", ds, want)
            if deploy:
                if "hub" not in self.procs:
                    self.start_hub(deploy)
                want = {"readyReplicas": 1 if self.healthy("127.0.0.1", HUB_PORT) else 0}
                if deploy.get("status", {}).get("readyReplicas") != want["readyReplicas"]:
                    self.set_status("/apis/apps/v1/namespaces/trawl/deployments/trawl-hub", deploy, want)
            if not ds and not deploy and self.procs:  # deleted: the pods go
                self.kill()
            time.sleep(0.3)

    def kill(self):
        """The pods go with their DaemonSet (the garbage collector's part)."""
        for name, p in self.procs.items():
            p.kill()
            p.wait()
            if name != "hub":
                try:
                    self.api.request(f"/api/v1/namespaces/trawl/pods/trawl-worker-{name}", method="DELETE")
                except OSError:
                    pass
        self.procs = {}


class Web(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok " + self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def via_proxy(path, port=PROXY_PORT):
    with urllib.request.urlopen(f"http://localhost:{port}{path}", timeout=20) as r:
        return json.loads(r.read())


def browser_check(named_from_all):
    """The dashboard in chromium through the proxy (ui/tests/tap_browser.mjs)."""
    check(wait(named_from_all("/browser"), 20), "the browser's entries are there")
    ui = os.path.join(HERE, "..", "..", "ui")
    browser = subprocess.Popen(["node", "tests/tap_browser.mjs", f"http://localhost:{PROXY_PORT}", ",".join(NODES)],
                               cwd=ui, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = []
    for line in browser.stdout:
        out.append(line.rstrip())
        if line.strip() == "ready":  # (the dashboard reads history once the stream is on)
            subprocess.run(["curl", "-s", "-o", "/dev/null", "--interface", "127.0.0.2",
                            "http://127.0.0.3:8080/browser-live"], check=True)
    browser.wait(timeout=120)
    check(browser.returncode == 0, "the dashboard through the proxy: " + " | ".join(out[-6:]))


def wait(cond, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if cond():
                return True
        except (OSError, KeyError, IndexError, TypeError, ValueError):
            pass
        time.sleep(0.3)
    return False


def main():
    import live_names_test as kube
    work = tempfile.mkdtemp(prefix="trawl-tap.")
    subprocess.run([os.path.join(HERE, "..", "kube", "certs.sh"), work], check=True)
    with open(f"{work}/tokens", "w") as f:
        f.write("t-admin,admin\nt-user,user\nt-hub,system:serviceaccount:trawl:trawl-hub\n")
    state = [{"kind": "Namespace", "metadata": {"name": "shop"}}]
    state += [{"kind": "Node", "metadata": {"name": n}, "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}
              for n, ip in NODES.items()]
    state += [kube.pod("client", "127.0.0.2", {"app": "client"}), kube.pod("web-a", "127.0.0.3", {"app": "web"})]
    api = kube.StandIn(work)
    api.start(state)
    api.port = kube.API_PORT
    api.request = lambda path, method="GET", body=None: (200, json.dumps(api.call(path, method, body)).encode())
    kubeconfig = f"{work}/kubeconfig"
    with open(kubeconfig, "w") as f:
        json.dump({"apiVersion": "v1", "kind": "Config", "current-context": "standin",
                   "clusters": [{"name": "prod-eu", "cluster": {"server": f"https://127.0.0.1:{kube.API_PORT}",
                                                                "certificate-authority": f"{work}/ca.crt"}}],
                   "users": [{"name": "u", "user": {"token": "t-user"}}],
                   "contexts": [{"name": "standin", "context": {"cluster": "prod-eu", "user": "u"}}]}, f)
    kubelet = Kubelet(api, work, TRAWL)
    web = ThreadingHTTPServer(("127.0.0.3", 8080), Web)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    tap = None
    try:
        tap = subprocess.Popen([TRAWL, "tap", "--kubeconfig", kubeconfig, "--proxy-port", str(PROXY_PORT),
                                "--timeout", "60", "--image", "trawl:test", "-n", "shop"],
                               stderr=subprocess.PIPE, text=True)
        lines = []
        for line in tap.stderr:
            lines.append(line.rstrip())
            if "dashboard at" in line or "not ready within" in line:
                break
        check(any("dashboard at http://localhost:" in l for l in lines), f"tap waited and serves: {lines[-3:]}")
        check(sum(l.startswith("trawl tap: applied ") for l in lines) == 9, f"nine objects applied: {lines}")
        check(any(l.endswith("workers ready 3/3, hub ready") for l in lines), "tap showed the rollout")
        state = json.loads(api.request("/standin/state")[1])["objects"]
        ours = [o for o in state if o["metadata"].get("labels", {}).get("app.kubernetes.io/managed-by") == "trawl"
                and o["kind"] != "Pod"]
        check(len(ours) == 9 and all(o["metadata"]["managedFields"][0]["manager"] == "trawl" for o in ours),
              f"applied server-side by field manager trawl: {len(ours)}")
        check(wait(lambda: sorted(via_proxy("/api/stats")["nodes"]) == sorted(NODES) and
                   [m["up"] for m in via_proxy("/api/members")] == [True] * 3, 20),
              f"through the proxy, the hub found the three workers: {via_proxy('/api/members')}")

        def named_from_all(path):
            subprocess.run(["curl", "-s", "-o", "/dev/null", "--interface", "127.0.0.2", f"http://127.0.0.3:8080{path}"],
                           check=True)
            q = urllib.parse.quote(f'request.path == "{path}"')
            return lambda: {(e["id"].split("~")[0], e["src"].get("name"), e["dst"].get("name"), e["cluster"]["name"])
                            for e in via_proxy(f"/api/entries?q={q}")["entries"]} == \
                {(n, "client", "web-a", "prod-eu") for n in NODES}
        time.sleep(2)  # the workers take their names from the hub
        check(wait(named_from_all("/through-tap"), 20),
              f"entries of all three nodes, named, through the proxy: "
              f"{[(e['id'], e['src'].get('name')) for e in via_proxy('/api/entries?limit=10')['entries']]}")
        browser_check(named_from_all)
        tail = subprocess.Popen([TRAWL, "tail", 'request.path == "/live"', "--json", "--server",
                                 f"http://localhost:{PROXY_PORT}"], stdout=subprocess.PIPE, text=True)
        time.sleep(2)
        subprocess.run(["curl", "-s", "-o", "/dev/null", "--interface", "127.0.0.2", "http://127.0.0.3:8080/live"])
        time.sleep(2)
        tail.terminate()
        out, _ = tail.communicate(timeout=10)
        got = {json.loads(l)["id"].split("~")[0] for l in out.splitlines() if l.startswith("{")}
        check(got == set(NODES), f"the live stream through the proxy (a WebSocket): {got}")
        requests = [r["path"] for r in api.call("/standin/requests") if r["verb"] == "GET" and "watch=1" in r["path"]]
        check(len(requests) == 7, f"one watch per resource type for the whole cluster: {requests}")
        try:
            urllib.request.urlopen(urllib.request.Request(f"http://localhost:{PROXY_PORT}/api/entries",
                                                          headers={"Origin": "http://evil.example"}), timeout=5)
            check(False, "another origin's page is refused by the proxy")
        except urllib.error.HTTPError as e:
            check(e.code == 403, f"another origin's page is refused by the proxy: {e.code}")

        tap.send_signal(signal.SIGINT)
        tap.wait(timeout=10)
        check(tap.returncode == 0 and all(p.poll() is None for p in kubelet.procs.values()),
              "Ctrl-C stops the proxy; trawl keeps running")
        proxy = subprocess.Popen([TRAWL, "proxy", "--kubeconfig", kubeconfig, "--proxy-port", str(PROXY_PORT)],
                                 stderr=subprocess.DEVNULL)
        check(wait(lambda: len(via_proxy("/api/members")) == 3, 10), "trawl proxy serves the dashboard again")
        proxy.send_signal(signal.SIGINT)
        proxy.wait(timeout=10)

        r = subprocess.run([TRAWL, "clean", "--kubeconfig", kubeconfig], capture_output=True, text=True)
        check(wait(lambda: not kubelet.procs, 5), "the kubelet stopped what no longer exists")
        state = json.loads(api.request("/standin/state")[1])["objects"]
        left = [(o["kind"], o["metadata"]["name"]) for o in state
                if o["metadata"].get("labels", {}).get("app.kubernetes.io/managed-by") == "trawl"
                or o["metadata"].get("namespace") == "trawl" and o["kind"] != "Pod"]
        check(r.returncode == 0 and left == [], f"trawl clean leaves nothing tap made: {left} {r.stderr}")
        check(not any(o["kind"] == "Namespace" and o["metadata"]["name"] == "trawl" for o in state),
              "the namespace tap made is gone")
    finally:
        kubelet.stop = True
        if tap and tap.poll() is None:
            tap.kill()
        kubelet.kill()
        api.stop()
        web.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    finish("tap_test")


if __name__ == "__main__":
    TRAWL = os.path.realpath(sys.argv[1])
    if os.environ.get("TRAWL_TAP_NETNS") != "1":
        os.environ["TRAWL_TAP_NETNS"] = "1"
        os.execvp("unshare", ["unshare", "-n", "--", sys.executable, __file__, TRAWL])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    main()
