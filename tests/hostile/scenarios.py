"""The hostile suite's scenarios. Each runs inside a network namespace of its
own (run.sh makes it), against a Release build, and checks that the worker
neither dies, nor loses what it acknowledged, nor leaks to other origins, nor
grows past the memory bound, and that what it drops is counted.

Usage: scenarios.py NAME TRAWL WORKDIR REPO"""
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

from harness import (RSS_BOUND_MIB, Checks, TrafficClient, TrafficServer, Worker, WsReader,
                     fetch_all, free_port, gzip_noise, ws_frame, ws_open, write_http_capture)

Q = urllib.parse.quote


def raw(port, data, timeout=10, read_all=False):
    """Sends raw bytes; the first response line (or everything with read_all)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        got = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            got += chunk
            if not read_all and b"\r\n" in got:
                break
        return got if read_all else got.split(b"\r\n", 1)[0]
    finally:
        s.close()


def status_of(line):
    parts = line.split(b" ")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def bound_rss(t, w, what):
    peak = w.rss_mib()
    t.figure(what + "_peak_rss_mib", round(peak, 1))
    t.check(0 < peak < RSS_BOUND_MIB, f"{what}: peak RSS {peak:.1f} MiB under {RSS_BOUND_MIB} MiB")
    return peak


# --- The API: odd paths, methods and requests; the token; descriptors ------------------------

ODD_PATHS = ["/assets", "/assets/", "//", "///", "/./", "/../", "/..", "/assets/..", "/assets/../index.html",
             "/%2e%2e/%2e%2e/etc/passwd", "/assets/%2e%2e/%2e%2e/etc/passwd", "/leak.txt", "/index.html/",
             "/api", "/api/", "/api//entries", "/api/entries/", "/api/entries//pcap", "/api/entries/0",
             "/api/entries/-1", "/api/entries/1e3", "/api/entries/18446744073709551616",
             "/api/entries/99999999999999999999/pcap", "/api/entries/1/pcap/", "/api/entries/1/pcap/pcap",
             "/api/stream", "/api/stats/", "/metrics/", "/healthz/", "/%00", "/assets/%00x", "/%ff%fe",
             "/api/entries?q=%ZZ", "/api/entries?limit=", "/api/entries?limit=99999999999999999999",
             "/api/entries?before=&after=", "/api/entries?q=" + "(" * 100, "/api/validate?q=" + "x" * 20000,
             "/" + "a/" * 2000, "/api/entries?" + "&".join(f"k{i}=v" for i in range(3000))]
METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH", "TRACE", "CONNECT", "PROPFIND"]
GARBAGE = [b"\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET http://evil.example/ HTTP/1.1\r\n\r\n",
           b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
           b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
           b"GET / HTTP/1.1\r\nHost: a\r\n" + b"X-Big: " + b"a" * 100000 + b"\r\n\r\n",
           b"GET / HTTP/1.1\r\nHo\x00st: a\r\n\r\n", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\0" * 64,
           b"GET /api/stream HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
           b"GET /x HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\n"
           b"Sec-WebSocket-Version: 13\r\n\r\n", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"]


def api(t, trawl, work, repo):
    ui = os.path.join(work, "ui")
    os.makedirs(os.path.join(ui, "assets"))
    open(os.path.join(ui, "index.html"), "w").write("<!doctype html><title>ui</title>")
    open(os.path.join(ui, "assets", "x.js"), "w").write("1")
    os.symlink("/etc/passwd", os.path.join(ui, "leak.txt"))  # a way out of the directory
    port = free_port()
    w = Worker(trawl, ["read", os.path.join(repo, "fixtures/demo.pcap"), "--serve", "--ui-dir", ui], port,
               os.path.join(work, "api.log"))
    w.wait_healthy()
    served = 0
    for path in ODD_PATHS:
        for method in METHODS:
            line = raw(port, f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            code = status_of(line)
            served += 100 <= code <= 599
            if not w.alive():
                t.check(False, f"{method} {path} killed the worker")
                return
    t.check(served == len(ODD_PATHS) * len(METHODS),
            f"every odd path and method got an HTTP answer ({served} of {len(ODD_PATHS) * len(METHODS)})")
    for g in GARBAGE:
        raw(port, g)
        t.check(w.alive(), f"the worker survives {g[:40]!r}")
    t.check(w.request("GET", "/leak.txt")[0] == 404, "a symbolic link out of the dashboard's directory is not followed")
    t.check(w.request("GET", "/assets/x.js")[0] == 200, "the dashboard's files are served")
    _, page = w.json("/api/entries?after=18446744073709551615")
    t.check(page["count"] == 0, f"after=2^64-1 returns nothing (got {page['count']})")
    _, page = w.json("/api/entries?q=" + Q("limit(0)"))
    t.check(page["count"] == 0, f"limit(0) returns nothing (got {page['count']})")
    _, page = w.json("/api/entries?before=0")
    t.check(page["count"] == 0, "before=0 returns nothing")
    # Three pipelined requests on one connection: three answers, in order.
    got = raw(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * 2 +
              b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", read_all=True)
    t.check(got.count(b"HTTP/1.1 200") == 3, "pipelined requests are answered in order")
    t.check(w.request("GET", "/healthz")[0] == 200, "the worker answers after every odd request")
    bound_rss(t, w, "api")
    t.check(w.stop() == 0, "SIGTERM stops the worker cleanly")


def token(t, trawl, work, repo):
    demo = os.path.join(repo, "fixtures/demo.pcap")
    short = subprocess.run([trawl, "read", demo, "--serve", "--port", str(free_port()), "--token", "x"],
                           capture_output=True, text=True, timeout=30)
    t.check(short.returncode != 0 and "16 characters" in short.stderr,
            f"a 1-character token is refused at start: {short.stderr.strip()[-120:]}")
    secret = "hostile-suite-token-0123456789"
    port = free_port()
    w = Worker(trawl, ["read", demo, "--serve", "--token", secret], port, os.path.join(work, "token.log"))
    w.wait_healthy()
    bearer = {"Authorization": "Bearer " + secret}
    t.check(w.request("GET", "/api/entries")[0] == 401, "no token: 401")
    t.check(w.request("GET", "/api/entries", {"Authorization": "Bearer " + secret[:-1]})[0] == 401, "a wrong token: 401")
    t.check(w.request("GET", "/api/entries?access_token=" + secret)[0] == 401,
            "?access_token= is refused where a header can be set")
    t.check(w.request("GET", "/metrics")[0] == 401, "/metrics needs the token")
    t.check(w.request("GET", "/api/entries", bearer)[0] == 200, "the token in the header: 200")
    t.check(w.request("GET", "/healthz")[0] == 200, "/healthz needs no token")
    t.check(w.request("GET", "/")[0] == 200, "the dashboard's page needs no token (it asks for it)")
    s = w.connect()
    code, _ = ws_open(s, port, "/api/stream?access_token=" + secret)
    s.close()
    t.check(code == 101, f"the stream takes ?access_token= (status {code})")
    s = w.connect()
    code, _ = ws_open(s, port, "/api/stream")
    s.close()
    t.check(code == 401, f"the stream without a token: 401 (status {code})")
    bound_rss(t, w, "token")
    t.check(w.stop() == 0, "SIGTERM stops the worker cleanly")


def descriptors(t, trawl, work, repo):
    """Out of file descriptors: the accept loop waits instead of spinning."""
    port = free_port()
    limit = 48

    def few_descriptors():
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    w = Worker(trawl, ["read", os.path.join(repo, "fixtures/demo.pcap"), "--serve"], port,
               os.path.join(work, "fds.log"), preexec=few_descriptors)
    w.wait_healthy()
    held = []
    for _ in range(limit + 40):
        try:
            held.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            break
    time.sleep(0.5)
    cpu0, t0 = w.cpu_seconds(), time.time()
    time.sleep(3)
    busy = (w.cpu_seconds() - cpu0) / (time.time() - t0)
    t.figure("descriptors_exhausted_cpu_share", round(busy, 3))
    t.check(busy < 0.2, f"out of descriptors the worker does not spin ({busy:.0%} of a core)")
    for s in held:
        s.close()
    time.sleep(0.5)
    t.check(w.request("GET", "/healthz", timeout=5)[0] == 200, "the worker answers once descriptors are back")
    t.check(w.stats()["api"]["accept_errors"] > 0, "failed accepts are counted")
    bound_rss(t, w, "descriptors")
    t.check(w.stop() == 0, "SIGTERM stops the worker cleanly")


def files(t, trawl, work, repo):
    """read --serve's store: a private directory, gone after a stop (even one
    that comes while the capture is read); a directory as input; a stray file."""
    demo = os.path.join(repo, "fixtures/demo.pcap")
    # A temporary directory of this scenario's own: the others run beside it
    # and make trawl-read-* directories of their own in /tmp.
    tmp = os.path.join(work, "files-tmp")
    os.makedirs(tmp)
    env = dict(os.environ, TMPDIR=tmp)
    before = set(os.listdir(tmp))
    port = free_port()
    w = Worker(trawl, ["read", demo, "--serve"], port, os.path.join(work, "files.log"), env=env)
    w.wait_healthy()
    made = [d for d in set(os.listdir(tmp)) - before if d.startswith("trawl-read-")]
    t.check(len(made) == 1, f"one temporary directory: {made}")
    if made:
        mode = os.stat(os.path.join(tmp, made[0])).st_mode & 0o777
        t.check(mode == 0o700, f"it is private (mode {mode:o})")
        t.check(made[0] != f"trawl-read-{w.pid}", "its name cannot be predicted from the pid")
    t.check(w.stop(signal.SIGINT) == 0, "SIGINT stops read --serve")
    t.check(not any(os.path.exists(os.path.join(tmp, d)) for d in made), "the directory is removed")
    # A stop while the capture is still being read (a pipe that keeps it open).
    fifo = os.path.join(work, "capture.fifo")
    os.mkfifo(fifo)
    writer = subprocess.Popen(f"(cat {demo}; sleep 60) > {fifo}", shell=True, start_new_session=True)
    reader = subprocess.Popen([trawl, "read", fifo, "--serve", "--port", str(free_port())],
                              stderr=subprocess.DEVNULL, env=env)
    time.sleep(1.5)
    during = [d for d in set(os.listdir(tmp)) - before if d.startswith("trawl-read-")]
    reader.send_signal(signal.SIGTERM)
    try:
        code = reader.wait(10)
    except subprocess.TimeoutExpired:
        reader.kill()
        code = None
    os.killpg(writer.pid, signal.SIGKILL)
    t.check(code is not None, "a stop while the capture is read is obeyed")
    t.check(bool(during) and not any(os.path.exists(os.path.join(tmp, d)) for d in during),
            f"and its directory is removed ({during})")
    out = subprocess.run([trawl, "read", "/tmp"], capture_output=True, text=True)
    t.check(out.returncode != 0 and "is a directory" in out.stderr, f"a directory as input says so: {out.stderr.strip()}")
    # A stray file in the data directory is named and skipped.
    data = os.path.join(work, "data")
    os.makedirs(os.path.join(data, "entries"))
    open(os.path.join(data, "entries", "notes.txt"), "w").write("not a segment")
    open(os.path.join(data, "entries", "0000000000000000zzzz.seg"), "w").write("not a segment either")
    port = free_port()
    w = Worker(trawl, ["read", demo, "--serve", "--data-dir", data], port, os.path.join(work, "stray.log"))
    w.wait_healthy()
    stray = w.stats()["store"]["stray_files"]
    t.check(stray == ["0000000000000000zzzz.seg", "notes.txt"], f"stray files are reported: {stray}")
    t.check(w.stop() == 0, "SIGTERM stops the worker cleanly")


# --- Queries: a costly regex, a client that leaves, huge queries ----------------------------

SLOW_QUERY = 'http and request.body == r"(.{100}|x){8}Z"'  # compiles; about 50 ms per 8 KB body


def healthz_latencies(w, seconds):
    worst, samples = 0.0, 0
    end = time.time() + seconds
    while time.time() < end:
        t0 = time.time()
        code = w.request("GET", "/healthz", timeout=5)[0]
        worst = max(worst, time.time() - t0 if code == 200 else 99)
        samples += 1
        time.sleep(0.05)
    return worst, samples


def queries(t, trawl, work, repo):
    capture = os.path.join(work, "bodies.pcap")
    write_http_capture(capture, 20000, 8192)  # 20,000 stored 8 KB bodies
    port = free_port()
    w = Worker(trawl, ["read", capture, "--serve", "--query-timeout", "5"], port, os.path.join(work, "q.log"))
    w.wait_healthy(120)
    # The costly query runs while /healthz is asked every 50 ms.
    result = {}

    def run_query():
        t0 = time.time()
        result["status"], result["page"] = w.json("/api/entries?limit=10&q=" + Q(SLOW_QUERY), timeout=60)
        result["seconds"] = time.time() - t0

    q = threading.Thread(target=run_query)
    q.start()
    time.sleep(0.3)
    worst, samples = healthz_latencies(w, 3.5)
    q.join()
    t.figure("healthz_worst_ms_during_regex", round(worst * 1000, 1))
    t.check(worst < 0.1, f"/healthz answers in under 100 ms during the query (worst {worst * 1000:.0f} ms of {samples})")
    page = result.get("page") or {}
    t.figure("regex_query_seconds", round(result.get("seconds", 0), 2))
    t.check(result.get("status") == 200 and page.get("partial") is True and "next" in page,
            f"the query stops at its deadline with a partial page and a cursor: {str(page)[-160:]}")
    t.check(result.get("seconds", 99) < 6.5, f"within its deadline of 5 s ({result.get('seconds', 0):.1f} s)")
    # The cursor goes on where the page stopped.
    if "next" in page:
        _, more = w.json(f"/api/entries?limit=10&before={page['next']}&q=" + Q("http"), timeout=30)
        t.check(more["count"] == 10 and int(more["entries"][0]["id"]) < int(page["next"]),
                "the cursor continues below where the page stopped")
    # A client that leaves: its query stops (counted), and so does the work.
    s = w.connect()
    s.sendall(f"GET /api/entries?q={Q(SLOW_QUERY)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    time.sleep(1)
    s.close()
    time.sleep(0.5)
    cpu0 = w.cpu_seconds("trawl-query")
    time.sleep(1.5)
    spent = w.cpu_seconds("trawl-query") - cpu0
    t.check(spent < 0.2, f"the query stops when its client leaves ({spent:.2f} s of CPU after)")
    t.check(w.stats()["api"]["queries_cancelled"] >= 1, "and it is counted")
    # Queries too large, on the API and the stream.
    big = "http and (" + " or ".join(f"request.path == \"/p{i}\"" for i in range(5000)) + ")"
    code, body = w.json("/api/validate?q=" + Q(big[:60000]), timeout=30)
    t.check(code in (200, 400, 431), f"a long query is answered ({code})")
    before = w.rss_mib("VmRSS")
    s = w.connect()
    code, rest = ws_open(s, port)
    t0 = time.time()
    try:
        s.sendall(ws_frame(b"http or " * (2 << 20)))  # 16 MB
    except OSError:
        pass
    closed = False
    try:
        op, _ = WsReader(s, rest).frame()
        closed = op == 8
    except (EOFError, OSError):
        closed = True
    s.close()
    t.check(code == 101 and closed, "a 16 MB query closes the stream (too large), at once")
    t.check(time.time() - t0 < 3, f"without compiling it ({time.time() - t0:.1f} s)")
    grew = w.rss_mib("VmRSS") - before
    t.check(grew < 32, f"nor holding it ({grew:.0f} MiB more)")
    s = w.connect()
    code, rest = ws_open(s, port)
    s.sendall(ws_frame(("request.path == r\"" + "(.{100}|x)" * 8 + "\" and " + "http or " * 10 + "http").encode()))
    op, msg = WsReader(s, rest).frame()
    s.close()
    control = json.loads(msg).get("control", {})
    t.check("query" in control or "error" in control, f"a query the stream compiles or refuses: {msg[:120]!r}")
    # A stop during a running query is obeyed at once.
    def doomed_query():
        try:
            w.request("GET", "/api/entries?q=" + Q(SLOW_QUERY), timeout=30)
        except Exception:  # the worker stops under it
            pass

    threading.Thread(target=doomed_query, daemon=True).start()
    time.sleep(1)
    bound_rss(t, w, "queries")
    t0 = time.time()
    code = w.stop()
    t.check(code == 0 and time.time() - t0 < 5, f"SIGTERM during a query stops the worker ({code}, {time.time() - t0:.1f} s)")


# --- Live capture: clients that do not read -------------------------------------------------

def capture_worker(trawl, work, port, *extra, threads=2, log="capture.log", data=None):
    return Worker(trawl, ["capture", "-i", "lo", "--threads", str(threads), "--data-dir",
                          data or os.path.join(work, "data")] + list(extra), port, os.path.join(work, log))


def streams(t, trawl, work, repo):
    """200 live stream clients, half of which never read, then 100 HTTP
    clients that never read a 10,000-entry page, while traffic flows."""
    web = free_port()
    server = TrafficServer(web, work)
    port = free_port()
    w = capture_worker(trawl, work, port, "--client-timeout", "3")
    w.wait_healthy()
    fetch_all(web, 1, 12000)  # 12,000 entries of 8 KB bodies to ask pages of
    traffic = TrafficClient(web, 300)
    readers_got = [0] * 100
    alive = [True] * 100
    sockets = []

    def reader(i):
        try:
            s = w.connect()
            code, rest = ws_open(s, port)
            s.sendall(ws_frame(b"http"))
            r = WsReader(s, rest)
            end = time.time() + 12
            while time.time() < end:
                op, _ = r.frame()
                if op == 8:
                    break
                readers_got[i] += 1
            alive[i] = time.time() >= end
            s.close()
        except (OSError, EOFError):
            alive[i] = False

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(100)]
    for th in threads:
        th.start()
    for _ in range(100):  # never read: a small receive buffer, nothing taken from it
        s = w.connect()
        ws_open(s, port, rcvbuf=4096)
        s.sendall(ws_frame(b"http"))
        sockets.append(s)
    time.sleep(2)
    # The peak, not the count now: under load the first clients that never read
    # may already have been cut (after --client-timeout) when this asks.
    peak = w.stats()["stream"]["peak_subscribers"]
    t.check(peak >= 190, f"200 stream clients subscribed (at most {peak} at once)")
    for th in threads:
        th.join()
    st = w.stats()
    t.figure("stream_clients_cut", st["api"]["stream_clients_cut"])
    t.check(st["api"]["stream_clients_cut"] >= 95,
            f"clients that never read are cut off and counted ({st['api']['stream_clients_cut']})")
    t.check(min(readers_got) > 100 and sum(alive) >= 95,
            f"clients that read keep receiving (fewest {min(readers_got)} entries; {sum(alive)} stayed)")
    for s in sockets:
        s.close()
    # HTTP clients that ask for 10,000 entries and never read the answer.
    time.sleep(1)
    stuck = []
    for _ in range(100):
        s = w.connect()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(f"GET /api/entries?limit=10000 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        stuck.append(s)
    time.sleep(6)
    st = w.stats()
    t.figure("http_clients_cut", st["api"]["slow_clients_cut"])
    t.figure("http_clients_refused_busy", st["api"]["queries_rejected"])
    cut, busy = st["api"]["slow_clients_cut"], st["api"]["queries_rejected"]
    t.check(cut + busy >= 95 and cut > 0,
            f"HTTP clients that never read are cut off, or told the worker is busy, and counted "
            f"({cut} cut, {busy} refused)")
    for s in stuck:
        s.close()
    t.check(w.request("GET", "/healthz")[0] == 200, "the API answers throughout")
    traffic.stop()
    time.sleep(1)
    after = w.rss_mib("VmRSS")
    t.figure("streams_rss_after_clients_left_mib", round(after, 1))
    t.check(after < RSS_BOUND_MIB, f"memory after the clients left: {after:.0f} MiB")
    st = w.stats()
    t.figure("streams_kernel_drops", st["live"]["kernel_drops"])
    t.figure("streams_entries", st["store"]["entries"])
    t.figure("streams_stream_skipped", st["stream"]["skipped"])
    bound_rss(t, w, "streams")
    t.check(w.stop() == 0, "SIGTERM stops the worker cleanly")
    server.close()


# --- Live capture: traffic that tries to make the dissectors hold memory ---------------------

def sink_server(port):
    """Accepts, reads everything, never answers."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(64)

    def drain(c):
        while c.recv(1 << 20):
            pass
        c.close()

    def accept():
        while True:
            c, _ = listener.accept()
            threading.Thread(target=drain, args=(c,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener


def gzip_pipelines(t, trawl, work, repo):
    """Four connections each pipeline 256 POSTs of 1 MB gzip bodies that are
    never answered."""
    web = free_port()
    sink_server(web)
    port = free_port()
    w = capture_worker(trawl, work, port)
    w.wait_healthy()
    body = gzip_noise(1 << 20)
    request = (f"POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Encoding: gzip\r\n"
               f"Content-Type: application/octet-stream\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    clients = [socket.create_connection(("127.0.0.1", web)) for _ in range(4)]
    drops_while_open = [0]
    sending = [True]

    def refused(st):  # (a stats read that failed under load counts nothing)
        return st.get("loss", {}).get("memory_budget_drops", 0)

    def watch():
        while sending[0]:
            drops_while_open[0] = max(drops_while_open[0], refused(w.stats()))
            time.sleep(0.5)

    watcher = threading.Thread(target=watch)
    watcher.start()
    t0 = time.time()
    for i in range(256):
        for c in clients:
            c.sendall(request)
        # About 100 MB/s in all: fast, but within what the capture ring takes.
        time.sleep(max(0.0, (i + 1) * 4 * len(request) / 100e6 - (time.time() - t0)))
    time.sleep(1.5)
    sending[0] = False
    watcher.join()
    t.figure("gzip_seconds_sending", round(time.time() - t0, 1))
    # A loaded machine's worker may still be behind the sender: the connections
    # stay open until it has caught up with the refusals (or 15 s passed).
    for _ in range(30):
        st = w.stats()
        drops_while_open[0] = max(drops_while_open[0], refused(st))
        if drops_while_open[0] > 0:
            break
        time.sleep(0.5)
    t.figure("gzip_memory_budget_peak_mib", round(st["memory"]["peak"] / 2**20, 1))
    t.figure("gzip_memory_budget_drops", drops_while_open[0])
    t.check(drops_while_open[0] > 0, "what the memory budget refused was counted while the connections were open")
    t.check(st["memory"]["peak"] <= st["memory"]["limit"], "the dissectors held no more than their budget")
    peak = bound_rss(t, w, "gzip")
    for c in clients:
        c.close()
    for _ in range(100):  # the server drains what is still in flight, then closes too
        _, page = w.json("/api/entries?limit=2000&q=" + Q('http and request.method == "POST"'))
        if page["count"] >= 1024:
            break
        time.sleep(0.2)
    st = w.stats()
    drops = st["live"]["kernel_drops"]
    t.figure("gzip_kernel_drops", drops)
    t.figure("gzip_entries", page["count"])
    if drops == 0:
        t.check(page["count"] == 1024, f"every request is an entry once the connections close ({page['count']})")
    # Packets the kernel dropped under load leave gaps, which an entry names first.
    said = {"no response"} | ({"gap in stream"} if drops else set())
    t.check(all(e.get("error") in said for e in page["entries"]),
            "each says it had no response" + (" (or a gap: the kernel dropped packets)" if drops else ""))
    cut = sum(1 for e in page["entries"] if e["request"].get("bodyTruncated"))
    t.check(cut > 0 and st["loss"]["bodies_truncated"] >= cut,
            f"bodies cut are marked and counted ({cut} marked, {st['loss']['bodies_truncated']} counted)")
    t.check(st["memory"]["used"] < 1 << 20, f"the budget is given back ({st['memory']['used']} bytes held)")
    t.check(w.stop() == 0, "SIGTERM stops the worker cleanly")


SYN_SENDER = r"""
import socket, struct, sys, time
count = int(sys.argv[1])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("lo", 0))
eth = bytes(12) + b"\x08\x00"
tcp_tail = struct.pack(">IIBBHHH", 1000, 0, 5 << 4, 0x02, 65535, 0, 0)
dst = socket.inet_aton("127.0.0.1")
for i in range(count):
    src = bytes([10, (i >> 16) & 255, (i >> 8) & 255, i & 255])
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 64, 6, 0, src, dst)
    s.send(eth + ip + struct.pack(">HH", 1024 + i % 60000, 9) + tcp_tail)
"""


def syn_flood(t, trawl, work, repo, threads):
    """A SYN flood from 600,000 sources: the flows tracked, and the memory, are
    one budget for the process whatever the number of capture threads."""
    port = free_port()
    w = capture_worker(trawl, work, port, threads=threads, log=f"syn{threads}.log")
    w.wait_healthy()
    t0 = time.time()
    subprocess.run([sys.executable, "-c", SYN_SENDER, "600000"], check=True)
    sent_for = time.time() - t0
    time.sleep(2)
    st = w.stats()
    tag = f"syn{threads}"
    t.figure(f"{tag}_send_seconds", round(sent_for, 1))
    t.figure(f"{tag}_flows_tracked", st["memory"]["flows"])
    t.figure(f"{tag}_flows_evicted", st["loss"]["flows_evicted_by_cap"])
    t.figure(f"{tag}_kernel_drops", st["live"]["kernel_drops"])
    t.check(st["memory"]["flows"] <= st["memory"]["max_flows"] + threads,
            f"{threads} threads track at most the process's flow budget ({st['memory']['flows']})")
    seen = st["flows"]["tcp"]
    t.check(st["loss"]["flows_evicted_by_cap"] >= seen - st["memory"]["max_flows"] - threads,
            f"flows ended early for the budget are counted ({st['loss']['flows_evicted_by_cap']} of {seen})")
    bound_rss(t, w, tag)
    t.check(w.stop() == 0, "SIGTERM stops the worker cleanly")


def syn2(t, trawl, work, repo):
    syn_flood(t, trawl, work, repo, 2)


def syn4(t, trawl, work, repo):
    syn_flood(t, trawl, work, repo, 4)


# --- The store: a full disk, a flipped bit, kill -9 -----------------------------------------

class Traffic:
    """GETs of /item/<n>, n counting up, on a thread, until stopped."""

    def __init__(self, web, start=1):
        self.web, self.n, self.running = web, start, True
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while self.running:
            fetch_all(self.web, self.n, self.n + 199)
            self.n += 200

    def stop(self):
        self.running = False
        self.thread.join()


def wait_for(what, timeout, step=0.25):
    end = time.time() + timeout
    while time.time() < end:
        value = what()
        if value:
            return value
        time.sleep(step)
    return None


def full_disk(t, trawl, work, repo):
    """A 20 MB file system fills, frees again, fills again; the worker stops and
    starts again on it: nothing acknowledged is lost, nothing is cut."""
    disk = os.path.join(work, "disk")
    os.makedirs(disk)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", disk], check=True)
    try:
        full_disk_on(t, trawl, work, disk)
    finally:
        subprocess.run(["umount", "-l", disk])


def full_disk_on(t, trawl, work, disk):
    with open(os.path.join(disk, "filler"), "wb") as f:
        f.write(b"\0" * (6 << 20))
    web = free_port()
    server = TrafficServer(web, work)
    port = free_port()
    data = os.path.join(disk, "data")
    w = capture_worker(trawl, work, port, "--store-mb", "1000", "--packet-mb", "1000", data=data)
    w.wait_healthy()
    traffic = Traffic(web)
    full = wait_for(lambda: (lambda st: st if st["store"]["failed_commits"] > 0 else None)(w.stats()), 90)
    t.check(full is not None, "the disk filled and the store counted its failed commits")
    if not full:
        return
    durable_full = full["store"]["durable_id"]
    os.remove(os.path.join(disk, "filler"))  # space returns
    resumed = wait_for(lambda: (lambda st: st if st["store"]["durable_id"] > durable_full + 50 else None)(
        w.stats()), 30)
    t.check(resumed is not None, f"writing resumes when space returns (durable id {durable_full} before)")
    after = {}
    if resumed:
        top = resumed["store"]["durable_id"]
        _, page = w.json(f"/api/entries?limit=10000&after={durable_full}&before={top + 1}&q=http")
        after = {e["id"]: e["request"]["url"] for e in page["entries"]}
    t.check(len(after) > 10, f"entries written after the recovery ({len(after)})")
    time.sleep(2)  # the disk fills again
    traffic.stop()
    st = w.stats()
    t.figure("fulldisk_entries_lost", st["store"]["entries_lost"])
    t.figure("fulldisk_failed_commits", st["store"]["failed_commits"])
    t.figure("fulldisk_packets_lost", st["packet_ring"]["lost_packets"])
    t.figure("fulldisk_packet_ring_kept_mib", round(st["packet_ring"]["kept_bytes"] / 2**20, 1))
    t.check(st["packet_ring"]["kept_bytes"] <= 20 << 20,
            f"the packet ring counts only what the disk took ({st['packet_ring']['kept_bytes']} bytes kept)")
    t.check(st["packet_ring"]["lost_packets"] > 0, "and counts what it could not write")
    last_durable = st["store"]["durable_id"]
    bound_rss(t, w, "fulldisk")
    t.check(w.stop() == 0, "SIGTERM stops the worker cleanly on a full disk")
    w = capture_worker(trawl, work, port, "--store-mb", "1000", "--packet-mb", "1000", data=data,
                       log="capture2.log")
    w.wait_healthy()
    st = w.stats()
    t.check(st["store"]["durable_id"] >= last_durable,
            f"after a restart the durable id is kept ({st['store']['durable_id']} >= {last_durable})")
    t.check(st["store"]["truncated_bytes"] == 0 and st["store"]["damaged_regions"] == 0,
            f"nothing is cut at open ({st['store']['truncated_bytes']} bytes truncated)")
    missing = [i for i, url in after.items()
               if (lambda r: r[0] != 200 or json.loads(r[1])["request"]["url"] != url)(
                   w.request("GET", f"/api/entries/{i}"))]
    t.check(not missing, f"every entry written after the recovery is still there ({len(missing)} missing)")
    t.check(w.stop() == 0, "SIGTERM stops the restarted worker cleanly")
    server.close()


def bitflip(t, trawl, work, repo):
    """One bit flipped in a block header in the middle of the segment being
    written loses that block alone."""
    capture = os.path.join(work, "bodies.pcap")
    write_http_capture(capture, 20000, 8192)
    data = os.path.join(work, "data")
    port = free_port()
    w = Worker(trawl, ["read", capture, "--serve", "--data-dir", data], port, os.path.join(work, "b1.log"))
    w.wait_healthy(120)
    before = w.stats()["store"]
    bound_rss(t, w, "bitflip")
    t.check(w.stop() == 0, "SIGTERM stops the worker cleanly")
    segments = sorted(f for f in os.listdir(os.path.join(data, "entries")) if f.endswith(".seg"))
    path = os.path.join(data, "entries", segments[-1])
    offsets = []
    with open(path, "r+b") as f:
        size = os.path.getsize(path)
        at = 0
        while at + 48 <= size:
            f.seek(at + 8)
            payload = int.from_bytes(f.read(4), "little")
            offsets.append(at)
            at += 48 + payload
        middle = offsets[len(offsets) // 2]
        f.seek(middle + 26)
        b = f.read(1)
        f.seek(middle + 26)
        f.write(bytes([b[0] ^ 0x10]))
    w = capture_worker(trawl, work, port, data=data, log="b2.log")
    w.wait_healthy()
    after = w.stats()["store"]
    lost = before["entries"] - after["entries"]
    t.figure("bitflip_blocks", len(offsets))
    t.figure("bitflip_entries_lost", lost)
    t.figure("bitflip_entries", before["entries"])
    t.check(after["damaged_regions"] == 1 and after["truncated_bytes"] == 0,
            f"the damaged block is skipped and counted, nothing cut ({after['damaged_regions']} damaged, "
            f"{after['truncated_bytes']} bytes cut)")
    t.check(0 < lost <= before["entries"] * 2 / len(offsets),
            f"only that block's entries are lost ({lost} of {before['entries']})")
    t.check(after["last_id"] == before["last_id"], "the newest entries are all there")
    t.check(w.stop() == 0, "SIGTERM stops the worker cleanly")


def kill9(t, trawl, work, repo):
    """Five cycles of traffic, the live stream and the query API, then kill -9:
    no id served before a kill ever names another call afterwards."""
    web = free_port()
    server = TrafficServer(web, work, body_bytes=64)
    port = free_port()
    served = {}  # id -> url, from the stream and the API
    conflicts = []
    last_max = 0
    data = os.path.join(work, "data")

    def record(i, url):
        if served.setdefault(i, url) != url:
            conflicts.append((i, served[i], url))

    for cycle in range(5):
        w = capture_worker(trawl, work, port, data=data, log=f"k{cycle}.log")
        w.wait_healthy()
        got = []

        def tail():
            s = w.connect()
            code, rest = ws_open(s, port)
            s.sendall(ws_frame(b"http"))
            r = WsReader(s, rest)
            try:
                while True:
                    op, msg = r.frame()
                    if op == 8:
                        break
                    m = json.loads(msg)
                    if "id" in m:
                        got.append((int(m["id"]), m["request"]["url"]))
            except (EOFError, OSError, ValueError):
                pass

        th = threading.Thread(target=tail, daemon=True)
        th.start()
        time.sleep(0.3)
        fetch_all(web, cycle * 10000 + 1, cycle * 10000 + 400)
        # At once: some of what was served is not durable yet (commits are every 200 ms).
        _, page = w.json("/api/entries?limit=10000&q=http")
        os.kill(w.pid, signal.SIGKILL)
        w.proc.wait()
        th.join(5)
        ids = [(int(e["id"]), e["request"]["url"]) for e in page["entries"]] + got
        for i, url in ids:
            record(i, url)
        fresh = [i for i, url in ids if int(url.rsplit("/", 1)[1]) > cycle * 10000]
        t.check(not fresh or min(fresh) > last_max,
                f"cycle {cycle}: new calls get ids above every id served before ({min(fresh or [0])} > {last_max})")
        last_max = max([last_max] + [i for i, _ in ids])
    w = capture_worker(trawl, work, port, data=data, log="k-final.log")
    w.wait_healthy()
    _, page = w.json("/api/entries?limit=10000&q=http")
    for e in page["entries"]:
        record(int(e["id"]), e["request"]["url"])
    t.figure("kill9_ids_served", len(served))
    t.check(len(served) >= 5 * 300, f"ids served over the cycles ({len(served)})")
    t.figure("kill9_entries_after", page["count"])
    t.check(not conflicts, f"no id names two calls ({conflicts[:3]})")
    bound_rss(t, w, "kill9")
    t.check(w.stop() == 0, "SIGTERM stops the worker cleanly")
    server.close()


# --- Other origins, in a browser ------------------------------------------------------------

def origin(t, trawl, work, repo):
    ui = os.path.join(work, "ui")
    os.makedirs(ui)
    open(os.path.join(ui, "index.html"), "w").write("<!doctype html><title>ui</title>")
    port, foreign = free_port(), free_port()
    w = Worker(trawl, ["read", os.path.join(repo, "fixtures/demo.pcap"), "--serve", "--ui-dir", ui], port,
               os.path.join(work, "origin.log"))
    w.wait_healthy()
    out = subprocess.run(["node", os.path.join(repo, "tests/hostile/origin.mjs"), str(port), str(foreign), repo, ui],
                         capture_output=True, text=True, timeout=120)
    if not t.check(out.returncode == 0, f"the browser ran: {out.stderr[-300:]}"):
        return
    r = json.loads(out.stdout.strip().splitlines()[-1])
    for name in ("crossSite", "otherPort"):
        page = r[name]
        t.check(page["fetch"] == "error" and page["noCors"] in (0, "error") and page["stream"] == [] and
                page["script"] == "blocked", f"a page of another origin ({name}) reads nothing: {page}")
    rebound = r["rebinding"]
    t.check('"entries"' not in str(rebound["fetch"]) and rebound["stream"] == [],
            f"a rebound name reads nothing: {rebound}")
    control = r["sameOrigin"]
    t.check('"entries"' in str(control["fetch"]) and len(control["stream"]) > 0,
            f"the same page from the worker's own origin reads (the control): {str(control)[:200]}")
    t.check(w.stats()["api"]["forbidden"] >= 6, "the refusals are counted")
    bound_rss(t, w, "origin")
    t.check(w.stop() == 0, "SIGTERM stops the worker cleanly")


SCENARIOS = {"origin": origin, "fulldisk": full_disk, "bitflip": bitflip, "kill9": kill9, "syn2": syn2, "syn4": syn4, "gzip": gzip_pipelines, "streams": streams, "api": api, "token": token, "descriptors": descriptors, "files": files, "queries": queries}

if __name__ == "__main__":
    name, trawl, work, repo = sys.argv[1:5]
    t = Checks(name)
    try:
        SCENARIOS[name](t, trawl, work, repo)
    except Exception as e:  # a scenario that cannot go on is a failure, with its reason
        import traceback
        traceback.print_exc()
        t.check(False, f"{name} stopped: {e!r}")
    json.dump({"name": name, "checks": t.count, "failures": t.failures, "figures": t.figures},
              open(os.path.join(work, "result.json"), "w"))
    print(f"hostile/{name}: {t.count - len(t.failures)} of {t.count} checks passed", flush=True)
    sys.exit(1 if t.failures else 0)
