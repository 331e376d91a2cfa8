#!/usr/bin/env python3
"""A stand-in Kubernetes API server for trawl's tests (no real one is packaged here).

It keeps the REST semantics trawl's client and kubectl rely on, for the resources
identity needs (pods, services, endpointslices, nodes, namespaces, replicasets,
jobs, deployments, cronjobs, daemonsets):
- HTTPS with the test's CA; client certificates (the CN is the user) and bearer
  tokens; anything else is 401.
- Discovery (/version, /api, /apis, /api/v1, /apis/GROUP/VERSION), the legacy
  kind kubectl falls back to when aggregated discovery is not offered.
- GET one object; lists with labelSelector, fieldSelector (metadata.name,
  metadata.namespace, spec.nodeName), limit and continue, and the list's
  resourceVersion; a continue token older than the compaction is 410 Gone.
- Watches as chunked streams of WatchEvent JSON: from a resourceVersion (the
  events after it), or from none or "0" (ADDED for what exists, then changes);
  BOOKMARK events when allowWatchBookmarks is set; an ERROR event with a 410
  Status for a version older than the compaction; timeoutSeconds.
- POST, PUT, DELETE (one object, or a collection by labelSelector); every change
  gets the next resourceVersion and is an event.
- Server-side apply: PATCH with application/apply-patch+yaml (JSON or YAML) and
  a fieldManager creates or replaces the object (its status, uid and creation
  time kept), recording the manager in managedFields; 400 without one.
- The service proxy: /api/v1/namespaces/NS/services/NAME[:PORT]/proxy/PATH is
  passed to the address the test registered for that service
  (/standin/proxy?namespace=&name=&port=&target=HOST:PORT), WebSocket upgrades
  included (the connection is then a tunnel); the caller's credentials are not
  passed on.
- Faults for the tests, under /standin/ (the admin token only): compact the
  event history, hang open watches (they stay open and send nothing), send a
  malformed event, close every watch, revoke a token.

Usage: apiserver.py --port P --cert C --key K --ca CA --tokens FILE [--state FILE]
  --tokens: lines "token,user"; a user named "admin" may use /standin/.
  --state: JSON list of objects to start with (each with apiVersion and kind).
  --start-rv: versions continue from here, the older compacted (a restarted server).
Prints "listening on PORT" when it accepts connections (port 0: any free port).
"""
import argparse
import base64
import copy
import datetime
import http.server
import json
import select
import socket
import socketserver
import ssl
import threading
import time
import urllib.parse
import uuid

# resource name -> (group, version, kind, namespaced)
RESOURCES = {
    "namespaces": ("", "v1", "Namespace", False),
    "nodes": ("", "v1", "Node", False),
    "pods": ("", "v1", "Pod", True),
    "services": ("", "v1", "Service", True),
    "endpointslices": ("discovery.k8s.io", "v1", "EndpointSlice", True),
    "replicasets": ("apps", "v1", "ReplicaSet", True),
    "deployments": ("apps", "v1", "Deployment", True),
    "daemonsets": ("apps", "v1", "DaemonSet", True),
    "jobs": ("batch", "v1", "Job", True),
    "cronjobs": ("batch", "v1", "CronJob", True),
    "serviceaccounts": ("", "v1", "ServiceAccount", True),
    "secrets": ("", "v1", "Secret", True),
    "clusterroles": ("rbac.authorization.k8s.io", "v1", "ClusterRole", False),
    "clusterrolebindings": ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", False),
}
KIND_TO_RESOURCE = {v[2]: k for k, v in RESOURCES.items()}


def api_version(resource):
    group, version = RESOURCES[resource][:2]
    return f"{group}/{version}" if group else version


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class Gone(Exception):
    pass


class Store:
    """Objects by (resource, namespace, name), and the event history for watches."""

    def __init__(self):
        self.lock = threading.Condition()
        self.objects = {}
        self.rv = 1
        self.events = []  # (rv, type, resource, object)
        self.compacted = 0  # events at or before this version are gone
        self.hang = False
        self.generation = 0  # bumped to close every open watch
        self.malformed = 0  # bumped to send every open watch one malformed event

    def put(self, resource, obj, event_type):
        with self.lock:
            self.rv += 1
            meta = obj.setdefault("metadata", {})
            meta["resourceVersion"] = str(self.rv)
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", now_rfc3339())
            obj["apiVersion"] = api_version(resource)
            obj["kind"] = RESOURCES[resource][2]
            key = (resource, meta.get("namespace", ""), meta["name"])
            if event_type == "DELETED":
                self.objects.pop(key, None)
            else:
                self.objects[key] = obj
            self.events.append((self.rv, event_type, resource, copy.deepcopy(obj)))
            self.lock.notify_all()
            return obj

    def compact(self):
        with self.lock:
            self.compacted = self.rv
            self.events = []


def label_matches(labels, selector):
    """labelSelector: comma-separated a=b, a==b, a!=b, a, !a, a in (x,y), a notin (x,y)."""
    if not selector:
        return True
    terms, depth, term = [], 0, ""
    for ch in selector:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            terms.append(term.strip())
            term = ""
        else:
            term += ch
    terms.append(term.strip())
    for t in terms:
        if " notin " in t or " in " in t:
            neg = " notin " in t
            key, values = t.split(" notin " if neg else " in ", 1)
            values = {v.strip() for v in values.strip().strip("()").split(",")}
            present = labels.get(key.strip()) in values
            if present == neg:
                return False
        elif "!=" in t:
            k, v = t.split("!=", 1)
            if labels.get(k.strip()) == v.strip():
                return False
        elif "=" in t:
            k, v = t.replace("==", "=").split("=", 1)
            if labels.get(k.strip()) != v.strip():
                return False
        elif t.startswith("!"):
            if t[1:].strip() in labels:
                return False
        elif t and t not in labels:
            return False
    return True


def field_matches(obj, selector):
    if not selector:
        return True
    for t in selector.split(","):
        neg = "!=" in t
        k, v = t.replace("==", "=").split("!=" if neg else "=", 1)
        path = {"metadata.name": ("metadata", "name"), "metadata.namespace": ("metadata", "namespace"),
                "spec.nodeName": ("spec", "nodeName")}.get(k.strip())
        if path is None:
            raise ValueError(f'"{k.strip()}" is not a known field selector')
        actual = obj.get(path[0], {}).get(path[1], "")
        if (actual == v.strip()) == neg:
            return False
    return True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "trawl-standin-apiserver"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)

    # -- plumbing
    def send_json(self, code, body, content_type="application/json"):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def user(self):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return self.server.tokens.get(auth[7:].strip())
        cert = self.connection.getpeercert() if hasattr(self.connection, "getpeercert") else None
        if cert:
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        return v
        return None

    def body(self):
        try:
            return json.loads(self.request_body or b"{}")
        except json.JSONDecodeError as e:
            raise ValueError(f"the request body is not JSON: {e}")

    def route(self):
        """(resource, namespace, name, query) of a resource path, or None."""
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        parts = [p for p in url.path.split("/") if p]
        if parts[:1] == ["api"] and len(parts) >= 2:
            group_version, rest = parts[1], parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            group_version, rest = parts[1] + "/" + parts[2], parts[3:]
        else:
            return None
        namespace = ""
        if len(rest) >= 3 and rest[0] == "namespaces":  # (namespaces/NAME alone is a Namespace)
            namespace, rest = rest[1], rest[2:]
        if not rest or rest[0] not in RESOURCES or api_version(rest[0]) != group_version:
            return None
        name = rest[1] if len(rest) > 1 else ""
        return rest[0], namespace, name, query

    # -- verbs
    def do_GET(self):
        self.handle_verb("GET")

    def do_POST(self):
        self.handle_verb("POST")

    def do_PUT(self):
        self.handle_verb("PUT")

    def do_DELETE(self):
        self.handle_verb("DELETE")

    def do_PATCH(self):
        self.handle_verb("PATCH")

    def handle_verb(self, verb):
        try:
            # Read whatever the verb, or it would be taken for the next request
            # (kubectl sends DELETE with a body).
            self.request_body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.server.requests.append((verb, self.path))
            who = self.user()
            if who is None or who in self.server.revoked:
                return self.send_json(401, status(401, "Unauthorized", "Unauthorized"))
            if self.path.startswith("/standin/"):
                return self.standin(who)
            if self.proxied():
                return
            if verb == "GET" and self.discovery():
                return
            r = self.route()
            if r is None:
                return self.send_json(404, status(404, "NotFound", f"the server could not find {self.path}"))
            resource, namespace, name, query = r
            if verb == "GET" and name:
                return self.get_one(resource, namespace, name)
            if verb == "GET" and query.get("watch") in ("1", "true"):
                return self.watch(resource, namespace, query)
            if verb == "GET":
                return self.list(resource, namespace, query)
            if verb in ("POST", "PUT"):
                return self.write(verb, resource, namespace, name)
            if verb == "PATCH":
                return self.apply(resource, namespace, name, query)
            return self.delete(resource, namespace, name, query)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass
        except ValueError as e:
            self.send_json(400, status(400, "BadRequest", str(e)))

    def discovery(self):
        path = urllib.parse.urlsplit(self.path).path.rstrip("/")
        if path == "/version":
            self.send_json(200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0-trawl-standin",
                                 "platform": "linux/amd64"})
        elif path == "/api":
            self.send_json(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": self.server.address}]})
        elif path == "/apis":
            groups = sorted({g for g, *_ in RESOURCES.values() if g})
            self.send_json(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": g, "versions": [{"groupVersion": g + "/v1", "version": "v1"}],
                 "preferredVersion": {"groupVersion": g + "/v1", "version": "v1"}} for g in groups]})
        elif path == "/api/v1" or (path.startswith("/apis/") and path.count("/") == 3):
            group_version = "v1" if path == "/api/v1" else path[len("/apis/"):]
            listed = [{"name": r, "singularName": kind.lower(), "namespaced": ns, "kind": kind,
                       "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]}
                      for r, (g, v, kind, ns) in RESOURCES.items() if api_version(r) == group_version]
            if not listed:
                return False
            self.send_json(200, {"kind": "APIResourceList", "apiVersion": "v1",
                                 "groupVersion": group_version, "resources": listed})
        else:
            return False
        return True

    def get_one(self, resource, namespace, name):
        with self.server.store.lock:
            obj = self.server.store.objects.get((resource, namespace, name))
        if obj is None:
            return self.send_json(404, status(404, "NotFound", f'{resource} "{name}" not found'))
        self.send_json(200, obj)

    def selected(self, resource, namespace, query):
        store = self.server.store
        out = []
        for (res, ns, _), obj in sorted(store.objects.items()):
            if res != resource or (namespace and ns != namespace):
                continue
            if not label_matches(obj["metadata"].get("labels", {}), query.get("labelSelector", "")):
                continue
            if not field_matches(obj, query.get("fieldSelector", "")):
                continue
            out.append(obj)
        return out

    def list(self, resource, namespace, query):
        store = self.server.store
        limit = int(query.get("limit") or 0)
        start, list_rv = 0, None
        if query.get("continue"):
            try:
                token = json.loads(base64.urlsafe_b64decode(query["continue"]))
                start, list_rv = int(token["start"]), int(token["rv"])
            except (ValueError, KeyError, TypeError):
                raise ValueError("continue key is not valid")
            if list_rv <= store.compacted:
                return self.send_json(410, status(
                    410, "Expired", "The provided continue parameter is too old to display a consistent "
                    "list result. You can start a new list without the continue parameter."))
        with store.lock:
            items = self.selected(resource, namespace, query)
            rv = list_rv or store.rv
        page = items[start:start + limit] if limit else items[start:]
        meta = {"resourceVersion": str(rv)}
        if limit and start + limit < len(items):
            meta["continue"] = base64.urlsafe_b64encode(
                json.dumps({"start": start + limit, "rv": rv}).encode()).decode()
            meta["remainingItemCount"] = len(items) - start - limit
        self.send_json(200, {"kind": RESOURCES[resource][2] + "List", "apiVersion": api_version(resource),
                             "metadata": meta, "items": page})

    def write(self, verb, resource, namespace, name):
        obj = self.body()
        meta = obj.setdefault("metadata", {})
        if RESOURCES[resource][3]:
            meta["namespace"] = namespace or meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        if verb == "PUT":
            meta["name"] = name
        store = self.server.store
        key = (resource, meta.get("namespace", ""), meta.get("name", ""))
        with store.lock:
            exists = key in store.objects
            if not meta.get("name"):
                raise ValueError("metadata.name is required")
            if verb == "POST" and exists:
                return self.send_json(409, status(409, "AlreadyExists", f'{resource} "{key[2]}" already exists'))
            if verb == "PUT" and not exists:
                return self.send_json(404, status(404, "NotFound", f'{resource} "{name}" not found'))
            if exists:
                old = store.objects[key]["metadata"]
                meta["uid"], meta["creationTimestamp"] = old["uid"], old["creationTimestamp"]
            saved = store.put(resource, obj, "MODIFIED" if exists else "ADDED")
        self.send_json(200 if exists else 201, saved)

    def apply(self, resource, namespace, name, query):
        if self.headers.get("Content-Type", "").split(";")[0] != "application/apply-patch+yaml":
            return self.send_json(415, status(415, "UnsupportedMediaType", "only server-side apply is served"))
        if not query.get("fieldManager"):
            raise ValueError("fieldManager is required for apply requests")
        try:
            obj = json.loads(self.request_body)
        except json.JSONDecodeError:
            import yaml
            obj = yaml.safe_load(self.request_body)
        if not isinstance(obj, dict):
            raise ValueError("the apply body is not an object")
        meta = obj.setdefault("metadata", {})
        if meta.get("name") != name:
            raise ValueError(f"the name in the body ({meta.get('name')}) is not the name in the path ({name})")
        if RESOURCES[resource][3]:
            meta["namespace"] = namespace
        store = self.server.store
        key = (resource, namespace, name)
        with store.lock:
            old = store.objects.get(key)
            if old:
                meta["uid"], meta["creationTimestamp"] = old["metadata"]["uid"], old["metadata"]["creationTimestamp"]
                if "status" in old and "status" not in obj:
                    obj["status"] = old["status"]
            meta["managedFields"] = [{"manager": query["fieldManager"], "operation": "Apply",
                                      "apiVersion": api_version(resource), "time": now_rfc3339()}]
            saved = store.put(resource, obj, "MODIFIED" if old else "ADDED")
        self.send_json(200 if old else 201, saved)

    # -- the service proxy
    def proxied(self):
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.split("/")
        # ['', 'api', 'v1', 'namespaces', NS, 'services', NAME[:PORT], 'proxy', ...]
        if len(parts) < 8 or parts[1:4] != ["api", "v1", "namespaces"] or parts[5] != "services" \
                or parts[7] != "proxy":
            return False
        name, _, port = parts[6].partition(":")
        target = self.server.proxies.get((parts[4], name, port))
        if target is None:
            self.send_json(503, status(503, "ServiceUnavailable", f"no endpoints available for service \"{name}\""))
            return True
        path = "/" + "/".join(parts[8:]) + (("?" + url.query) if url.query else "")
        host, _, tport = target.rpartition(":")
        upstream = socket.create_connection((host, int(tport)), timeout=30)
        headers = "".join(f"{k}: {v}\r\n" for k, v in self.headers.items()
                          if k.lower() not in ("authorization", "host", "content-length"))
        upstream.sendall(f"{self.command} {path} HTTP/1.1\r\nHost: {target}\r\n{headers}"
                         f"Content-Length: {len(self.request_body)}\r\n\r\n".encode() + self.request_body)
        if self.headers.get("Upgrade", "").lower() == "websocket":
            self.tunnel(upstream)
        else:
            self.relay(upstream)
        return True

    def relay(self, upstream):
        """One answer back; the connection to the client is then closed."""
        upstream.settimeout(60)
        while True:
            data = upstream.recv(65536)
            if not data:
                break
            self.wfile.write(data)
        upstream.close()
        self.close_connection = True

    def tunnel(self, upstream):
        """Bytes both ways until either side closes (a WebSocket), on this one
        thread: a TLS connection must not be read and written at once."""
        client = self.connection
        upstream.setblocking(False)
        client.setblocking(False)
        try:
            while True:
                ready = [client] if client.pending() else select.select([client, upstream], [], [], 60)[0]
                if not ready:
                    continue
                for src, dst in ((client, upstream), (upstream, client)):
                    if src not in ready:
                        continue
                    try:
                        data = src.recv(65536)
                    except (ssl.SSLWantReadError, BlockingIOError):
                        continue
                    if not data:
                        return
                    dst.setblocking(True)
                    dst.sendall(data)
                    dst.setblocking(False)
        except OSError:
            pass
        finally:
            upstream.close()
            self.close_connection = True

    def delete(self, resource, namespace, name, query):
        store = self.server.store
        with store.lock:
            if name:
                obj = store.objects.get((resource, namespace, name))
                if obj is None:
                    return self.send_json(404, status(404, "NotFound", f'{resource} "{name}" not found'))
                victims = [obj]
            else:
                victims = self.selected(resource, namespace, query)
            for obj in victims:
                store.put(resource, copy.deepcopy(obj), "DELETED")
        if name:
            return self.send_json(200, victims[0])
        self.send_json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"})

    # -- watch
    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def send_event(self, event_type, obj):
        self.chunk(json.dumps({"type": event_type, "object": obj}).encode() + b"\n")

    def watch(self, resource, namespace, query):
        store = self.server.store
        timeout = float(query.get("timeoutSeconds") or self.server.max_watch_seconds)
        deadline = time.monotonic() + min(timeout, self.server.max_watch_seconds)
        bookmarks = query.get("allowWatchBookmarks") in ("1", "true")
        since = query.get("resourceVersion", "")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with store.lock:
            generation, malformed_seen = store.generation, store.malformed
            if since in ("", "0"):
                last = store.rv
                initial = self.selected(resource, namespace, query)
            else:
                last, initial = int(since), []
                if last < store.compacted:
                    initial = None
        if initial is None:
            self.send_event("ERROR", status(410, "Expired", f"too old resource version: {last} ({store.compacted})"))
            return self.end_chunks()
        for obj in initial:
            self.send_event("ADDED", obj)
        next_bookmark = time.monotonic() + self.server.bookmark_seconds
        while time.monotonic() < deadline:
            with store.lock:
                store.lock.wait(timeout=0.2)
                if store.generation != generation:
                    self.close_connection = True  # dropped, as when the server restarts
                    return
                if store.hang:
                    continue
                if last < store.compacted:
                    pending = None
                else:
                    pending = [e for e in store.events if e[0] > last and e[2] == resource]
                    last = store.rv
                malformed, malformed_seen = store.malformed > malformed_seen, store.malformed
            if pending is None:
                self.send_event("ERROR", status(410, "Expired", "too old resource version"))
                return self.end_chunks()
            for rv, event_type, _, obj in pending:
                if (not namespace or obj["metadata"].get("namespace") == namespace) and \
                        label_matches(obj["metadata"].get("labels", {}), query.get("labelSelector", "")) and \
                        field_matches(obj, query.get("fieldSelector", "")):
                    self.send_event(event_type, obj)
            if malformed:
                self.chunk(b'{"type":"MODIFIED","object":{"metadata":{"name":\n')
            if bookmarks and time.monotonic() >= next_bookmark:
                self.send_event("BOOKMARK", {"kind": RESOURCES[resource][2], "apiVersion": api_version(resource),
                                             "metadata": {"resourceVersion": str(last)}})
                next_bookmark = time.monotonic() + self.server.bookmark_seconds
        self.end_chunks()

    def end_chunks(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # -- faults
    def standin(self, who):
        if who != "admin":
            return self.send_json(403, status(403, "Forbidden", "the stand-in's controls are the admin's"))
        store = self.server.store
        path = urllib.parse.urlsplit(self.path).path
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        with store.lock:
            if path == "/standin/compact":
                store.compacted, store.events = store.rv, []
            elif path == "/standin/hang":
                store.hang = query.get("on", "1") == "1"
            elif path == "/standin/drop-watches":
                store.generation += 1
            elif path == "/standin/malformed":
                store.malformed += 1
            elif path == "/standin/revoke":
                self.server.revoked.add(self.server.tokens.get(query.get("token", ""), "\0"))
            elif path == "/standin/proxy":
                self.server.proxies[(query["namespace"], query["name"], query.get("port", ""))] = query["target"]
            elif path == "/standin/requests":
                return self.send_json(200, [{"verb": v, "path": p} for v, p in self.server.requests])
            elif path != "/standin/state":
                return self.send_json(404, status(404, "NotFound", path))
            store.lock.notify_all()
            state = {"resourceVersion": store.rv, "compacted": store.compacted,
                     "objects": [o for _, o in sorted(store.objects.items())]}
        self.send_json(200, state)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--state")
    ap.add_argument("--start-rv", type=int, default=0,
                    help="continue from this resourceVersion, older ones compacted (a restart)")
    ap.add_argument("--bookmark-seconds", type=float, default=5)
    ap.add_argument("--max-watch-seconds", type=float, default=1800)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    server = Server((args.host, args.port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    context.load_verify_locations(args.ca)
    context.verify_mode = ssl.CERT_OPTIONAL  # a client certificate, or a token
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.store = Store()
    server.tokens = {}
    with open(args.tokens) as f:
        for line in f:
            if "," in line:
                token, user = line.strip().split(",", 1)
                server.tokens[token] = user
    server.revoked = set()
    server.requests = []
    server.proxies = {}  # (namespace, service, port) -> "host:port"
    server.verbose = args.verbose
    server.bookmark_seconds = args.bookmark_seconds
    server.max_watch_seconds = args.max_watch_seconds
    server.address = f"{args.host}:{server.server_address[1]}"
    if args.state:
        with open(args.state) as f:
            for obj in json.load(f):
                server.store.put(KIND_TO_RESOURCE[obj["kind"]], obj, "ADDED")
    if args.start_rv:  # as after a restart: the versions go on, the old events are gone
        server.store.rv = max(server.store.rv, args.start_rv)
        server.store.compacted, server.store.events = server.store.rv, []
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
