#!/usr/bin/env python3
"""Checks the stand-in API server (apiserver.py) with a real client, kubectl, and
with raw HTTPS for what kubectl does not show (watch events, 410, bookmarks,
timeouts, faults), so that trawl's Kubernetes client is tested against REST
semantics a real client agrees with.

Usage: standin_test.py   (kubectl and openssl on PATH)
"""
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))

STATE = [
    {"kind": "Namespace", "metadata": {"name": "default"}},
    {"kind": "Namespace", "metadata": {"name": "shop"}},
    {"kind": "Node", "metadata": {"name": "n1"},
     "status": {"addresses": [{"type": "InternalIP", "address": "10.77.0.1"}]}},
] + [
    {"kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
     "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "nginx"}]},
     "status": {"podIP": ip, "phase": "Running"}}
    for name, ns, app, ip in [("web-1", "shop", "web", "10.77.1.2"), ("web-2", "shop", "web", "10.77.1.3"),
                              ("db-1", "shop", "db", "10.77.1.4"), ("dns", "default", "dns", "10.77.1.5")]
]


class StandIn:
    def __init__(self, work):
        self.work = work
        subprocess.run([os.path.join(HERE, "certs.sh"), work, "alice"], check=True)
        with open(os.path.join(work, "tokens"), "w") as f:
            f.write("t-admin,admin\nt-viewer,viewer\nt-bob,bob\n")
        with open(os.path.join(work, "state.json"), "w") as f:
            json.dump(STATE, f)
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "apiserver.py"), "--cert", f"{work}/server.crt",
             "--key", f"{work}/server.key", "--ca", f"{work}/ca.crt", "--tokens", f"{work}/tokens",
             "--state", f"{work}/state.json", "--bookmark-seconds", "0.5"],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("listening on "), line
        self.port = int(line.split()[-1])
        self.url = f"https://127.0.0.1:{self.port}"
        self.context = ssl.create_default_context(cafile=f"{work}/ca.crt")

    def request(self, path, token="t-admin", method="GET", body=None):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}"} if token else {})
        try:
            with urllib.request.urlopen(req, context=self.context, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def watch(self, path, token="t-admin", seconds=10):
        """The raw lines of a watch stream, read until it ends or `seconds` pass."""
        sock = self.context.wrap_socket(socket.create_connection(("127.0.0.1", self.port)),
                                        server_hostname="127.0.0.1")
        sock.settimeout(seconds)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
        data, start = b"", time.monotonic()
        try:
            while time.monotonic() - start < seconds and not data.endswith(b"\r\n0\r\n\r\n"):
                got = sock.recv(65536)
                if not got:
                    break
                data += got
        except socket.timeout:
            pass
        sock.close()
        head, _, body = data.partition(b"\r\n\r\n")
        assert b"Transfer-Encoding: chunked" in head, head
        lines, rest = [], body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16) if size_line else 0
            if size == 0:
                break
            lines += [l for l in rest[:size].split(b"\n") if l]
            rest = rest[size + 2:]
        return lines, time.monotonic() - start

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def kubeconfig(s, work):
    plugin = os.path.join(work, "exec-plugin.sh")
    with open(plugin, "w") as f:
        # What a cloud provider's plugin prints: an ExecCredential with a token.
        f.write('#!/bin/sh\necho \'{"apiVersion":"client.authentication.k8s.io/v1beta1",'
                '"kind":"ExecCredential","status":{"token":"t-viewer"}}\'\n')
    os.chmod(plugin, 0o755)
    path = os.path.join(work, "kubeconfig")
    users = {"admin": {"token": "t-admin"},
             "alice": {"client-certificate": f"{work}/alice.crt", "client-key": f"{work}/alice.key"},
             "exec": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": plugin}},
             "stranger": {"token": "t-unknown"}}
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "admin",
              "clusters": [{"name": "standin", "cluster": {"server": s.url,
                                                            "certificate-authority": f"{work}/ca.crt"}}],
              "users": [{"name": n, "user": u} for n, u in users.items()],
              "contexts": [{"name": n, "context": {"cluster": "standin", "user": n}} for n in users]}
    with open(path, "w") as f:
        json.dump(config, f)  # JSON is YAML
    return path


def kubectl(config, *args, check=True):
    r = subprocess.run(["kubectl", "--kubeconfig", config, *args], capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    if check and r.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)}: {r.stderr}")
    return r


def check_kubectl(s, config):
    pods = json.loads(kubectl(config, "get", "pods", "-A", "-o", "json").stdout)
    assert sorted(p["metadata"]["name"] for p in pods["items"]) == ["db-1", "dns", "web-1", "web-2"], pods
    assert pods["items"][0]["status"]["podIP"].startswith("10.77.1."), pods["items"][0]
    # Pages of two, by a client certificate.
    names = kubectl(config, "--context", "alice", "get", "pods", "-n", "shop", "-o", "name",
                    "--chunk-size=2").stdout.split()
    assert names == ["pod/db-1", "pod/web-1", "pod/web-2"], names
    _, log = s.request("/standin/requests")
    paged = [r["path"] for r in json.loads(log) if "/namespaces/shop/pods" in r["path"]]
    assert any("limit=2" in p for p in paged) and any("continue=" in p for p in paged), paged
    # An exec plugin's token; a label selector.
    assert kubectl(config, "--context", "exec", "get", "nodes", "-o", "name").stdout.split() == ["node/n1"]
    assert kubectl(config, "get", "pods", "-n", "shop", "-l", "app=web", "-o", "name").stdout.split() == \
        ["pod/web-1", "pod/web-2"]
    r = kubectl(config, "--context", "stranger", "get", "pods", check=False)
    assert r.returncode != 0 and "Unauthorized" in r.stderr, r.stderr
    print("stand-in: kubectl lists (pages of 2), with a token, a client certificate and an exec plugin; "
          "an unknown token is 401")


def check_kubectl_watch(s, config, work):
    out = open(os.path.join(work, "watch.out"), "w")
    watcher = subprocess.Popen(["kubectl", "--kubeconfig", config, "get", "pods", "-n", "shop",
                                "--watch", "-o", "name"], stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and open(out.name).read().count("\n") < 3:
        time.sleep(0.1)
    pod = dict(STATE[-1], metadata={"name": "web-3", "namespace": "shop", "labels": {"app": "web"}})
    with open(os.path.join(work, "web-3.json"), "w") as f:
        json.dump(dict(pod, apiVersion="v1"), f)
    kubectl(config, "create", "--validate=false", "-f", f.name)
    kubectl(config, "delete", "pod", "-n", "shop", "web-1")
    while time.monotonic() < deadline and open(out.name).read().count("\n") < 5:
        time.sleep(0.1)
    watcher.terminate()
    watcher.wait()
    seen = open(out.name).read().split()
    assert seen[:3] == ["pod/db-1", "pod/web-1", "pod/web-2"] and seen[3:5] == ["pod/web-3", "pod/web-1"], seen
    print("stand-in: kubectl get pods --watch sees a pod created and one deleted")


def check_watch_semantics(s):
    status, body = s.request("/api/v1/namespaces/shop/pods")
    items = json.loads(body)
    rv = int(items["metadata"]["resourceVersion"])
    # Events after a version, then bookmarks, and the stream ends at timeoutSeconds.
    threading.Timer(0.3, lambda: s.request("/api/v1/namespaces/shop/pods/web-2", method="DELETE")).start()
    lines, took = s.watch(f"/api/v1/namespaces/shop/pods?watch=1&resourceVersion={rv}"
                          "&allowWatchBookmarks=true&timeoutSeconds=2")
    events = [json.loads(l) for l in lines]
    types = [e["type"] for e in events]
    assert types[0] == "DELETED" and events[0]["object"]["metadata"]["name"] == "web-2", types
    assert "BOOKMARK" in types and 1.5 < took < 4, (types, took)
    bookmark = [e for e in events if e["type"] == "BOOKMARK"][-1]
    assert int(bookmark["object"]["metadata"]["resourceVersion"]) > rv, bookmark
    # Without a version: ADDED for what is there.
    lines, _ = s.watch("/api/v1/namespaces/shop/pods?watch=1&timeoutSeconds=1")
    assert [json.loads(l)["type"] for l in lines] == ["ADDED", "ADDED"], lines
    # A continue token and a watch older than the compaction are 410 Gone.
    _, page = s.request("/api/v1/pods?limit=1")
    token = json.loads(page)["metadata"]["continue"]
    s.request("/api/v1/namespaces", method="POST", body={"metadata": {"name": "later"}})
    s.request("/standin/compact")
    status, body = s.request(f"/api/v1/pods?limit=1&continue={token}")
    assert status == 410 and json.loads(body)["reason"] == "Expired", (status, body)
    lines, _ = s.watch(f"/api/v1/pods?watch=1&resourceVersion={rv}")
    error = json.loads(lines[0])
    assert error["type"] == "ERROR" and error["object"]["code"] == 410, error
    print("stand-in: watch events after a version, bookmarks, timeoutSeconds; 410 for a compacted "
          "continue token and watch")


def check_faults(s):
    # A malformed event on an open watch.
    threading.Timer(0.5, lambda: s.request("/standin/malformed")).start()
    lines, _ = s.watch("/api/v1/pods?watch=1&resourceVersion=0&timeoutSeconds=2")
    bad = [l for l in lines if not l.startswith(b"{") or not l.endswith(b"}")]
    assert bad, lines
    # A hung watch: open, and silent.
    s.request("/standin/hang?on=1")
    threading.Timer(0.3, lambda: s.request("/api/v1/namespaces", method="POST",
                                           body={"metadata": {"name": "unseen"}})).start()
    now = json.loads(s.request("/standin/state")[1])["resourceVersion"]
    lines, _ = s.watch(f"/api/v1/namespaces?watch=1&resourceVersion={now}", seconds=2)
    assert lines == [], lines
    s.request("/standin/hang?on=0")
    # A revoked token; the controls are the admin's.
    assert s.request("/api/v1/pods", token="t-bob")[0] == 200
    s.request("/standin/revoke?token=t-bob")
    assert s.request("/api/v1/pods", token="t-bob")[0] == 401
    assert s.request("/standin/compact", token="t-viewer")[0] == 403
    print("stand-in: a malformed event, a hung watch, a revoked token")


APPLIED = """
apiVersion: v1
kind: Namespace
metadata: {name: trawl, labels: {app.kubernetes.io/managed-by: trawl}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: trawl-hub, namespace: trawl, labels: {app.kubernetes.io/managed-by: trawl}}
---
apiVersion: v1
kind: Secret
metadata: {name: trawl-token, namespace: trawl, labels: {app.kubernetes.io/managed-by: trawl}}
stringData: {token: abc}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: trawl-hub, labels: {app.kubernetes.io/managed-by: trawl}}
rules: [{apiGroups: [""], resources: [pods], verbs: [get, list, watch]}]
---
apiVersion: v1
kind: Service
metadata: {name: trawl-hub, namespace: trawl, labels: {app.kubernetes.io/managed-by: trawl}}
spec: {ports: [{port: 8899}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: trawl-hub, namespace: trawl, labels: {app.kubernetes.io/managed-by: trawl}}
spec: {replicas: 1}
"""


def check_apply_and_proxy(s, config, work):
    """Server-side apply, delete by label, and the service proxy, with kubectl."""
    path = os.path.join(work, "applied.yaml")
    with open(path, "w") as f:
        f.write(APPLIED)
    out = kubectl(config, "apply", "--server-side", "--field-manager", "trawl", "--validate=false", "-f", path).stdout
    assert out.count("serverside-applied") == 6, out
    deploy = json.loads(kubectl(config, "get", "deployment", "-n", "trawl", "trawl-hub", "-o", "json",
                                 "--show-managed-fields").stdout)
    assert deploy["metadata"]["managedFields"][0]["manager"] == "trawl", deploy["metadata"]
    uid = deploy["metadata"]["uid"]
    kubectl(config, "apply", "--server-side", "--field-manager", "trawl", "--validate=false", "-f", path)
    again = json.loads(kubectl(config, "get", "deployment", "-n", "trawl", "trawl-hub", "-o", "json").stdout)
    assert again["metadata"]["uid"] == uid, "applying again keeps the object"
    status, body = s.request("/apis/apps/v1/namespaces/trawl/deployments/trawl-hub?fieldManager=x", method="PATCH",
                             body={"metadata": {"name": "trawl-hub"}})
    assert status == 415, (status, body)  # a JSON merge patch is not served: only apply

    # The service proxy: plain HTTP, then a WebSocket upgrade as a tunnel.
    backend = socket.socket()
    backend.bind(("127.0.0.1", 0))
    backend.listen()
    def serve():
        for _ in range(2):
            conn, _ = backend.accept()
            request = conn.recv(65536)
            if b"Upgrade: websocket" in request:
                conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
                conn.sendall(b"echo:" + conn.recv(100))
            else:
                assert b"Authorization" not in request, request  # the caller's token stays at the API server
                first = request.split(b"\r\n")[0]
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                             % (len(first), first))
            conn.close()
    threading.Thread(target=serve, daemon=True).start()
    s.request(f"/standin/proxy?namespace=trawl&name=trawl-hub&port=8899&target=127.0.0.1:{backend.getsockname()[1]}")
    got = kubectl(config, "get", "--raw", "/api/v1/namespaces/trawl/services/trawl-hub:8899/proxy/api/x?q=1").stdout
    assert got == "GET /api/x?q=1 HTTP/1.1", got
    sock = s.context.wrap_socket(socket.create_connection(("127.0.0.1", s.port)), server_hostname="127.0.0.1")
    sock.settimeout(10)
    sock.sendall(b"GET /api/v1/namespaces/trawl/services/trawl-hub:8899/proxy/api/stream HTTP/1.1\r\nHost: x\r\n"
                 b"Authorization: Bearer t-admin\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    sock.sendall(b"hello")
    echoed = b""
    while len(echoed) < 10:
        echoed += sock.recv(100)
    assert echoed == b"echo:hello", echoed
    sock.close()
    assert s.request("/api/v1/namespaces/trawl/services/other/proxy/")[0] == 503

    kubectl(config, "delete", "deployment,service,secret,serviceaccount", "-n", "trawl",
            "-l", "app.kubernetes.io/managed-by=trawl")
    kubectl(config, "delete", "clusterrole,namespace", "-l", "app.kubernetes.io/managed-by=trawl")
    state = json.loads(s.request("/standin/state")[1])["objects"]
    left = [o["metadata"]["name"] for o in state if o["metadata"].get("labels", {}).get("app.kubernetes.io/managed-by")]
    assert left == [], left
    print("stand-in: kubectl applies server-side (fieldManager kept, uid kept on a second apply), deletes by "
          "label; the service proxy passes HTTP and a WebSocket tunnel")


def main():
    work = tempfile.mkdtemp(prefix="trawl-standin.")
    s = StandIn(work)
    try:
        config = kubeconfig(s, work)
        check_kubectl(s, config)
        check_kubectl_watch(s, config, work)
        check_watch_semantics(s)
        check_faults(s)
        check_apply_and_proxy(s, config, work)
    finally:
        s.stop()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
