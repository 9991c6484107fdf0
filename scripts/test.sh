#!/usr/bin/env bash
# The test command: installs what is missing, builds everything (library, CLIs, examples, benchmarks), runs the
# tests.
# Against the embedded cluster by default; against a real Kafka with KAFKA_BOOTSTRAP_SERVERS=host:port.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
echo "==> building the examples and the benchmarks"
swift build --package-path Examples
swift build --package-path Benchmarks
echo "==> building the package and its tests"
swift build --build-tests
echo "==> running the tests${KAFKA_BOOTSTRAP_SERVERS:+ against $KAFKA_BOOTSTRAP_SERVERS}"
swift test --skip-build --disable-xctest
