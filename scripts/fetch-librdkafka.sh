#!/usr/bin/env bash
# Prints a directory holding a librdkafka shared library (librdkafka.so.1) of a newer version than the system's,
# for running anything of this package on it: LD_LIBRARY_PATH=$(scripts/fetch-librdkafka.sh) swift test ...
#
# The library comes from confluent-kafka's wheel on PyPI, which carries librdkafka built with only libc as a
# dependency. The headers the package compiles against stay the system's; librdkafka keeps its ABI, and functions
# newer than those headers are looked up at run time.
#
# Idempotent and cached: the wheel is fetched once into $SWIFT_KAFKA_CACHE (default ~/.cache/swift-kafka). The
# library's own version is checked after extraction, so a wrong or broken download fails here, clearly.
#
#   scripts/fetch-librdkafka.sh [VERSION]      VERSION of confluent-kafka's wheel, default 2.16.1 (librdkafka 2.16.0)
set -euo pipefail

wheel_version=${1:-2.16.1}
case "$wheel_version" in
    2.16.1) expected=2.16.0 ;;
    *) expected="" ;; # other wheels: the version is printed, not checked
esac
cache=${SWIFT_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-kafka}
dir="$cache/librdkafka-from-confluent-kafka-$wheel_version"

fail() {
    echo "fetch-librdkafka: $*" >&2
    exit 1
}

# The version a library reports at run time: rd_kafka_version_str() called through Python's ctypes (no compiler).
loaded_version() {
    python3 - "$1" <<'PY'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
lib.rd_kafka_version_str.restype = ctypes.c_char_p
print(lib.rd_kafka_version_str().decode())
PY
}

if [ ! -s "$dir/librdkafka.so.1" ] || [ ! -s "$dir/VERSION" ]; then
    command -v python3 >/dev/null || fail "python3 with pip is needed to fetch the wheel from PyPI"
    case "$(uname -m)" in
        x86_64 | amd64) platform=manylinux_2_28_x86_64 ;;
        aarch64 | arm64) platform=manylinux_2_28_aarch64 ;;
        *) fail "no confluent-kafka wheel for $(uname -m); build librdkafka yourself and set LD_LIBRARY_PATH" ;;
    esac
    [ "$(uname -s)" = Linux ] || fail "this script fetches a Linux library; on macOS use Homebrew's librdkafka"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    echo "fetch-librdkafka: downloading confluent-kafka==$wheel_version ($platform) from PyPI" >&2
    python3 -m pip download --quiet --no-deps --only-binary=:all: --platform "$platform" \
        --python-version 3.11 --implementation cp --dest "$tmp" "confluent-kafka==$wheel_version" >&2 ||
        fail "could not download confluent-kafka==$wheel_version from PyPI (is PyPI reachable?)"
    wheel=$(ls "$tmp"/confluent_kafka-*.whl 2>/dev/null | head -n 1)
    [ -n "$wheel" ] || fail "pip saved no confluent_kafka wheel"
    python3 - "$wheel" "$tmp/lib" <<'PY' || fail "no librdkafka inside $(basename "$wheel")"
import sys, zipfile, shutil, os
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.startswith("confluent_kafka.libs/librdkafka") and ".so" in n]
    if not names:
        sys.exit(1)
    os.makedirs(out, exist_ok=True)
    with z.open(names[0]) as src, open(os.path.join(out, "librdkafka.so.1"), "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
    version=$(loaded_version "$tmp/lib/librdkafka.so.1") || fail "the extracted library does not load"
    if [ -n "$expected" ] && [ "$version" != "$expected" ]; then
        fail "confluent-kafka==$wheel_version carries librdkafka $version, expected $expected"
    fi
    mkdir -p "$dir"
    cp "$tmp/lib/librdkafka.so.1" "$dir/librdkafka.so.1.partial"
    mv "$dir/librdkafka.so.1.partial" "$dir/librdkafka.so.1"
    echo "$version" >"$dir/VERSION"
fi

version=$(loaded_version "$dir/librdkafka.so.1") || fail "$dir/librdkafka.so.1 does not load (delete $dir and retry)"
[ "$version" = "$(cat "$dir/VERSION")" ] || fail "$dir/librdkafka.so.1 reports $version (delete $dir and retry)"
echo "$dir"
