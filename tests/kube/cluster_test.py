#!/usr/bin/env python3
"""A two-node Kubernetes cluster simulated in network namespaces, each node with
its own `trawl capture` watching the stand-in API server, and every entry of
its traffic checked field by field against the topology.

Nodes are namespaces with a bridge (cbr0) for their pods and a link between
them (each routes the other's pod range); pods are namespaces on the bridges:
nginx (web, on n1), redis-server (redis, on n2), dnsmasq (the cluster DNS, on
n2) and a client pod (curl, redis-cli, dig, on n1) whose resolver is the
cluster DNS's Service IP. Services are iptables DNAT rules in each node's nat
PREROUTING, as kube-proxy writes them (br_netfilter on, so a bridged reply is
un-NATed). An address outside the cluster (203.0.113.7, nginx in a namespace
behind n1) is named by the cluster DNS. The stand-in serves Pods, Services,
EndpointSlices, Nodes and ReplicaSets that describe exactly this.

Checked on each node's worker: pod to pod on one node, across nodes, through a
Service's cluster IP over TCP (one entry naming the pod reached and its
service, though the node sees the call before and after the DNAT) and over UDP
(DNS through kube-dns's IP to the other node), and to the external address
(kind external, dns its name); node.name on every entry.

Usage: cluster_test.py TRAWL   (root; nginx, redis-server, dnsmasq, curl,
redis-cli, dig, iptables, openssl)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from checks import check, finish  # noqa: E402

ID = str(os.getpid() % 100000)
NODES = {"n1": ("192.168.50.1", "10.244.1"), "n2": ("192.168.50.2", "10.244.2")}
API = ("192.168.50.1", 16443)  # the stand-in, on n1's node address
WORKER_PORT = 18899
EXTERNAL = "203.0.113.7"

# Pods: name -> (node, ip, namespace, labels, owner (kind, name) or None)
PODS = {
    "web-7c9d8-x2x7q": ("n1", "10.244.1.10", "shop", {"app": "web"}, ("ReplicaSet", "web-7c9d8")),
    "client": ("n1", "10.244.1.20", "shop", {"app": "client"}, None),
    "redis-0": ("n2", "10.244.2.10", "shop", {"app": "redis"}, ("StatefulSet", "redis")),
    "coredns-5d7f-k8p2m": ("n2", "10.244.2.53", "kube-system", {"k8s-app": "kube-dns"},
                           ("ReplicaSet", "coredns-5d7f")),
}
REPLICASETS = {"web-7c9d8": ("shop", "web"), "coredns-5d7f": ("kube-system", "coredns")}
# Services: name -> (namespace, cluster IP, port, protocol, pod, target port)
SERVICES = {
    "web": ("shop", "10.96.0.10", 80, "TCP", "web-7c9d8-x2x7q", 80),
    "redis": ("shop", "10.96.0.20", 6379, "TCP", "redis-0", 6379),
    "kube-dns": ("kube-system", "10.96.0.53", 53, "UDP", "coredns-5d7f-k8p2m", 53),
}


def sh(*args, ns=None, check_rc=True, **kw):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    return subprocess.run(cmd, check=check_rc, capture_output=True, text=True, **kw)


def netns(name):
    return f"tk{name}-{ID}"


# -- the cluster's objects, as an API server would hold them

def objects():
    out = [{"kind": "Namespace", "metadata": {"name": n}} for n in ("shop", "kube-system")]
    for node, (address, pods) in NODES.items():
        out.append({"kind": "Node", "metadata": {"name": node},
                    "spec": {"podCIDR": pods + ".0/24", "podCIDRs": [pods + ".0/24"]},
                    "status": {"addresses": [{"type": "InternalIP", "address": address},
                                             {"type": "Hostname", "address": node}]}})
    for rs, (ns, deployment) in REPLICASETS.items():
        out.append({"kind": "ReplicaSet", "metadata": {
            "name": rs, "namespace": ns,
            "ownerReferences": [{"kind": "Deployment", "name": deployment, "controller": True}]}})
    for name, (node, ip, ns, labels, owner) in PODS.items():
        meta = {"name": name, "namespace": ns, "labels": labels}
        if owner:
            meta["ownerReferences"] = [{"kind": owner[0], "name": owner[1], "controller": True}]
        out.append({"kind": "Pod", "metadata": meta, "spec": {"nodeName": node},
                    "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                               "hostIP": NODES[node][0]}})
    for name, (ns, ip, port, proto, pod, target) in SERVICES.items():
        out.append({"kind": "Service", "metadata": {"name": name, "namespace": ns},
                    "spec": {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip],
                             "ports": [{"port": port, "protocol": proto, "targetPort": target}]}})
        out.append({"kind": "EndpointSlice", "metadata": {
            "name": name + "-abc12", "namespace": ns,
            "labels": {"kubernetes.io/service-name": name}},
            "addressType": "IPv4", "ports": [{"port": target, "protocol": proto}],
            "endpoints": [{"addresses": [PODS[pod][1]], "conditions": {"ready": True},
                           "nodeName": PODS[pod][0], "targetRef": {"kind": "Pod", "name": pod}}]})
    return out


# -- the namespaces

# IPv4 only: keeps router solicitations and MLD reports out of the entries.
NO_IPV6 = ("net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")


def link(a_ns, a_if, b_ns, b_if):
    tmp_a, tmp_b = f"ta{ID}{a_if[-3:]}", f"tb{ID}{b_if[-3:]}"
    sh("ip", "link", "add", tmp_a[:15], "type", "veth", "peer", "name", tmp_b[:15])
    sh("ip", "link", "set", tmp_a[:15], "netns", a_ns, "name", a_if)
    sh("ip", "link", "set", tmp_b[:15], "netns", b_ns, "name", b_if)
    sh("ip", "link", "set", a_if, "up", ns=a_ns)
    sh("ip", "link", "set", b_if, "up", ns=b_ns)


def pod_ns(name):
    return netns("p" + str(list(PODS).index(name)))


def up(work):
    for node, (address, pods) in NODES.items():
        ns = netns(node)
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
        sh("sysctl", "-qw", "net.ipv4.ip_forward=1", *NO_IPV6, ns=ns)
        sh("ip", "link", "add", "cbr0", "type", "bridge", ns=ns)
        sh("ip", "addr", "add", pods + ".1/24", "dev", "cbr0", ns=ns)
        sh("ip", "link", "set", "cbr0", "up", ns=ns)
    link(netns("n1"), "eth0", netns("n2"), "eth0")
    for node, (address, pods) in NODES.items():
        ns, other = netns(node), [n for n in NODES if n != node][0]
        sh("ip", "addr", "add", address + "/24", "dev", "eth0", ns=ns)
        sh("ip", "route", "add", NODES[other][1] + ".0/24", "via", NODES[other][0], ns=ns)
        # kube-proxy's rules: a Service's cluster IP and port to its pod.
        for name, (_, ip, port, proto, pod, target) in SERVICES.items():
            sh("iptables", "-t", "nat", "-A", "PREROUTING", "-d", ip, "-p", proto.lower(),
               "--dport", str(port), "-j", "DNAT", "--to-destination", f"{PODS[pod][1]}:{target}",
               ns=ns)
    for i, (name, (node, ip, *_)) in enumerate(PODS.items()):
        ns = pod_ns(name)
        sh("ip", "netns", "add", ns)
        sh("sysctl", "-qw", *NO_IPV6, ns=ns)
        sh("ip", "link", "set", "lo", "up", ns=ns)
        link(netns(node), f"veth{i}", ns, "eth0")
        sh("ip", "link", "set", f"veth{i}", "master", "cbr0", ns=netns(node))
        sh("ip", "addr", "add", ip + "/24", "dev", "eth0", ns=ns)
        sh("ip", "route", "add", "default", "via", NODES[node][1] + ".1", ns=ns)
    # Outside the cluster, behind n1.
    ext = netns("ext")
    sh("ip", "netns", "add", ext)
    sh("sysctl", "-qw", *NO_IPV6, ns=ext)
    sh("ip", "link", "set", "lo", "up", ns=ext)
    link(netns("n1"), "uplink", ext, "eth0")
    sh("ip", "addr", "add", "203.0.113.1/24", "dev", "uplink", ns=netns("n1"))
    sh("ip", "addr", "add", EXTERNAL + "/24", "dev", "eth0", ns=ext)
    sh("ip", "route", "add", "10.244.0.0/16", "via", "203.0.113.1", ns=ext)
    # The client pod resolves through the cluster DNS's Service IP.
    os.makedirs(f"/etc/netns/{pod_ns('client')}", exist_ok=True)
    with open(f"/etc/netns/{pod_ns('client')}/resolv.conf", "w") as f:
        f.write("nameserver 10.96.0.53\nsearch shop.svc.cluster.local svc.cluster.local\n")


def down():
    names = [netns(n) for n in list(NODES) + ["ext"]] + [pod_ns(p) for p in PODS]
    for ns in names:
        pids = sh("ip", "netns", "pids", ns, check_rc=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
    time.sleep(0.2)
    for ns in names:
        sh("ip", "netns", "del", ns, check_rc=False)
    shutil.rmtree(f"/etc/netns/{pod_ns('client')}", ignore_errors=True)


# -- servers, the stand-in and the workers

def start_servers(work):
    os.makedirs(f"{work}/www", exist_ok=True)
    for name in ("index.html", "svc", "ext"):
        with open(f"{work}/www/{name}", "w") as f:
            f.write("ok\n")
    for who, ns in (("web", pod_ns("web-7c9d8-x2x7q")), ("ext", netns("ext"))):
        conf = f"{work}/nginx-{who}.conf"
        with open(conf, "w") as f:
            f.write(f"daemon on; pid {work}/nginx-{who}.pid; error_log {work}/nginx-{who}.err;\n"
                    f"events {{}}\nhttp {{ access_log off; client_body_temp_path {work}/cb-{who}; "
                    f"proxy_temp_path {work}/pt-{who}; fastcgi_temp_path {work}/ft-{who}; "
                    f"uwsgi_temp_path {work}/ut-{who}; scgi_temp_path {work}/st-{who};\n"
                    f"server {{ listen 80; root {work}/www; }} }}\n")
        sh("nginx", "-c", conf, ns=ns)
    subprocess.Popen(["ip", "netns", "exec", pod_ns("redis-0"), "redis-server", "--port", "6379",
                      "--save", "", "--appendonly", "no", "--protected-mode", "no", "--dir", work,
                      "--logfile", f"{work}/redis.log"])
    records = ["web.shop.svc.cluster.local,10.96.0.10", "redis.shop.svc.cluster.local,10.96.0.20",
               f"ext.example,{EXTERNAL}"]
    subprocess.Popen(["ip", "netns", "exec", pod_ns("coredns-5d7f-k8p2m"), "dnsmasq", "-k",
                      "--no-resolv", "--no-hosts", "--port=53", "--listen-address=10.244.2.53",
                      "--bind-interfaces", f"--pid-file={work}/dnsmasq.pid", "--log-facility=-",
                      "--local-ttl=0"] + [f"--host-record={r}" for r in records],
                     stderr=subprocess.DEVNULL)


def start_standin(work):
    subprocess.run([os.path.join(HERE, "certs.sh"), work], check=True)
    with open(f"{work}/tokens", "w") as f:
        f.write("t-node,node\n")
    with open(f"{work}/state.json", "w") as f:
        json.dump(objects(), f)
    proc = subprocess.Popen(
        ["ip", "netns", "exec", netns("n1"), sys.executable, os.path.join(HERE, "apiserver.py"),
         "--host", API[0], "--port", str(API[1]), "--cert", f"{work}/server.crt",
         "--key", f"{work}/server.key", "--ca", f"{work}/ca.crt", "--tokens", f"{work}/tokens",
         "--state", f"{work}/state.json"], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("listening on ")
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "sim",
              "clusters": [{"name": "sim", "cluster": {
                  "server": f"https://{API[0]}:{API[1]}", "certificate-authority": f"{work}/ca.crt",
                  "tls-server-name": "localhost"}}],
              "users": [{"name": "node", "user": {"token": "t-node"}}],
              "contexts": [{"name": "sim", "context": {"cluster": "sim", "user": "node"}}]}
    with open(f"{work}/kubeconfig", "w") as f:
        json.dump(config, f)
    return proc


def api(node, path):
    r = sh("curl", "-sf", "--max-time", "10", f"http://127.0.0.1:{WORKER_PORT}{path}",
           ns=netns(node), check_rc=False)
    return json.loads(r.stdout) if r.returncode == 0 and r.stdout else None


def start_worker(work, node):
    log = open(f"{work}/worker-{node}.log", "w")
    proc = subprocess.Popen(
        ["ip", "netns", "exec", netns(node), TRAWL, "capture", "--threads", "2", "--promisc",
         "--filter-bpf", f"not tcp port {API[1]}", "--kubeconfig", f"{work}/kubeconfig",
         "--node-name", node, "--data-dir", f"{work}/data-{node}", "--port", str(WORKER_PORT)],
        stderr=log)
    wait_for(lambda: (api(node, "/api/stats") or {}).get("kube", {}).get("resources", {})
             .get("pods", {}).get("synced"), 15, f"{node}'s worker has its names")
    time.sleep(1)  # every interface's capture is live
    return proc


def wait_for(cond, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.2)
    raise SystemExit(f"cluster_test: timed out waiting until {what}")


# -- traffic and checks

def traffic():
    client = pod_ns("client")
    sh("curl", "-sf", "http://10.244.1.10/index.html", ns=client)         # pod to pod, one node
    sh("redis-cli", "-h", "10.244.2.10", "PING", ns=client)               # across nodes
    sh("curl", "-sf", "http://web.shop.svc.cluster.local/svc", ns=client)  # DNS, then the Service IP
    sh("redis-cli", "-h", "10.96.0.20", "SET", "k", "v", ns=client)       # a Service across nodes
    # Outside, named by DNS: the answer is seen first (the worker's threads
    # take packets in parallel, so the curl's own lookup a moment before its
    # call could be learned after the call is named).
    sh("dig", "+short", "ext.example", "A", ns=client)
    wait_for(lambda: sum(1 for e in entries_of("n1") if is_ext_query(e)) == 1, 10, "n1 saw the answer")
    sh("curl", "-sf", "http://ext.example/ext", ns=client)


def is_ext_query(e):
    return (e["protocol"]["name"] == "dns" and
            e["request"].get("questions", [{}])[0] == {"name": "ext.example", "type": "A", "class": "IN"})


def expected(ip, port):
    """What a side with this address shows, from the topology."""
    for name, (node, pod_ip, ns, labels, owner) in PODS.items():
        if ip == pod_ip:
            want = {"name": name, "namespace": ns, "kind": "pod", "labels": labels}
            if owner:
                kind, owner_name = owner
                if kind == "ReplicaSet":
                    kind, owner_name = "Deployment", REPLICASETS[owner_name][1]
                want["workload"] = {"kind": kind, "name": owner_name}
            services = [s for s, v in SERVICES.items() if v[4] == name]
            if services:
                want["services"] = services
            return want
    if ip == EXTERNAL:
        return {"kind": "external", "dns": "ext.example"}
    for node, (address, _) in NODES.items():
        if ip == address:
            return {"name": node, "kind": "node"}
    return None


IDENTITY_KEYS = ("name", "namespace", "kind", "workload", "labels", "services", "dns")


def check_entries(node, entries):
    for e in entries:
        what = f"{node} entry {e['id']} {e['protocol']['name']} {e['src']['ip']} -> {e['dst']['ip']}"
        check(e.get("node") == {"name": node}, f"{what}: node {e.get('node')}")
        for side in ("src", "dst"):
            got = {k: e[side][k] for k in IDENTITY_KEYS if k in e[side]}
            want = expected(e[side]["ip"], e[side]["port"])
            check(want is not None, f"{what}: {side} {e[side]['ip']} is no address of the cluster")
            if want is not None:
                check(got == want, f"{what}: {side} {got} != {want}")


def entries_of(node):
    got = api(node, "/api/entries?limit=1000")
    return got["entries"] if got else []


def one(entries, pred, what):
    found = [e for e in entries if pred(e)]
    check(len(found) == 1, f"{what}: {len(found)} entries")
    return found[0] if found else None


def check_calls(n1, n2):
    http = lambda path: lambda e: e["protocol"]["name"] == "http" and e["request"]["path"] == path
    redis = lambda cmd: lambda e: (e["protocol"]["name"] == "redis"
                                   and e["request"].get("command") == cmd)
    one(n1, http("/index.html"), "n1: pod to pod on one node")
    for node, entries in (("n1", n1), ("n2", n2)):
        one(entries, redis("PING"), f"{node}: pod to pod across nodes")
        e = one(entries, redis("SET"), f"{node}: redis through its Service IP")
        if e:
            check(e["dst"]["ip"] == "10.244.2.10" and e["dst"]["port"] == 6379,
                  f"{node}: the Service call names the pod reached: {e['dst']}")
    e = one(n1, http("/svc"), "n1: a call through a Service IP on one node is one entry")
    if e:
        check(e["dst"]["ip"] == "10.244.1.10" and e["dst"].get("services") == ["web"],
              f"n1: it names the pod reached and its service: {e['dst']}")
    for node, entries in (("n1", n1), ("n2", n2)):
        queries = [e for e in entries if is_ext_query(e)]
        check(len(queries) == 2, f"{node}: dig's and curl's DNS query through kube-dns's IP, "
                                 f"one entry each: {len(queries)}")
        for e in queries:
            check(e["dst"]["ip"] == "10.244.2.53", f"{node}: the DNS query reached the pod: {e['dst']}")
    e = one(n1, http("/ext"), "n1: the external call")
    if e:
        check(e["dst"]["ip"] == EXTERNAL and e["dst"].get("kind") == "external",
              f"n1: external: {e['dst']}")
    stats = api("n1", "/api/stats")
    check(stats["flows"].get("nat_twins", 0) >= 4,
          f"n1 counted the twins it merged: {stats['flows'].get('nat_twins')}")


def main():
    work = tempfile.mkdtemp(prefix="trawl-cluster.")
    os.chmod(work, 0o755)
    procs = []
    try:
        up(work)
        start_servers(work)
        procs.append(start_standin(work))
        procs += [start_worker(work, n) for n in NODES]
        traffic()
        wait_for(lambda: any(e["protocol"]["name"] == "http" and e["request"]["path"] == "/ext"
                             for e in entries_of("n1")), 15, "n1 has the last call")
        time.sleep(2)  # the flow entries of closed connections come out
        n1, n2 = entries_of("n1"), entries_of("n2")
        if os.environ.get("CLUSTER_TEST_SHOW"):
            for node, entries in (("n1", n1), ("n2", n2)):
                for e in reversed(entries):
                    print(node, e["id"], e["protocol"]["name"], e["src"]["ip"], e["src"]["port"],
                          e["dst"]["ip"], e["dst"]["port"], json.dumps(e["request"])[:100])
        # n1: 3 HTTP, 2 Redis, 5 DNS (curl's A and AAAA twice, dig's A); n2: the 2
        # Redis and 5 DNS that cross it. No view of a call is an entry twice.
        check(len(n1) == 10 and len(n2) == 7, f"entries: n1 {len(n1)}, n2 {len(n2)}")
        check_entries("n1", n1)
        check_entries("n2", n2)
        check_calls(n1, n2)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        down()
    shutil.rmtree(work)
    finish("cluster_test", 30)


if __name__ == "__main__":
    TRAWL = os.path.realpath(sys.argv[1])
    main()
