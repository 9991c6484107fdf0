#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (AddressSanitizer + libFuzzer) and runs each for a bounded time on a
# copy of its seed corpus (Fuzz/Corpus/<target>/, never written to). Fails on any crash, property violation, leak
# or hang, printing the target and the input (hex and base64).
#
#   scripts/fuzz.sh                  all targets, FUZZ_SECONDS (default 20) each
#   scripts/fuzz.sh fuzz-format      one target
#
# Environment: FUZZ_SECONDS (per target), FUZZ_TIMEOUT (seconds one input may take before it counts as a hang,
# default 10), FUZZ_JOBS (targets run at once, default: the number of cores), FUZZ_CONFIGURATION (debug or
# release; debug builds in half the time and runs about as fast for these parsers).
# Reproduce a failure: Fuzz/.build/debug/<target> <file with the input>.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${FUZZ_SECONDS:-20}"
hang_seconds="${FUZZ_TIMEOUT:-10}"
jobs="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}"
configuration="${FUZZ_CONFIGURATION:-debug}"
all_targets=(fuzz-records fuzz-json-lines fuzz-format fuzz-properties fuzz-offsets)
targets=("${all_targets[@]}")
[ "$#" -eq 0 ] || targets=("$@")

max_len() {
    case "$1" in
        fuzz-offsets) echo 128 ;;
        fuzz-format) echo 512 ;;
        fuzz-json-lines) echo 2048 ;;
        *) echo 1024 ;;
    esac
}

started=$(date +%s)
work="$(mktemp -d "${TMPDIR:-/tmp}/fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "== building Fuzz/ ($configuration, --sanitize=fuzzer --sanitize=address)"
build=(swift build --package-path "$root/Fuzz" -c "$configuration" --sanitize=fuzzer --sanitize=address)
if ! "${build[@]}" >"$work/build.log" 2>&1; then
    grep -E "error|warning: unable" "$work/build.log" | head -40 || true
    tail -40 "$work/build.log"
    echo "fuzz: the build failed" >&2
    exit 1
fi
bin="$("${build[@]}" --show-bin-path)"
built=$(date +%s)
echo "   built in $((built - started)) s"

# The Swift runtime's backtracer would take the crash signal from AddressSanitizer and libFuzzer, which then
# could not write the crashing input; leaks are checked at exit.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:abort_on_error=0"

run() {
    local target="$1" dir="$work/$1"
    mkdir -p "$dir/corpus" "$dir/artifacts"
    cp "$root/Fuzz/Corpus/$target/"* "$dir/corpus/"
    local status=0
    # The outer timeout is a backstop: libFuzzer's -timeout catches a slow input, -max_total_time ends the run.
    timeout --signal=KILL "$((seconds + hang_seconds + 60))" "$bin/$target" \
        -max_total_time="$seconds" -timeout="$hang_seconds" -max_len="$(max_len "$target")" \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
        "$dir/corpus" >"$dir/log" 2>&1 || status=$?
    echo "$status" >"$dir/status"
}

running=0
for target in "${targets[@]}"; do
    [ -d "$root/Fuzz/Corpus/$target" ] || { echo "fuzz: no target $target" >&2; exit 2; }
    echo "== $target: ${seconds} s"
    run "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n || true
        running=$((running - 1))
    fi
done
wait || true

failed=()
summary=()
for target in "${targets[@]}"; do
    dir="$work/$target"
    status="$(cat "$dir/status" 2>/dev/null || echo 1)"
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)"
    [ -n "$runs" ] || runs="$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$dir/log" | tail -1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -1)"
    corpus="$(find "$dir/corpus" -type f | wc -l)"
    summary+=("$(printf '%-16s %10s runs  %7s exec/s  corpus %4s' "$target" "${runs:-?}" "${rate:-?}" "$corpus")")
    artifacts=("$dir"/artifacts/*)
    if [ "$status" = 0 ] && [ ! -e "${artifacts[0]}" ]; then continue; fi
    failed+=("$target")
    echo
    echo "==== $target FAILED (exit status $status) ===="
    report="$(grep -E -A12 "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|Fatal error|ALARM" "$dir/log" || true)"
    if [ -n "$report" ]; then head -60 <<<"$report"; else tail -40 "$dir/log"; fi
    for artifact in "${artifacts[@]}"; do
        [ -e "$artifact" ] || continue
        echo "-- $target input $(basename "$artifact") ($(wc -c <"$artifact") bytes)"
        echo "hex:"
        od -An -tx1 -v "$artifact" | head -64
        echo "base64:"
        base64 -w0 "$artifact" | head -c 8192
        echo
    done
done

finished=$(date +%s)
echo
echo "== fuzz summary (build $((built - started)) s, total $((finished - started)) s)"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: no crash, leak or hang in ${#targets[@]} targets"
