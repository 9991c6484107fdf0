#!/usr/bin/env bash
# kafka-send vs kcat -P and kafka-tail vs kcat -C, same input, same cluster, one run, alternating.
#
#   Benchmarks/cli-vs-kcat.sh [-n MESSAGES] [-s SIZE] [-r REPS] [-b BIN_DIR]
#
# Needs: kcat (1.7.1 in Debian 12: `apt-get install kcat`), /usr/bin/time, bc, python3, and the librdkafka mock cluster
# launcher of ../shared/bench (built here with `make -C ../shared/bench`), or a running cluster given as
# BOOTSTRAP=host:port (then topics cli_send (64 partitions) and cli_ds (64 partitions) must exist).
# BIN_DIR holds release builds of kafka-send and kafka-tail (default .build/release), built as they are meant to ship:
#   swift build -c release --static-swift-stdlib --product kafka-send
#   swift build -c release --static-swift-stdlib --product kafka-tail
#
# Produce: N lines of SIZE bytes (plus the newline) from one file, to a 64-partition topic, keyless (default
# partitioner), until every message is acknowledged. Both tools run with librdkafka's defaults.
# Consume: N messages of SIZE bytes loaded once into a 64-partition topic (the 2.0.2 mock keeps ~5 MiB per
# partition), read with `-o beginning -e` into /dev/null.
# Whole-process wall time (date +%s%N around /usr/bin/time, which gives CPU time and peak RSS), REPS runs of each,
# kcat and ours alternating; prints medians and the median of the per-pair ratios kcat/ours (above 1.0: ours is
# faster).
set -euo pipefail
N=1000000 SIZE=100 REPS=5 BIN=.build/release
while getopts n:s:r:b: opt; do
  case $opt in n) N=$OPTARG ;; s) SIZE=$OPTARG ;; r) REPS=$OPTARG ;; b) BIN=$OPTARG ;; *) exit 2 ;; esac
done
command -v kcat >/dev/null || { echo "kcat is not installed" >&2; exit 1; }
for tool in kafka-send kafka-tail; do
  [ -x "$BIN/$tool" ] || { echo "$BIN/$tool is missing: swift build -c release --product $tool" >&2; exit 1; }
done
WORK=$(mktemp -d); echo "work dir $WORK"
MOCK=""
trap '[ -n "$MOCK" ] && kill $MOCK 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
if [ -n "${BOOTSTRAP:-}" ]; then
  B=$BOOTSTRAP
else
  HERE=$(cd "$(dirname "$0")/.." && pwd)
  MOCKCTL=${MOCKCTL:-$HERE/../shared/bench/.bin/mockctl}
  [ -x "$MOCKCTL" ] || make -s -C "$(dirname "$MOCKCTL")/.." all
  "$MOCKCTL" -t cli_send:64:3 -t cli_ds:64:3 3 </dev/null >"$WORK/boot" 2>"$WORK/mock.err" &
  MOCK=$!
  for _ in $(seq 300); do grep -q READY "$WORK/boot" 2>/dev/null && break; sleep 0.1; done
  grep -q READY "$WORK/boot" || { echo "mock cluster did not start" >&2; cat "$WORK/mock.err" >&2; exit 1; }
  B=$(head -1 "$WORK/boot")
fi
python3 - "$N" "$SIZE" >"$WORK/input" <<'PY'
import sys
n, size = int(sys.argv[1]), int(sys.argv[2])
alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
out = sys.stdout.buffer
for i in range(n):
    head = b"%d:" % i
    body = bytes(alphabet[(i * 7 + j) % len(alphabet)] for j in range(size - len(head)))
    out.write(head + body + b"\n")
PY
echo "cluster $B; input $N lines of $SIZE bytes ($(stat -c %s "$WORK/input") bytes)"
# The consume data set, loaded once.
# Spread evenly (sticky partitioning would put up to 9 % of it in one partition, over the mock's retention).
kcat -b "$B" -P -t cli_ds -X sticky.partitioning.linger.ms=0 <"$WORK/input"

measure() { # label, command... -> label wall_s user_s sys_s peak_rss_kib
  local label=$1; shift
  local start end
  start=$(date +%s%N)
  /usr/bin/time -f "%U %S %M" -o "$WORK/t" "$@" || { echo "$label failed" >&2; exit 1; }
  end=$(date +%s%N)
  printf '%s %s %s\n' "$label" "$(echo "($end - $start) / 1000000000" | bc -l)" "$(tail -1 "$WORK/t")" >>"$WORK/rows"
}
for _ in $(seq "$REPS"); do
  measure send_kcat sh -c "kcat -b '$B' -P -t cli_send <'$WORK/input'"
  measure send_ours sh -c "'$BIN/kafka-send' -b '$B' -t cli_send <'$WORK/input'"
  measure tail_kcat sh -c "kcat -b '$B' -C -t cli_ds -o beginning -e -q >'$WORK/out_kcat'"
  measure tail_ours sh -c "'$BIN/kafka-tail' -b '$B' -t cli_ds -o beginning -e >'$WORK/out_ours'"
done
# Both consumers printed the same lines (order across partitions may differ).
[ "$(wc -l <"$WORK/out_kcat")" = "$N" ] && [ "$(wc -l <"$WORK/out_ours")" = "$N" ] \
  || { echo "a consumer printed the wrong number of lines" >&2; exit 1; }
cmp -s <(sort "$WORK/out_kcat") <(sort "$WORK/input") && cmp -s <(sort "$WORK/out_ours") <(sort "$WORK/input") \
  || { echo "a consumer printed other lines than were sent" >&2; exit 1; }
python3 - "$WORK/rows" "$N" "$SIZE" "$REPS" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
n, size, reps = sys.argv[2:5]
def col(label, i): return [float(r[i]) for r in rows if r[0] == label]
for what, a, b in (("send", "send_kcat", "send_ours"), ("tail", "tail_kcat", "tail_ours")):
    for label in (a, b):
        wall, cpu = col(label, 1), [u + s for u, s in zip(col(label, 2), col(label, 3))]
        print(f"{label:10s} wall median {st.median(wall):.3f} s (min {min(wall):.3f}, max {max(wall):.3f})  "
              f"cpu median {st.median(cpu):.2f} s  peak RSS median {st.median(col(label, 4))/1024:.0f} MiB")
    pairs = [k / o for k, o in zip(col(a, 1), col(b, 1))]
    print(f"ratio {what} {n}x{size}B kcat/ours wall = {st.median(pairs):.2f} (median of {reps} alternating pairs; "
          f"range {min(pairs):.2f}-{max(pairs):.2f}; above 1.0: ours faster)")
PY
