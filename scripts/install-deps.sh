#!/usr/bin/env bash
# Installs what the package and its checks need on Debian/Ubuntu, idempotently: nothing is fetched when
# everything is there already.
#   librdkafka-dev, pkg-config   build the package (the system's librdkafka: Debian 12 has 2.0.2)
#   python3 with pip             fetches the newer librdkafka of the test suite's second leg from PyPI
#                                (scripts/fetch-librdkafka.sh)
#   stunnel4, openssl            the TLS tests: a terminator in front of the embedded cluster, and certificates
#                                made by the tests
set -euo pipefail

need=()
for pkg in librdkafka-dev pkg-config stunnel4 openssl; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ! python3 -m pip --version >/dev/null 2>&1; then
    need+=(python3-pip)
fi
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "==> installing ${need[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
    echo "error: no Swift toolchain on PATH (Swift 6.2 or later is needed: https://swift.org/install)" >&2
    exit 1
fi
