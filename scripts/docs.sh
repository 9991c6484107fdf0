#!/usr/bin/env bash
# Builds the DocC documentation of the public libraries (Kafka, KafkaTesting) from their symbol graphs with the
# toolchain's docc, and fails on any warning (a broken symbol reference, an ambiguous link, a missing article).
# The Swift Package Index builds the same catalogs (.spi.yml).
#
#   scripts/docs.sh [OUTPUT_DIR]     default: .build/docs (one .doccarchive per module)
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-.build/docs}
echo "==> symbol graphs of the public API"
swift package dump-symbol-graph --minimum-access-level public >/dev/null
graphs="$(swift build --show-bin-path 2>/dev/null)/../symbolgraph"
[ -d "$graphs" ] || graphs=$(dirname "$(find .build -name Kafka.symbols.json -path '*symbolgraph*' | head -n 1)")

mkdir -p "$out"
status=0
for module in Kafka KafkaTesting; do
    echo "==> docc convert $module"
    module_graphs=$(mktemp -d)
    cp "$graphs/$module.symbols.json" "$module_graphs/"
    cp "$graphs/$module"@*.symbols.json "$module_graphs/" 2>/dev/null || true
    catalog=()
    [ -d "Sources/$module/$module.docc" ] && catalog=("Sources/$module/$module.docc")
    log=$(mktemp)
    if ! docc convert "${catalog[@]}" \
        --additional-symbol-graph-dir "$module_graphs" \
        --fallback-display-name "$module" \
        --fallback-bundle-identifier "org.swift-kafka.$module" \
        --output-dir "$out/$module.doccarchive" \
        --warnings-as-errors >"$log" 2>&1; then
        status=1
    fi
    if grep -qE "warning|error" "$log"; then
        grep -E -A3 "warning|error" "$log" >&2
        status=1
    fi
    rm -rf "$module_graphs" "$log"
done
[ $status -eq 0 ] || {
    echo "error: the documentation has warnings (above)" >&2
    exit 1
}
echo "    documentation in $out"
