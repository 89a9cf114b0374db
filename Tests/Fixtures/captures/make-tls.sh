#!/usr/bin/env bash
# Regenerates tls.pcap for TLSOracleTests: openssl s_server on the loopback
# of a private network namespace, recorded by tcpdump on lo:
#   - curl, TLS 1.3, SNI tls.example.test, ALPN http/1.1: established
#   - curl --tls-max 1.2: TLS 1.2, ECDHE-RSA-AES128-GCM-SHA256, established
#   - curl without -k: the client rejects the self-signed certificate
#     (alert unknown_ca in TLS 1.2, where alerts travel in clear)
#   - openssl s_client offering X25519 first to a server that wants P-384:
#     a HelloRetryRequest, then the handshake completes
# Needs root, iproute2, openssl, curl, tcpdump.
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
ns=tls-fixture$$
work=$(mktemp -d /tmp/tls-capture.XXXXXX)
cleanup() {
    ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
    sleep 0.3
    ip netns del "$ns" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
in_ns() { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up

openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=tls.example.test" \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
ip netns exec "$ns" tcpdump -i lo -U -s 0 -w "$work/tls.pcap" 'tcp port 8443 or tcp port 8444' 2>/dev/null &
sleep 1
ip netns exec "$ns" openssl s_server -accept 8443 -cert "$work/cert.pem" -key "$work/key.pem" -www -alpn http/1.1 -quiet &
ip netns exec "$ns" openssl s_server -accept 8444 -cert "$work/cert.pem" -key "$work/key.pem" -www -groups P-384 -quiet &
sleep 1
url=https://tls.example.test:8443/
resolve=(--resolve tls.example.test:8443:127.0.0.1)
in_ns curl -sk --tlsv1.3 "${resolve[@]}" "$url" -o /dev/null
in_ns curl -sk --tls-max 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256 "${resolve[@]}" "$url" -o /dev/null
in_ns curl -s --tls-max 1.2 "${resolve[@]}" "$url" -o /dev/null || true
printf 'GET / HTTP/1.0\r\n\r\n' | in_ns timeout 5 openssl s_client -connect 127.0.0.1:8444 -servername hrr.example.test \
    -groups X25519:P-384 -quiet >/dev/null 2>&1 || true
sleep 1
pkill -INT -f "tcpdump -i lo -U -s 0 -w $work/tls.pcap" || true
sleep 1
cp "$work/tls.pcap" "$out/tls.pcap"
chmod 0644 "$out/tls.pcap"
echo "wrote $out/tls.pcap"
