#!/usr/bin/env bash
# Regenerates tls.pcap for TLSOracleTests: openssl s_server on the loopback
# of a private network namespace, recorded by tcpdump on lo:
#   - curl, TLS 1.3, SNI tls.example.test, ALPN http/1.1: established
#   - curl --tls-max 1.2: TLS 1.2, ECDHE-RSA-AES128-GCM-SHA256, established
#   - curl without -k: the client rejects the self-signed certificate
#     (alert unknown_ca in TLS 1.2, where alerts travel in clear)
#   - openssl s_client offering X25519 first to a server that wants P-384:
#     a HelloRetryRequest, then the handshake completes
#   - curl --tls-max 1.2 trusting a generated root CA (RSA) to a server that
#     sends its leaf (ECDSA P-256, SANs chain.example.test and 127.0.0.1)
#     and the intermediate CA (ECDSA P-384): the chain in clear
#   - curl --tlsv1.3 without -k: the client rejects the self-signed
#     certificate (OpenSSL sends that alert in clear: before its own keys)
#   - gnutls-cli, TLS 1.3 only, rejecting the same certificate: GnuTLS sends
#     its alert encrypted, where only its size tells it from a Finished
#     (to 127.0.0.1: no SNI)
# Needs root, iproute2, openssl, curl, gnutls-bin, tcpdump.
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
# The chain: root CA -> intermediate CA -> leaf, fixed serials.
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/C=US/O=Scope Test/CN=Scope Test Root CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -set_serial 0x1001 -keyout "$work/root.key" -out "$work/root.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -subj "/C=US/O=Scope Test/OU=Issuing/CN=Scope Test Intermediate CA" \
    -keyout "$work/inter.key" -out "$work/inter.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$work/inter.ext"
openssl x509 -req -in "$work/inter.csr" -CA "$work/root.pem" -CAkey "$work/root.key" -set_serial 0x2002 -days 1825 \
    -sha256 -extfile "$work/inter.ext" -out "$work/inter.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/C=US/ST=California/L=Test City/O=Scope Test/CN=chain.example.test" \
    -keyout "$work/leaf.key" -out "$work/leaf.csr" 2>/dev/null
printf 'subjectAltName=DNS:chain.example.test,DNS:www.chain.example.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$work/leaf.ext"
openssl x509 -req -in "$work/leaf.csr" -CA "$work/inter.pem" -CAkey "$work/inter.key" -set_serial 0x0123456789ABCDEF -days 397 \
    -sha384 -extfile "$work/leaf.ext" -out "$work/leaf.pem" 2>/dev/null

ip netns exec "$ns" tcpdump -i lo -U -s 0 -w "$work/tls.pcap" 'tcp port 8443 or tcp port 8444 or tcp port 8445' 2>/dev/null &
sleep 1
ip netns exec "$ns" openssl s_server -accept 8443 -cert "$work/cert.pem" -key "$work/key.pem" -www -alpn http/1.1 -quiet &
ip netns exec "$ns" openssl s_server -accept 8444 -cert "$work/cert.pem" -key "$work/key.pem" -www -groups P-384 -quiet &
ip netns exec "$ns" openssl s_server -accept 8445 -cert "$work/leaf.pem" -key "$work/leaf.key" -cert_chain "$work/inter.pem" -www -quiet &
sleep 1
url=https://tls.example.test:8443/
resolve=(--resolve tls.example.test:8443:127.0.0.1)
in_ns curl -sk --tlsv1.3 "${resolve[@]}" "$url" -o /dev/null
in_ns curl -sk --tls-max 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256 "${resolve[@]}" "$url" -o /dev/null
in_ns curl -s --tls-max 1.2 "${resolve[@]}" "$url" -o /dev/null || true
printf 'GET / HTTP/1.0\r\n\r\n' | in_ns timeout 5 openssl s_client -connect 127.0.0.1:8444 -servername hrr.example.test \
    -groups X25519:P-384 -quiet >/dev/null 2>&1 || true
in_ns curl -s --tls-max 1.2 --cacert "$work/root.pem" --resolve chain.example.test:8445:127.0.0.1 \
    https://chain.example.test:8445/ -o /dev/null
in_ns curl -s --tlsv1.3 "${resolve[@]}" "$url" -o /dev/null || true
in_ns timeout 5 gnutls-cli --port 8443 --priority 'NORMAL:-VERS-ALL:+VERS-TLS1.3' 127.0.0.1 \
    --x509cafile "$work/root.pem" </dev/null >/dev/null 2>&1 || true
sleep 1
pkill -INT -f "tcpdump -i lo -U -s 0 -w $work/tls.pcap" || true
sleep 1
cp "$work/tls.pcap" "$out/tls.pcap"
chmod 0644 "$out/tls.pcap"
echo "wrote $out/tls.pcap"
