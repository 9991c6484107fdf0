#!/usr/bin/env bash
# The test command: installs what is missing, then runs every check CI runs, in this order:
#
#   lint      swift format lint --strict with the checked-in .swift-format
#   build     the package, its tests, the examples and the benchmarks
#   system    the test suite on the system's librdkafka (Debian 12: 2.0.2)
#   2.16      the test suite again on librdkafka 2.16.0 (fetched from PyPI by scripts/fetch-librdkafka.sh), with
#             the admin tests against a Tansu broker (scripts/fetch-tansu.sh)
#   asan      the test suite built with AddressSanitizer (LeakSanitizer included), on the system's librdkafka
#   fuzz      each command-line parser under libFuzzer for a bounded time (scripts/fuzz.sh)
#   docs      the DocC catalogs, with every warning an error (scripts/docs.sh)
#
# Give step names to run only those (`scripts/test.sh system`, `scripts/test.sh 2.16`), or a directory holding a
# librdkafka.so.1 to run the suite on that library (`scripts/test.sh /opt/librdkafka-2.8/lib`); `tsan` runs the
# suite under ThreadSanitizer (not part of the default run: see the README).
#
# Against the embedded cluster by default; against a real Kafka with KAFKA_BOOTSTRAP_SERVERS=host:port.
set -euo pipefail
cd "$(dirname "$0")/.."

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(lint build system 2.16 asan fuzz docs)

scripts/install-deps.sh

started=$(date +%s)
summary=()
note() { summary+=("$*"); }

# The librdkafka a directory's librdkafka.so.1 reports (or the system's, for an empty directory).
librdkafka_version() {
    LD_LIBRARY_PATH="${1:-${LD_LIBRARY_PATH:-}}" "$(swift build --show-bin-path)/kafka-tail" --version |
        sed -n 's/.* on librdkafka \([^ ,)]*\).*/\1/p'
}

built=false
build() {
    $built && return
    echo "==> building the package and its tests"
    swift build --build-tests
    built=true
}

# Runs the suite on the librdkafka in directory $2 (empty: the system's), labelled $1.
run_suite() {
    local label=$1 libdir=$2
    build
    local version
    version=$(librdkafka_version "$libdir")
    [ -n "$version" ] || {
        echo "error: could not read the librdkafka version of ${libdir:-the system}" >&2
        exit 1
    }
    echo "==> [$label] the test suite on librdkafka $version${KAFKA_BOOTSTRAP_SERVERS:+ against $KAFKA_BOOTSTRAP_SERVERS}"
    local log
    log=$(mktemp)
    # SWIFT_KAFKA_EXPECTED_LIBRDKAFKA makes a test check that the test process really loaded that version.
    if ! LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" SWIFT_KAFKA_EXPECTED_LIBRDKAFKA="$version" \
        swift test --skip-build --disable-xctest 2>&1 | tee "$log"; then
        echo "error: [$label] tests failed on librdkafka $version" >&2
        rm -f "$log"
        exit 1
    fi
    note "[$label] librdkafka $version: $(suite_summary "$log")"
    rm -f "$log"
}

# "N tests passed, K known issues, S skipped" from a swift-testing log.
suite_summary() {
    local run skipped
    run=$(grep -E '^. Test run with [0-9]+ tests' "$1" | tail -n 1 | sed -E 's/^. Test run with //')
    skipped=$(grep -cE '^➜ Test .* skipped: ' "$1" || true)
    echo "${run:-no test run line} ($skipped skipped)"
}

for step in "${steps[@]}"; do
    step_start=$(date +%s)
    case "$step" in
    lint)
        echo "==> swift format lint --strict"
        swift format lint --strict --parallel -r Package.swift Sources Tests Examples Benchmarks Fuzz
        ;;
    build)
        build
        echo "==> building the examples and the benchmarks"
        swift build --package-path Examples
        swift build --package-path Benchmarks
        ;;
    system)
        run_suite system ""
        ;;
    2.16)
        # Tansu answers the admin requests the embedded cluster does not; librdkafka 2.2 and later only.
        SWIFT_KAFKA_TANSU="$(scripts/fetch-tansu.sh)" run_suite 2.16 "$(scripts/fetch-librdkafka.sh 2.16.1)"
        ;;
    asan | tsan)
        scripts/sanitize.sh "$step"
        ;;
    fuzz)
        scripts/fuzz.sh
        ;;
    docs)
        scripts/docs.sh
        ;;
    /*)
        [ -e "$step/librdkafka.so.1" ] || {
            echo "error: no librdkafka.so.1 in $step" >&2
            exit 2
        }
        run_suite "$step" "$step"
        ;;
    *)
        echo "error: unknown step '$step' (lint, build, system, 2.16, asan, tsan, fuzz, docs, or a directory)" >&2
        exit 2
        ;;
    esac
    note "step $step: $(($(date +%s) - step_start)) s"
done

echo "==> summary"
printf '    %s\n' "${summary[@]}"
echo "    total: $(($(date +%s) - started)) s"
