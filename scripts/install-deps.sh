#!/usr/bin/env bash
# Installs what the package needs on Debian/Ubuntu (librdkafka-dev, pkg-config), idempotently:
# nothing is fetched when everything is there already.
set -euo pipefail

need=()
for pkg in librdkafka-dev pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "==> installing ${need[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! command -v swift >/dev/null 2>&1; then
    echo "error: no Swift toolchain on PATH (Swift 6.1 or later is needed: https://swift.org/install)" >&2
    exit 1
fi
