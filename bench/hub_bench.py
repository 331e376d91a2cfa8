#!/usr/bin/env python3
"""The hub over three workers (issue 17): the same queries asked of one worker
and of the hub over three (each worker holding the capture three times over,
an hour apart: over a million entries each for the dense capture), alternating, medians of wall time; and the hub's paging through the
newest 10,000 entries of the three. All on this machine's cores, so the three
workers scan side by side on 2 CPUs: the ratio is what the fan-out and the
merge cost on top of three scans sharing the machine.
Usage: hub_bench.py TRAWL CAPTURE [RUNS]"""
import json, os, statistics, subprocess, sys, tempfile, time, urllib.parse, urllib.request

trawl, capture = os.path.realpath(sys.argv[1]), sys.argv[2]
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
TOKEN = "hub-bench-token-0123456789"


def get(port, path):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read())


def wait(port):
    for _ in range(6000):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing on {port}")


work = tempfile.mkdtemp(prefix="trawl-hub-bench.")
procs = []
try:
    copies = [capture]
    for hours in (1, 2):
        copies.append(f"{work}/shifted{hours}.pcap")
        subprocess.run(["editcap", "-t", str(3600 * hours), capture, copies[-1]], check=True)
    tripled = f"{work}/tripled.pcap"
    subprocess.run(["mergecap", "-a", "-w", tripled, *copies], check=True)
    for c in copies[1:]:
        os.remove(c)
    ports = [19301, 19302, 19303]
    started = time.monotonic()
    for i, port in enumerate(ports):
        procs.append(subprocess.Popen([trawl, "read", tripled, "--serve", "--port", str(port), "--node-name",
                                       f"n{i + 1}", "--token", TOKEN,
                                       "--data-dir", f"{work}/w{i}"], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
    for port in ports:
        wait(port)
    members = ",".join(f"n{i + 1}=127.0.0.1:{p}" for i, p in enumerate(ports))
    procs.append(subprocess.Popen([trawl, "hub", "--workers", members, "--port", "19300", "--token", TOKEN,
                                   "--member-timeout", "120"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait(19300)
    per_worker = get(ports[0], "/api/stats")["store"]["entries"]
    total = get(19300, "/api/stats")["store"]["entries"]
    print(f"## The hub over three workers ({os.path.basename(capture)} three times over in each: {per_worker:,} entries "
          f"per worker, {total:,} in all; {runs} runs each, alternating, medians)")
    print(f"three workers ingested in {time.monotonic() - started:.1f} s")
    queries = [("newest 100", "limit=100"),
               ("newest 1,000 of `http and response.status == 200`",
                "limit=1000&q=" + urllib.parse.quote("http and response.status == 200")),
               ("a query that matches nothing (every entry scanned)",
                "limit=100&q=" + urllib.parse.quote('request.path == "/nowhere"'))]
    print("| query | one worker s | hub over three s | hub / worker |")
    print("|---|---|---|---|")
    for title, params in queries:
        one, hub = [], []
        for _ in range(runs):
            for port, out in ((ports[0], one), (19300, hub)):
                t = time.perf_counter()
                body = get(port, "/api/entries?" + params)
                out.append(time.perf_counter() - t)
                assert not body.get("partial"), body.get("errors")
        a, b = statistics.median(one), statistics.median(hub)
        print(f"| {title} | {a:.3f} | {b:.3f} | {b / a:.2f} |")
    t = time.perf_counter()
    cursor, seen = "", 0
    while seen < 10000:
        body = get(19300, "/api/entries?limit=1000" + (f"&before={urllib.parse.quote(cursor)}" if cursor else ""))
        seen += len(body["entries"])
        cursor = body.get("next", "")
        if not cursor:
            break
    print(f"\npaging through the newest {seen:,} entries of the three, 1,000 a page: {time.perf_counter() - t:.2f} s")
finally:
    for p in procs:
        p.kill()
        p.wait()
    subprocess.run(["rm", "-rf", work])
