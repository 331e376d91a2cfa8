#!/usr/bin/env bash
# trawl read from the command line: output modes, standard input, and clear
# errors (never a crash) for bad input.
set -uo pipefail
trawl=$1
fixtures=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
expect() {  # expect NAME CONDITION...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failed=1; fi
}

"$trawl" read "$fixtures/demo.pcap" --json > "$tmp/a.jsonl"
expect "json lines are JSON objects" python3 -c "
import json, sys
lines = open('$tmp/a.jsonl').read().splitlines()
assert lines and all(json.loads(l)['id'] for l in lines)"
"$trawl" read - --json < "$fixtures/demo.pcap" > "$tmp/b.jsonl"
expect "stdin gives the same entries" cmp -s "$tmp/a.jsonl" "$tmp/b.jsonl"
mkfifo "$tmp/fifo.pcap"
cat "$fixtures/demo.pcap" > "$tmp/fifo.pcap" &
"$trawl" read "$tmp/fifo.pcap" --json > "$tmp/fifo.jsonl"
expect "a named pipe gives the same entries" cmp -s "$tmp/a.jsonl" "$tmp/fifo.jsonl"
"$trawl" read "$fixtures/demo.pcap" --json --threads 1 > "$tmp/t1.jsonl"
"$trawl" read "$fixtures/demo.pcap" --json --threads 3 > "$tmp/t3.jsonl"
expect "one thread or three: the same entries, ids and stream ids" cmp -s "$tmp/t1.jsonl" "$tmp/t3.jsonl"
"$trawl" read "$fixtures/demo.pcap" --json --threads 1 --filter 'dns or response.status >= 400' > "$tmp/f1.jsonl"
"$trawl" read "$fixtures/demo.pcap" --json --threads 3 --filter 'dns or response.status >= 400' > "$tmp/f3.jsonl"
expect "filtered, one thread or three: the same entries and ids" cmp -s "$tmp/f1.jsonl" "$tmp/f3.jsonl"
expect "filtered: some entries, not all" test -s "$tmp/f1.jsonl" -a "$(wc -l < "$tmp/f1.jsonl")" -lt "$(wc -l < "$tmp/t1.jsonl")"
"$trawl" read "$fixtures/demo.pcap" > "$tmp/table.txt"
expect "table has a header and one line per entry" test "$(($(wc -l < "$tmp/table.txt") - 1))" -eq "$(wc -l < "$tmp/a.jsonl")"
expect "table shows a request" grep -q "GET /index.json?x=1&y=2&x=3 .* 200" "$tmp/table.txt"
"$trawl" read "$fixtures/demo.pcap" --count --stats > "$tmp/count.out" 2> "$tmp/stats.txt"
expect "--count writes nothing to stdout" test ! -s "$tmp/count.out"
expect "--stats reports loss counters" grep -q "tcp_gaps: 0" "$tmp/stats.txt"

"$trawl" read /nonexistent.pcap > /dev/null 2> "$tmp/err"; rc=$?
expect "missing file: exit 2" test $rc -eq 2
expect "missing file: says why" grep -q "No such file" "$tmp/err"
echo "not a capture" > "$tmp/text.pcap"
"$trawl" read "$tmp/text.pcap" > /dev/null 2> "$tmp/err"; rc=$?
expect "not a capture: exit 2 with a reason" test $rc -eq 2 -a -n "$(grep 'not a pcap or pcapng' "$tmp/err")"
# A pcap with link type 105 (802.11), which trawl does not decode.
python3 -c "
import struct, sys
sys.stdout.buffer.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 105))" > "$tmp/wifi.pcap"
"$trawl" read "$tmp/wifi.pcap" > /dev/null 2> "$tmp/err"; rc=$?
expect "unknown link type: exit 2 naming it" test $rc -eq 2 -a -n "$(grep 'unsupported link type 105 (IEEE802_11)' "$tmp/err")"
# A capture cut in the middle of a record: what was read is dissected, exit 1.
head -c 20000 "$fixtures/demo.pcap" > "$tmp/cut.pcap"
"$trawl" read "$tmp/cut.pcap" --json > "$tmp/cut.jsonl" 2> "$tmp/err"; rc=$?
expect "cut capture: exit 1" test $rc -eq 1
expect "cut capture: says so" grep -q "input ended early" "$tmp/err"
expect "cut capture: entries before the cut" test -s "$tmp/cut.jsonl"

# --filter: KFL selects, redacts and limits; a bad query is a clear error.
"$trawl" read "$fixtures/demo.pcap" --json --filter 'http and response.status >= 400' > "$tmp/f.jsonl"
expect "filter keeps only what matches" python3 -c "
import json
all_ = [json.loads(l) for l in open('$tmp/a.jsonl')]
kept = [json.loads(l) for l in open('$tmp/f.jsonl')]
want = [e['id'] for e in all_ if e['protocol']['name'] == 'http' and (e.get('response') or {}).get('status', 0) >= 400]
assert want and [e['id'] for e in kept] == want, (want, [e['id'] for e in kept])"
"$trawl" read "$fixtures/demo.pcap" --json --filter 'http and redact("request.headers.host") and limit(2)' > "$tmp/r.jsonl"
expect "filter limit(2) stops after two" test "$(wc -l < "$tmp/r.jsonl")" -eq 2
expect "filter redacts" python3 -c "
import json
assert all(json.loads(l)['request']['headers']['host'] == '[REDACTED]' for l in open('$tmp/r.jsonl'))"
"$trawl" read "$fixtures/demo.pcap" --filter 'http and response.status ==' > /dev/null 2> "$tmp/err"; rc=$?
expect "bad filter: exit 2 with line, column and a caret" test $rc -eq 2 -a \
  "$(head -1 "$tmp/err")" = "trawl read: --filter: 1:28: expected a value after '=='"
expect "bad filter: caret under the column" test "$(sed -n 3p "$tmp/err")" = "$(printf '  %27s^' '')"

# --keep and --redact: entry stages, before ids; one thread or three alike.
"$trawl" read "$fixtures/demo.pcap" --json --threads 1 --keep 'dns or tls' --redact 'request.headers["user-agent"]' \
  > "$tmp/k1.jsonl" 2> /dev/null
"$trawl" read "$fixtures/demo.pcap" --json --threads 3 --keep 'dns or tls' --redact 'request.headers["user-agent"]' \
  > "$tmp/k3.jsonl" 2> /dev/null
expect "keep: only what matches, numbered 1..n" python3 -c "
import json
all_ = [json.loads(l) for l in open('$tmp/a.jsonl')]
kept = [json.loads(l) for l in open('$tmp/k1.jsonl')]
want = [e for e in all_ if e['protocol']['name'] in ('dns', 'tls')]
assert want and len(kept) == len(want), (len(want), len(kept))
assert [e['id'] for e in kept] == [str(i) for i in range(1, len(kept) + 1)], [e['id'] for e in kept]
assert [e['stream'] for e in kept] == [e['stream'] for e in want]"
expect "keep: one thread or three: the same entries and ids" cmp -s "$tmp/k1.jsonl" "$tmp/k3.jsonl"
"$trawl" read "$fixtures/demo.pcap" --count --stats --keep 'dns' 2> "$tmp/kstats.txt"
expect "keep: the dropped are counted" grep -q "dropped_by_keep: 39" "$tmp/kstats.txt"
"$trawl" read "$fixtures/demo.pcap" --json --redact 'request.headers["user-agent"]' > "$tmp/red.jsonl"
expect "redact: every HTTP request's field, the rest as it was" python3 -c "
import json
all_ = [json.loads(l) for l in open('$tmp/a.jsonl')]
red = [json.loads(l) for l in open('$tmp/red.jsonl')]
assert len(all_) == len(red)
n = 0
for a, r in zip(all_, red):
    ua = a.get('request', {}).get('headers', {}).get('user-agent') if a['protocol']['name'] == 'http' else None
    if ua is not None:
        n += 1
        assert r['request']['headers']['user-agent'] == '[REDACTED]'
        r['request']['headers']['user-agent'] = ua
    assert a == r
assert n > 0"
"$trawl" read "$fixtures/demo.pcap" --keep 'dns and' > /dev/null 2> "$tmp/err"; rc=$?
expect "bad keep: exit 2 naming the option" test $rc -eq 2 -a -n "$(grep -- '--keep: 1:8: expected an expression' "$tmp/err")"
"$trawl" read "$fixtures/demo.pcap" --keep 'dns and limit(3)' > /dev/null 2> "$tmp/err"; rc=$?
expect "keep with limit(): refused" test $rc -eq 2
# Kubernetes identity from kubectl's objects: both ends named, on every thread,
# and usable by --keep; a bad names file is exit 2 with the file and why.
cat > "$tmp/names.json" <<'JSON'
{"apiVersion":"v1","kind":"List","items":[
 {"apiVersion":"v1","kind":"Pod","metadata":{"name":"client-5f7b9-abcde","namespace":"shop",
  "creationTimestamp":"2026-01-01T00:00:00Z","labels":{"app":"client","pod-template-hash":"5f7b9"},
  "ownerReferences":[{"kind":"ReplicaSet","name":"client-5f7b9","controller":true}]},
  "status":{"phase":"Running","podIP":"10.77.0.2"}},
 {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-0","namespace":"shop",
  "creationTimestamp":"2026-01-01T00:00:00Z","labels":{"app":"web"},
  "ownerReferences":[{"kind":"StatefulSet","name":"web","controller":true}]},
  "status":{"phase":"Running","podIP":"10.77.0.1"}},
 {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"web-x",
  "namespace":"shop","labels":{"kubernetes.io/service-name":"web"}},"ports":[{"port":80}],
  "endpoints":[{"addresses":["10.77.0.1"],"targetRef":{"kind":"Pod","name":"web-0"}}]}]}
JSON
"$trawl" read "$fixtures/demo.pcap" --json --names "$tmp/names.json" > "$tmp/n3.jsonl"
"$trawl" read "$fixtures/demo.pcap" --json --threads 1 --names "$tmp/names.json" > "$tmp/n1.jsonl"
# Several threads name the same, but for dns: an entry close after the answer
# that names its address may be taken by its thread before the answer is learned.
expect "names: one thread or several, the same (but for dns)" python3 -c "
import json
def strip(path):
    out = []
    for l in open(path):
        e = json.loads(l)
        e['src'].pop('dns', None); e['dst'].pop('dns', None)
        out.append(e)
    return out
assert strip('$tmp/n1.jsonl') == strip('$tmp/n3.jsonl')"
expect "names: every end named, the service by its port, nothing else changed" python3 -c "
import json
all_ = [json.loads(l) for l in open('$tmp/a.jsonl')]
named = [json.loads(l) for l in open('$tmp/n1.jsonl')]
assert len(all_) == len(named)
answered = min(e['timestampUs'] + int(e['elapsedTime'] * 1000) for e in all_
               if e['protocol']['name'] == 'dns' and e.get('response', {}).get('answers'))
who = {'10.77.0.2': ('client-5f7b9-abcde', {'kind': 'Deployment', 'name': 'client'}, {'app': 'client', 'pod-template-hash': '5f7b9'}),
       '10.77.0.1': ('web-0', {'kind': 'StatefulSet', 'name': 'web'}, {'app': 'web'})}
for a, n in zip(all_, named):
    for side in ('src', 'dst'):
        name, workload, labels = who[a[side]['ip']]
        got = n[side]
        assert got.pop('name') == name and got.pop('namespace') == 'shop' and got.pop('kind') == 'pod', got
        assert got.pop('workload') == workload and got.pop('labels') == labels, got
        services = got.pop('services', None)
        assert services == (['web'] if a[side]['ip'] == '10.77.0.1' else None), (side, services)
        # The DNS answer naming 10.77.0.1 names it on every entry from then on.
        named_by_dns = a[side]['ip'] == '10.77.0.1' and a['timestampUs'] >= answered
        assert got.pop('dns', None) == ('web.trawl.test' if named_by_dns else None), (a['id'], side)
    assert a == n, (a, n)"
"$trawl" read "$fixtures/demo.pcap" --json --names "$tmp/names.json" --keep 'dst.workload.name == "web" and src.labels.app == "client" and dns' > "$tmp/nk.jsonl"
expect "names: --keep by workload and label" test "$(wc -l < "$tmp/nk.jsonl")" -eq "$(grep -c '"name":"dns"' "$tmp/a.jsonl")"
"$trawl" read "$fixtures/demo.pcap" --json --node-name n1 --cluster-name prod-eu --keep 'node.name == "n1" and cluster.name == "prod-eu"' > "$tmp/node.jsonl"
expect "node and cluster names: on every entry, and KFL reads them" python3 -c "
import json
all_ = [json.loads(l) for l in open('$tmp/a.jsonl')]
got = [json.loads(l) for l in open('$tmp/node.jsonl')]
assert len(got) == len(all_) and all(e.pop('node') == {'name': 'n1'} and e.pop('cluster') == {'name': 'prod-eu'} for e in got) and got == all_"
echo '{"kind":"List","items":[{"kind":"Pod"}]}' > "$tmp/bad-names.json"
"$trawl" read "$fixtures/demo.pcap" --names "$tmp/bad-names.json" > /dev/null 2> "$tmp/err"; rc=$?
expect "bad names: exit 2 naming the file and the item" test $rc -eq 2 -a -n "$(grep -- "--names: $tmp/bad-names.json: item 0: an object without kind or metadata.name" "$tmp/err")"

# Output that cannot be written is an error, not a silently cut file.
for mode in "--json --threads 1" "--json --threads 3" ""; do
  "$trawl" read "$fixtures/demo.pcap" $mode > /dev/full 2> "$tmp/err"; rc=$?
  expect "a full disk ($mode): exit 1, saying why" test $rc -eq 1 -a -n "$(grep 'writing the output: No space left on device' "$tmp/err")"
done
# Standard output another program left non-blocking (a 4 KiB pipe, read late):
# EAGAIN waits for room, and every byte arrives.
for threads in 1 3; do
  expect "a non-blocking pipe, $threads thread(s): all of the output" python3 -c "
import fcntl, os, subprocess, time
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 4096)
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
p = subprocess.Popen(['$trawl', 'read', '$fixtures/demo.pcap', '--json', '--threads', '$threads'], stdout=w)
os.close(w)
time.sleep(0.3)
out = b''
while chunk := os.read(r, 1024):
    out += chunk
assert p.wait() == 0 and out == open('$tmp/a.jsonl', 'rb').read(), len(out)"
done
exit $failed
