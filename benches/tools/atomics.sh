#!/usr/bin/env bash
# Atomic read-modify-writes (lock-prefixed instructions and xchg with memory) executed per
# run of a workload, by function: callgrind counts every executed instruction, objdump says
# which ones are atomic. Two counts (N and 2N runs) are subtracted, so start-up cancels.
#
# usage: benches/tools/atomics.sh [W] [N]     (default: w4 2000; use w1 3 for W1)
# needs: valgrind, objdump, python3; builds examples/perf_workloads in release.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=${1:-w4}; N=${2:-2000}
cargo build -q --release --example perf_workloads
BIN=target/release/examples/perf_workloads
TMP=$(mktemp -d)
for n in "$N" $((2 * N)); do
  valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file="$TMP/$n.cg" \
    "$BIN" --only "$W" --count "$n" >/dev/null 2>&1
  python3 benches/tools/lockcount.py "$BIN" "$TMP/$n.cg" > "$TMP/$n.txt" 2>/dev/null
done
python3 - "$N" "$TMP/$N.txt" "$TMP/$((2 * N)).txt" <<'PY'
import sys
n = int(sys.argv[1])
def parse(path):
    total, by = 0, {}
    for line in open(path):
        line = line.rstrip("\n")
        if not line:
            continue
        if line.startswith("total"):
            total = int(line.split()[1])
        else:
            c, f = line.split(" ", 1)
            by[f] = int(c)
    return total, by
ta, da = parse(sys.argv[2])
tb, db = parse(sys.argv[3])
print(f"atomic read-modify-writes per run: {(tb - ta) / n:.2f}")
for f in sorted(db, key=lambda f: -(db[f] - da.get(f, 0))):
    v = (db[f] - da.get(f, 0)) / n
    if v >= 0.05:
        print(f"  {v:8.2f}  {f[:110]}")
PY
rm -rf "$TMP"
