#!/usr/bin/env bash
# Certificates and users for the SASL_SSL listener of docker-compose.yml (localhost:9094), and the environment the
# security tests read to run against it. Nothing made here is committed (.kafka-secrets/ is ignored).
#
#   scripts/kafka-sasl-ssl.sh certs     before `docker compose up`: a CA and the broker's PKCS12 keystore
#   scripts/kafka-sasl-ssl.sh users     after the broker is up: the SCRAM-SHA-512 user the tests log in as
#   scripts/kafka-sasl-ssl.sh env       prints the variables for the tests, e.g. eval "$(scripts/kafka-sasl-ssl.sh env)"
#
# The tests (Tests/KafkaTests/Integration/SASLTests.swift) then connect with PLAIN and SCRAM-SHA-512 over TLS,
# verifying the broker against the CA, and check that a wrong password fails with an authentication error.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.kafka-secrets
password=test-keystore-password

case "${1:-}" in
certs)
    mkdir -p "$dir"
    cd "$dir"
    key="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
    openssl req -x509 $key -nodes -keyout ca.key -out ca.pem -days 30 -subj /CN=kafka-compose-ca 2>/dev/null
    openssl req $key -nodes -keyout broker.key -out broker.csr -subj /CN=localhost 2>/dev/null
    printf 'subjectAltName=DNS:localhost,DNS:kafka,IP:127.0.0.1\n' >broker.ext
    openssl x509 -req -days 30 -CA ca.pem -CAkey ca.key -CAcreateserial -in broker.csr -out broker.pem \
        -extfile broker.ext 2>/dev/null
    openssl pkcs12 -export -in broker.pem -inkey broker.key -certfile ca.pem -name broker \
        -out broker.p12 -passout "pass:$password"
    echo "$password" >keystore_creds
    echo "$password" >key_creds
    chmod 644 ./*  # the broker runs as another user in its container
    echo "certificates in $dir (CA: $dir/ca.pem)"
    ;;
users)
    docker compose exec -T kafka /opt/kafka/bin/kafka-configs.sh --bootstrap-server localhost:9092 --alter \
        --add-config 'SCRAM-SHA-512=[password=alice-secret]' --entity-type users --entity-name alice
    ;;
env)
    echo "export KAFKA_SASL_SSL_BOOTSTRAP_SERVERS=localhost:9094"
    echo "export KAFKA_SASL_SSL_CA=$PWD/$dir/ca.pem"
    ;;
*)
    echo "usage: $0 certs|users|env" >&2
    exit 2
    ;;
esac
