#!/usr/bin/env bash
# The main job, end to end on an embedded Kafka cluster: installs what is missing, builds, starts the cluster,
# sends a few messages with kafka-send, reads them back with kafka-tail, then runs the library example.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
echo "==> building"
swift build
bin=$(swift build --show-bin-path)

workdir=$(mktemp -d)
cleanup() {
    [ -n "${cluster_pid:-}" ] && kill "$cluster_pid" 2>/dev/null && wait "$cluster_pid" 2>/dev/null
    rm -rf "$workdir"
}
trap cleanup EXIT

echo "==> starting an embedded Kafka cluster (3 brokers, topic 'greetings' with 3 partitions)"
"$bin/kafka-dev-cluster" --brokers 3 --topic greetings:3 --bootstrap-file "$workdir/bootstrap" >/dev/null &
cluster_pid=$!
for _ in $(seq 100); do [ -s "$workdir/bootstrap" ] && break; sleep 0.1; done
bootstrap=$(cat "$workdir/bootstrap")
echo "    bootstrap servers: $bootstrap"

echo "==> kafka-send: 5 messages"
printf 'hello\nfrom\nswift\nkafka\n!\n' | "$bin/kafka-send" -b "$bootstrap" -t greetings -v

echo "==> kafka-tail: reading them back from the beginning (-e: exit at the end)"
"$bin/kafka-tail" -b "$bootstrap" -t greetings -o beginning -e

echo "==> the library example (Examples/Sources/RoundTrip): KafkaProducer and KafkaConsumer on an in-process cluster"
swift build --package-path Examples >/dev/null
env -u KAFKA_BOOTSTRAP_SERVERS "$(swift build --package-path Examples --show-bin-path)/RoundTrip"
echo "==> done"
