#!/usr/bin/env bash
# The consume-transform-produce pipeline, transactional (KafkaExactlyOnceProcessor, one transaction per batch) and
# at-least-once (auto-commit, outputs enqueued per batch), alternating on one embedded cluster (mockctl from
# ../shared/bench), with medians of messages/s and CPU, and the ratio transactional / at-least-once.
#
#   Benchmarks/pipeline.sh [-n MESSAGES] [-b BATCH] [-r REPS] [key=value ...]
#
# Defaults 1000000 messages of 100 bytes, batches of 10000, 5 repetitions; key=value pairs are librdkafka properties
# for both pipelines' clients (e.g. linger.ms=0).
#
# Build first: swift build -c release --package-path Benchmarks. LD_LIBRARY_PATH picks the librdkafka.
set -euo pipefail
N=1000000; BATCH=10000; REPS=5
while getopts "n:b:r:" opt; do
  case $opt in n) N=$OPTARG ;; b) BATCH=$OPTARG ;; r) REPS=$OPTARG ;; *) exit 2 ;; esac
done
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=$HERE/../../shared/bench
BENCH=$HERE/.build/release/kafka-bench
[ -x "$BENCH" ] || { echo "build first: swift build -c release --package-path Benchmarks" >&2; exit 2; }
make -s -C "$SHARED" all
RUNS=$(mktemp -d); trap 'kill $MOCK 2>/dev/null; rm -rf "$RUNS"' EXIT
# 64 partitions keep each under the embedded cluster's ~5 MiB retention per partition.
"$SHARED/.bin/mockctl" -t pin:64:1 -t pout:64:1 1 </dev/null >"$RUNS/boot" 2>"$RUNS/mock.err" &
MOCK=$!
for _ in $(seq 300); do grep -q READY "$RUNS/boot" 2>/dev/null && break; sleep 0.1; done
grep -q READY "$RUNS/boot" || { echo "mock cluster did not start" >&2; cat "$RUNS/mock.err" >&2; exit 1; }
shift $((OPTIND - 1)); XS=("$@")
B=$(head -1 "$RUNS/boot")
"$SHARED/.bin/rdk_produce" -s "$B" pin "$N" 100 >/dev/null
run() { # mode
  if /usr/bin/time -f "%M %U %S" -o "$RUNS/t" "$BENCH" pipeline --mode "$1" --batch "$BATCH" "$B" pin pout "$N" \
    "${XS[@]}" >"$RUNS/o" 2>"$RUNS/e"; then
    local rate; rate=$(grep -o 'msgs_per_s=[0-9]*' "$RUNS/o" | cut -d= -f2)
    read -r rss u s < <(tail -1 "$RUNS/t")
    printf '%s\t%s\t%s\t%s\n' "$1" "$rate" "$rss" "$(echo "$u + $s" | bc)" >>"$RUNS/rows"
  else
    echo "$1 failed:" >&2; tail -5 "$RUNS/e" "$RUNS/o" >&2; exit 1
  fi
}
for _ in $(seq "$REPS"); do run at-least-once; run transactional; done
python3 - "$RUNS/rows" "$N" "$BATCH" "$REPS" "${XS[@]}" <<'PY'
import sys, statistics as st
rows = [l.split("\t") for l in open(sys.argv[1]).read().split("\n") if l]
n, batch, reps = sys.argv[2:5]; xs = " ".join(sys.argv[5:])
med = lambda who, i: st.median(float(r[i]) for r in rows if r[0] == who)
for who in ("at-least-once", "transactional"):
    print(f"{who:14s} median msgs/s={med(who,1):,.0f}  peak RSS={med(who,2)/1024:.0f} MiB  cpu={med(who,3):.2f}s  (all: {', '.join(f'{float(r[1]):,.0f}' for r in rows if r[0]==who)})")
print(f"ratio pipeline {n}x100B batches of {batch}: transactional/at-least-once = {med('transactional',1)/med('at-least-once',1):.3f} over {reps} reps" + (f" with {xs}" if xs else ""))
PY
