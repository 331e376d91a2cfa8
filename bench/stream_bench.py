#!/usr/bin/env python3
"""The hub's merged live stream (issue 17): three `trawl capture` workers, each
fed a capture by tcpreplay at RATE entries/s over a veth pair of its own, and a
hub over them; a client opens the hub's /api/stream as the dashboard does
(calls only) for the whole replay. Reported: what each worker stored and at
what rate, its kernel drops, what the one stream delivered against the calls
the three stored, what it skipped, and the CPU each process used (the
client's too: a client slower than the stream is told what it missed).
Usage: stream_bench.py TRAWL CAPTURE [SECONDS] [RATE]   (root; needs tcpreplay)"""
import json, os, re, subprocess, sys, tempfile, time, urllib.request

trawl, capture = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 15
rate = int(sys.argv[4]) if len(sys.argv) > 4 else 20000
TOKEN = "stream-bench-token-0123456789"
HERE = os.path.dirname(os.path.abspath(__file__))
PORTS, HUB = [19351, 19352, 19353], 19350
TICK = os.sysconf("SC_CLK_TCK")


def get(port, path):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def wait(port):
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing on {port}")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def calls(stats):
    return sum(n for p, n in stats["entries"]["by_protocol"].items() if p not in ("tcp", "udp", "sctp"))


def entries_and_packets():
    r = subprocess.run([trawl, "read", capture, "--count"], capture_output=True, text=True, check=True)
    entries = int(re.search(r"counted (\d+) entries", r.stderr).group(1))
    r = subprocess.run(["capinfos", "-c", "-M", capture], capture_output=True, text=True, check=True)
    packets = int(re.search(r"Number of packets:\s+(\d+)", r.stdout).group(1))
    return entries, packets


links = [(f"tsbA{i}", f"tsbB{i}") for i in range(3)]
work = tempfile.mkdtemp(prefix="trawl-stream-bench.")
procs = []
try:
    for a, b in links:
        subprocess.run(["ip", "link", "add", a, "type", "veth", "peer", "name", b], check=True)
        for dev in (a, b):
            subprocess.run(["sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1"], check=True)
            subprocess.run(["ip", "link", "set", dev, "up"], check=True)
    workers = []
    for i, ((_, b), port) in enumerate(zip(links, PORTS)):
        workers.append(subprocess.Popen([trawl, "capture", "-i", b, "--threads", "1", "--filter-bpf", "tcp",
                                         "--port", str(port), "--node-name", f"n{i + 1}", "--token", TOKEN,
                                         "--data-dir", f"{work}/w{i}"],
                                        stdout=subprocess.DEVNULL, stderr=open(f"{work}/w{i}.log", "w")))
    procs += workers
    members = ",".join(f"n{i + 1}=127.0.0.1:{p}" for i, p in enumerate(PORTS))
    hub = subprocess.Popen([trawl, "hub", "--workers", members, "--port", str(HUB), "--token", TOKEN],
                           stdout=subprocess.DEVNULL, stderr=open(f"{work}/hub.log", "w"))
    procs.append(hub)
    for port in PORTS + [HUB]:
        wait(port)
    entries, packets = entries_and_packets()
    pps = rate * packets / entries
    client = subprocess.Popen(["node", os.path.join(HERE, "stream_client.mjs"), f"http://127.0.0.1:{HUB}", TOKEN],
                              stdout=subprocess.PIPE, text=True)
    assert client.stdout.readline().strip() == "listening"
    time.sleep(1)  # the hub's streams to the workers open
    before = [get(p, "/api/stats") for p in PORTS]
    cpu_before = [cpu_seconds(p.pid) for p in procs]
    started = time.monotonic()
    replays = [subprocess.Popen(["tcpreplay", "-q", "-i", a, f"--pps={pps:.0f}", f"--duration={seconds}",
                                 capture], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
               for a, _ in links]
    sent = [re.search(r"sent in ([0-9.]+) seconds", r.communicate()[0]) for r in replays]
    replayed = max(float(m.group(1)) for m in sent)
    time.sleep(3)  # the last entries leave the workers and the hub
    after = [get(p, "/api/stats") for p in PORTS]
    cpu = [cpu_seconds(p.pid) - c for p, c in zip(procs, cpu_before)]
    elapsed = time.monotonic() - started
    client.terminate()
    got = json.loads(client.communicate(timeout=60)[0])

    print(f"## The hub's merged live stream: three workers fed {os.path.basename(capture)} by tcpreplay at "
          f"{rate:,} entries/s each ({pps:,.0f} packets/s), {seconds} s; one client on the hub's /api/stream "
          f"(the dashboard's calls-only query)")
    print("| worker | entries stored | entries/s | calls stored | kernel drops | skipped toward the hub | CPU s (% of a core) |")
    print("|---|---|---|---|---|---|---|")
    stored_calls = 0
    for i, (a, b) in enumerate(zip(before, after)):
        n = b["store"]["entries"] - a["store"]["entries"]
        c = calls(b) - calls(a)
        stored_calls += c
        drops = sum(x["kernel_drops"] for x in b["live"]["interfaces"]) - \
            sum(x["kernel_drops"] for x in a["live"]["interfaces"])
        skipped = b["stream"]["skipped"] - a["stream"]["skipped"]
        print(f"| n{i + 1} | {n:,} | {n / replayed:,.0f} | {c:,} | {drops:,} | {skipped:,} | "
              f"{cpu[i]:.1f} ({100 * cpu[i] / elapsed:.0f}%) |")
    print(f"\nthe hub's stream delivered {got['entries']:,} of the {stored_calls:,} calls the three stored "
          f"({100 * got['entries'] / max(1, stored_calls):.1f}%), {got['entries'] / replayed:,.0f} entries/s, "
          f"skipped {got['skipped']:,}; the hub used {cpu[3]:.1f} CPU s ({100 * cpu[3] / elapsed:.0f}% of a core) "
          f"over {elapsed:.1f} s; the client used {got['cpuSeconds']:.1f} CPU s")
    print(f"entries per second at the client: {got['perSecond']}")
finally:
    for p in procs:
        p.kill()
        p.wait()
    for a, _ in links:
        subprocess.run(["ip", "link", "del", a], stderr=subprocess.DEVNULL)
    subprocess.run(["rm", "-rf", work])
