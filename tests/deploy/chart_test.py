#!/usr/bin/env python3
"""The deployment: `trawl manifests` and the Helm chart (deploy/helm/trawl).

Helm is not packaged for Debian 12; helmrender (Go's text/template, Debian's
sprig and the few Helm built-ins) renders the chart. Checks:
  - with default values the chart renders exactly the objects `trawl manifests`
    prints, and with the same non-default settings too;
  - least privilege, object by object: no privileged container, the workers'
    capabilities named one by one, no API access for the workers, the hub's
    ClusterRole rule by rule, read-only root filesystems, requests and limits;
  - the workers' arguments run `trawl capture` as the DaemonSet describes it,
    and the --keep the pod regex and namespaces become is valid KFL.
Usage: chart_test.py TRAWL"""
import os, subprocess, sys, tempfile, time

import yaml

trawl = os.path.realpath(sys.argv[1])
root = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
chart = os.path.join(root, "deploy", "helm", "trawl")
failed = 0


def check(name, ok, detail=""):
    global failed
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f": {detail}"))
    failed += not ok


def build_helmrender(work):
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode",
               GOCACHE=os.path.join(work, "gocache"))
    binary = os.path.join(work, "helmrender")
    subprocess.run(["go", "build", "-o", binary, "main.go"], check=True, env=env,
                   cwd=os.path.join(os.path.dirname(os.path.realpath(__file__)), "helmrender"))
    return binary


def objects(text):
    return {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(text) if d}


def differences(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                yield f"{path}/{k} only in {'the chart' if k in a else 'manifests'}"
            else:
                yield from differences(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from differences(x, y, f"{path}[{i}]")
    elif a != b:
        yield f"{path}: {a!r} != {b!r}"


def same_objects(name, chart_text, manifests_text):
    c, m = objects(chart_text), objects(manifests_text)
    diffs = [f"{k}: missing from {'manifests' if k in c else 'the chart'}" for k in set(c) ^ set(m)]
    for k in set(c) & set(m):
        diffs += [f"{k}{d}" for d in differences(c[k], m[k])]
    check(name, not diffs and len(c) >= 8, "; ".join(diffs[:5]) or f"{len(c)} objects")
    return m


def containers(objs, kind):
    return [c for (k, _), o in objs.items() if k == kind
            for c in o["spec"]["template"]["spec"]["containers"]]


def check_least_privilege(objs):
    text = yaml.safe_dump(list(objs.values()))
    check("no privileged: true anywhere", "privileged: true" not in text)
    worker, hub = containers(objs, "DaemonSet"), containers(objs, "Deployment")
    check("one worker container, one hub container", len(worker) == 1 and len(hub) == 1)
    for c in worker + hub:
        sc = c["securityContext"]
        check(f"{c['name']}: not privileged, no escalation, read-only root, drops ALL",
              sc.get("privileged") is False and sc.get("allowPrivilegeEscalation") is False
              and sc.get("readOnlyRootFilesystem") is True and sc["capabilities"]["drop"] == ["ALL"], sc)
        r = c["resources"]
        check(f"{c['name']}: cpu and memory requests and limits",
              all(r.get(w, {}).get(x) for w in ("requests", "limits") for x in ("cpu", "memory")), r)
        check(f"{c['name']}: liveness and readiness on /healthz",
              all(c[p]["httpGet"]["path"] == "/healthz" for p in ("livenessProbe", "readinessProbe")))
        token = [e for e in c["env"] if e["name"] == "TRAWL_TOKEN"]
        check(f"{c['name']}: the token from the secret",
              len(token) == 1 and token[0]["valueFrom"]["secretKeyRef"]["name"] == "trawl-token")
    check("worker capabilities: exactly the six named",
          worker[0]["securityContext"]["capabilities"].get("add") ==
          ["NET_RAW", "NET_ADMIN", "BPF", "PERFMON", "SYS_PTRACE", "SYS_RESOURCE"])
    check("hub: no capability added, not root, seccomp",
          "add" not in hub[0]["securityContext"]["capabilities"]
          and hub[0]["securityContext"]["runAsNonRoot"] is True
          and hub[0]["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault")
    ds = objs[("DaemonSet", "trawl-worker")]["spec"]["template"]["spec"]
    check("worker pod: hostNetwork, hostPID, every node tolerated",
          ds["hostNetwork"] and ds["hostPID"] and ds["tolerations"] == [{"operator": "Exists"}])
    check("worker pod: no service account token (no API access)",
          ds["automountServiceAccountToken"] is False
          and objs[("ServiceAccount", "trawl-worker")]["automountServiceAccountToken"] is False)
    check("data volumes have a size limit",
          all(v["emptyDir"].get("sizeLimit") for (k, _), o in objs.items() if k in ("DaemonSet", "Deployment")
              for v in o["spec"]["template"]["spec"]["volumes"]))


def check_rbac(objs):
    roles = [o for (k, _), o in objs.items() if k in ("ClusterRole", "Role")]
    bindings = [o for (k, _), o in objs.items() if k in ("ClusterRoleBinding", "RoleBinding")]
    expected = [
        {"apiGroups": [""], "resources": ["pods", "services", "nodes", "namespaces"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["apps"], "resources": ["replicasets"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list", "watch"]},
    ]
    check("one role: the hub's ClusterRole", len(roles) == 1 and roles[0]["metadata"]["name"] == "trawl-hub")
    got = roles[0]["rules"] if roles else []
    check("hub rules: as many as expected", len(got) == len(expected), got)
    for want, have in zip(expected, got):
        check(f"hub rule {want['apiGroups'][0] or 'core'}: {', '.join(want['resources'])} get/list/watch",
              have == want, have)
    check("no secrets, no write verbs, no wildcards",
          all("secrets" not in r["resources"] and "*" not in r["resources"] + r["verbs"] + r["apiGroups"]
              and set(r["verbs"]) <= {"get", "list", "watch"} for r in got))
    check("one binding: the hub's service account only",
          len(bindings) == 1 and bindings[0]["subjects"] ==
          [{"kind": "ServiceAccount", "name": "trawl-hub", "namespace": "trawl"}]
          and bindings[0]["roleRef"]["name"] == "trawl-hub")


def check_worker_args(objs, work):
    args = containers(objs, "DaemonSet")[0]["args"]
    keep = args[args.index("--keep") + 1] if "--keep" in args else ""
    demo = os.path.join(root, "fixtures", "demo.pcap")
    r = subprocess.run([trawl, "read", demo, "--count", "--keep", keep], capture_output=True, text=True)
    check("the workers' --keep is valid KFL", r.returncode == 0, r.stderr)
    # The arguments as the kubelet passes them ($(NODE_NAME) expanded, the
    # token from the secret), run in a network namespace of its own: the
    # worker answers /healthz to anyone and its API only with the token.
    given = [a.replace("$(NODE_NAME)", "n1").replace("/data", os.path.join(work, "data")) for a in args]
    port = args[args.index("--port") + 1]
    ns = f"trawl-chart-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        subprocess.run(["ip", "-n", ns, "link", "set", "lo", "up"], check=True)
        worker = subprocess.Popen(["ip", "netns", "exec", ns, trawl, *given], stderr=subprocess.PIPE,
                                  text=True, env=dict(os.environ, TRAWL_TOKEN="t0k3n-for-the-chart-test"))
        curl = lambda *a: subprocess.run(["ip", "netns", "exec", ns, "curl", "-s", "-o", "/dev/null", "-w",
                                          "%{http_code}", *a], capture_output=True, text=True).stdout
        for _ in range(100):
            if curl(f"http://127.0.0.1:{port}/healthz") == "200" or worker.poll() is not None:
                break
            time.sleep(0.1)
        health = curl(f"http://127.0.0.1:{port}/healthz")
        without = curl(f"http://127.0.0.1:{port}/api/stats")
        with_token = curl("-H", "Authorization: Bearer t0k3n-for-the-chart-test", f"http://127.0.0.1:{port}/api/stats")
        worker.terminate()
        _, err = worker.communicate(timeout=20)
        check("the workers' arguments run: /healthz open, the API only with the token",
              (health, without, with_token) == ("200", "401", "200"), (health, without, with_token, err[-500:]))
    finally:
        subprocess.run(["ip", "netns", "del", ns])


def main():
    with tempfile.TemporaryDirectory() as work:
        helmrender = build_helmrender(work)
        render = lambda *a: subprocess.run([helmrender, chart, *a], check=True, capture_output=True, text=True).stdout
        manifests = lambda *a: subprocess.run([trawl, "manifests", *a], check=True, capture_output=True, text=True).stdout

        token = "t0k3n-for-the-chart-test"
        objs = same_objects("default values: the chart renders what trawl manifests prints",
                            render("--set", f"token={token}"), manifests("--token", token))
        check_least_privilege(objs)
        check_rbac(objs)
        check_worker_args(objs, work)

        values = os.path.join(work, "values.yaml")
        with open(values, "w") as f:
            yaml.safe_dump({"namespace": "observability", "clusterName": "prod-eu",
                            "podRegex": r'^(web|api)-\d+"', "namespaces": ["shop", "pay"],
                            "image": {"repository": "registry.local:5000/trawl", "tag": "1.2"},
                            "storage": {"storeMb": 4096, "packetMb": 512, "retentionHours": 48},
                            "hub": {"serviceType": "LoadBalancer"}, "token": token}, f)
        other = same_objects("other values: the chart renders what the same options print",
                             render("-f", values),
                             manifests("--token", token, "--trawl-namespace", "observability",
                                       "--cluster-name", "prod-eu", r'^(web|api)-\d+"', "-n", "shop", "-n", "pay",
                                       "--image", "registry.local:5000/trawl:1.2", "--store-mb", "4096",
                                       "--packet-mb", "512", "--max-age-hours", "48",
                                       "--hub-service-type", "LoadBalancer"))
        args = containers(other, "DaemonSet")[0]["args"]
        check("the pod regex and namespaces reach the workers' --keep",
              "--keep" in args and 'src.namespace == "shop"' in args[args.index("--keep") + 1]
              and r'src.name.matches("^(web|api)-\\d+\"")' in args[args.index("--keep") + 1], args)
        check("the data volume holds the store, the packets and 256 MiB more",
              other[("DaemonSet", "observability-worker")]["spec"]["template"]["spec"]["volumes"][0]["emptyDir"]
              == {"sizeLimit": "4864Mi"})

        a = objects(manifests())[("Secret", "trawl-token")]["stringData"]["token"]
        b = objects(render())[("Secret", "trawl-token")]["stringData"]["token"]
        check("no token given: a random one of 32 characters each time",
              len(a) == len(b) == 32 and a != b and a.isalnum() and b.isalnum(), (a, b))
        r = subprocess.run([trawl, "manifests", "web-("], capture_output=True, text=True)
        check("a bad pod regex is refused before anything is deployed",
              r.returncode != 0 and "missing )" in r.stderr and not r.stdout, r.stderr)
    print(f"chart: {'all passed' if not failed else f'{failed} failed'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
