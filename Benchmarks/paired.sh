#!/usr/bin/env bash
# Paired whole-process comparison of two produce commands against raw librdkafka C, on one mock cluster.
#
#   Benchmarks/paired.sh [-n N] [-s SIZE] [-r ROUNDS] 'COMMAND A' 'COMMAND B'
#
# Each round runs the C tool, A and B once each, in a shuffled order, on one mock cluster (../shared/bench's
# mockctl, 3 brokers); each command gets compare.sh's produce arguments appended (BOOTSTRAP TOPIC N SIZE) and prints
# msgs_per_s=... . Prints the medians and the medians of the per-round ratios (B/A, A/C, B/C). Unlike compare.sh,
# which always runs C first, no side always follows the other. LD_LIBRARY_PATH is honoured, as by compare.sh.
#
# Example (two builds, or one build with and without a flag):
#   Benchmarks/paired.sh -r 31 'old/kafka-bench produce --mode enqueue' 'Benchmarks/.build/release/kafka-bench produce --mode enqueue'
set -euo pipefail
N=1000000 SIZE=100 ROUNDS=21
while getopts "n:s:r:" opt; do
  case $opt in
    n) N=$OPTARG ;; s) SIZE=$OPTARG ;; r) ROUNDS=$OPTARG ;;
    *) echo "usage: $0 [-n N] [-s SIZE] [-r ROUNDS] 'COMMAND A' 'COMMAND B'" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || { echo "usage: $0 [-n N] [-s SIZE] [-r ROUNDS] 'COMMAND A' 'COMMAND B'" >&2; exit 2; }
read -r -a A <<<"$1"
read -r -a B <<<"$2"
BENCH=$(cd "$(dirname "$0")/../../shared/bench" && pwd)
make -s -C "$BENCH" all
RUNS=$(mktemp -d)
"$BENCH/.bin/mockctl" -t c_out:64:3 -t a_out:64:3 -t b_out:64:3 3 </dev/null >"$RUNS/boot" 2>"$RUNS/mock.err" &
MOCK=$!
trap 'kill $MOCK 2>/dev/null; rm -rf "$RUNS"' EXIT
for _ in $(seq 300); do grep -q READY "$RUNS/boot" 2>/dev/null && break; sleep 0.1; done
grep -q READY "$RUNS/boot" || { echo "mock cluster did not start" >&2; cat "$RUNS/mock.err" >&2; exit 1; }
BOOTSTRAP=$(head -1 "$RUNS/boot")
rate() { "$@" | grep -o 'msgs_per_s=[0-9.]*' | head -1 | cut -d= -f2; }
for round in $(seq "$ROUNDS"); do
  for who in $(shuf -e C A B); do
    case $who in
      C) echo "$round C $(rate "$BENCH/.bin/rdk_produce" "$BOOTSTRAP" c_out "$N" "$SIZE")" ;;
      A) echo "$round A $(rate "${A[@]}" "$BOOTSTRAP" a_out "$N" "$SIZE")" ;;
      B) echo "$round B $(rate "${B[@]}" "$BOOTSTRAP" b_out "$N" "$SIZE")" ;;
    esac
  done
done >"$RUNS/rows"
python3 - "$RUNS/rows" <<'PY'
import sys, statistics as st, collections
rounds = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    r, who, rate = line.split()
    rounds[r][who] = float(rate)
rounds = [x for x in rounds.values() if len(x) == 3 and all(x.values())]
med = lambda who: st.median(x[who] for x in rounds)
pair = lambda a, b: st.median(x[a] / x[b] for x in rounds)
print(f"medians msgs/s: C {med('C'):,.0f}  A {med('A'):,.0f}  B {med('B'):,.0f}  ({len(rounds)} rounds)")
print(f"paired: B/A {pair('B','A'):.3f}  A/C {pair('A','C'):.3f}  B/C {pair('B','C'):.3f}")
PY
