#!/usr/bin/env bash
# Runs the test suite built with a sanitizer, on the system's librdkafka:
#
#   scripts/sanitize.sh asan    AddressSanitizer, with LeakSanitizer: a leaked librdkafka handle, message, header
#                               list or error object fails the run as much as a use-after-free does
#   scripts/sanitize.sh tsan    ThreadSanitizer. Not part of the default test run: Swift's Synchronization.Mutex
#                               is a futex of its own on Linux, invisible to ThreadSanitizer, so every state
#                               behind one is reported as a race (the README has the details).
#
# Each builds into its own directory (.build-asan, .build-tsan), so the plain build stays as it is.
# UndefinedBehaviorSanitizer is not offered: swiftc refuses -sanitize=undefined on Linux, and the package has no C
# code of its own (librdkafka comes prebuilt from the system).
set -euo pipefail
cd "$(dirname "$0")/.."

kind=${1:?usage: scripts/sanitize.sh asan|tsan}
case "$kind" in
asan) sanitizer=address ;;
tsan) sanitizer=thread ;;
*)
    echo "error: unknown sanitizer '$kind' (asan or tsan)" >&2
    exit 2
    ;;
esac
scratch=".build-$kind"
suppressions="$PWD/scripts/sanitizers/$kind.supp"

echo "==> building the package and its tests with -sanitize=$sanitizer ($scratch)"
swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch"
echo "==> the test suite under -sanitize=$sanitizer"
# The CLI tests start the executables of the same build, so they run under the sanitizer too.
case "$kind" in
asan)
    # Errors in other projects' code that the suite trips over (see the file).
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:suppressions=$PWD/scripts/sanitizers/asan-errors.supp"
    export LSAN_OPTIONS="suppressions=$suppressions:print_suppressions=0"
    ;;
tsan)
    # librdkafka's C11 threads must go through the pthread functions ThreadSanitizer intercepts (see the file).
    shim="$PWD/$scratch/libc11-threads-via-pthreads.so"
    compiler=$(command -v cc || command -v clang)
    "$compiler" -shared -fPIC -O2 -o "$shim" scripts/sanitizers/c11-threads-via-pthreads.c -lpthread
    export LD_PRELOAD="$shim${LD_PRELOAD:+:$LD_PRELOAD}"
    export TSAN_OPTIONS="suppressions=$suppressions:halt_on_error=0:second_deadlock_stack=1"
    ;;
esac
swift test --skip-build --disable-xctest --sanitize="$sanitizer" --scratch-path "$scratch"
