"""Field checks for the integration scripts: count each, keep what failed, report."""
import sys

failures = []
count = 0


def check(cond, what):
    global count
    count += 1
    if not cond:
        failures.append(what)


def finish(label, shown=None):
    """Prints the tally and the failures (the first `shown`), then exits 1 on any."""
    print("%s: %d checks, %d failed" % (label, count, len(failures)))
    for f in failures[:shown]:
        print("  FAILED:", f)
    sys.exit(1 if failures else 0)
