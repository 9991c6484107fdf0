#!/usr/bin/env bash
# Batch consume against raw C's batch mode, in one run, alternating on one mock cluster:
# `rdk_consume -m batch -B 10000` (rd_kafka_consume_batch_queue) vs `kafka-bench consume --mode batch`
# (batches(maxCount: 10_000, maxWait: 10 ms)). ../shared/bench/compare.sh only runs C's poll mode.
#
#   Benchmarks/consume-vs-c-batch.sh [-n N] [-s SIZE] [-r REPS] [-X key=value]...
#
# Run from the repository root after `swift build -c release --package-path Benchmarks`.
set -euo pipefail
n=1000000 size=100 reps=5 props=()
while [ $# -gt 0 ]; do
  case $1 in
    -n) n=$2; shift 2 ;;
    -s) size=$2; shift 2 ;;
    -r) reps=$2; shift 2 ;;
    -X) props+=("$2"); shift 2 ;;
    *) echo "usage: $0 [-n N] [-s SIZE] [-r REPS] [-X key=value]..." >&2; exit 2 ;;
  esac
done
bench_dir=$(cd "$(dirname "$0")/../../shared/bench" && pwd)
ours=$(cd "$(dirname "$0")" && pwd)/.build/release/kafka-bench
[ -x "$ours" ] || { echo "build first: swift build -c release --package-path Benchmarks" >&2; exit 1; }
make -s -C "$bench_dir" all
work=$(mktemp -d)
"$bench_dir/.bin/mockctl" -t data:64:3 3 </dev/null >"$work/cluster" 2>"$work/cluster.err" &
cluster=$!
trap 'kill $cluster 2>/dev/null; rm -rf "$work"' EXIT
until grep -q READY "$work/cluster"; do
  kill -0 $cluster 2>/dev/null || { cat "$work/cluster.err" >&2; exit 1; }
  sleep 0.1
done
bootstrap=$(head -1 "$work/cluster")
"$bench_dir/.bin/rdk_produce" -s "$bootstrap" data "$n" "$size" >/dev/null

measure() { # who, command...: appends "who rate rss_kib cpu_s"
  local who=$1; shift
  /usr/bin/time -f "%M %U %S" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || {
    echo "$who failed:" >&2; tail -5 "$work/err" "$work/out" >&2; exit 1
  }
  local rate; rate=$(grep -o 'msgs_per_s=[0-9.]*' "$work/out" | head -1 | cut -d= -f2)
  echo "$who $rate $(tail -1 "$work/time")" >>"$work/rows"
}
for _ in $(seq "$reps"); do
  measure C "$bench_dir/.bin/rdk_consume" -m batch -B 10000 "$bootstrap" data "$n" "${props[@]}"
  measure ours "$ours" consume --mode batch "$bootstrap" data "$n" "${props[@]}"
done
python3 - "$work/rows" "$n" "$size" "${props[*]:-}" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
def median(who, column):
    return statistics.median(float(r[column]) for r in rows if r[0] == who)
for who, label in (("C", "C batch"), ("ours", "ours batch")):
    rates = ", ".join(f"{float(r[1]):,.0f}" for r in rows if r[0] == who)
    cpu = statistics.median(float(r[3]) + float(r[4]) for r in rows if r[0] == who)
    print(f"{label:10s} median msgs/s={median(who, 1):,.0f} peak RSS={median(who, 2) / 1024:.0f} MiB cpu={cpu:.2f}s ({rates})")
extra = f" with {sys.argv[4]}" if sys.argv[4] else ""
print(f"ratio batch consume {sys.argv[2]}x{sys.argv[3]}B ours/C batch = {median('ours', 1) / median('C', 1):.3f}{extra}")
PY
