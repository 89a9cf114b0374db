#!/usr/bin/env bash
# make-demo-pcap.sh [OUT] — regenerate Scripts/data/demo.pcap (default OUT).
#
# Records real application traffic (HTTP/1.1, DNS over UDP, ICMP echo, TLS
# 1.3 and 1.2, HTTP/2 in clear, gRPC) on a veth pair between two throw-away
# network namespaces. A veth capture gives
# Ethernet framing (DLT_EN10MB); a loopback capture would not. The file is
# classic pcap (microsecond) so that every reader, net_pcap included, takes it.
#
# Needs root and: ip, dumpcap (tshark), python3 with grpcio and grpcio-tools
# (PyPI), curl, dig (dnsutils), dnsmasq (dnsmasq-base), ping (iputils-ping),
# ethtool, nginx (nginx-light), openssl; Scripts/setup.sh installs them all.
# Traffic stays inside the namespaces; nothing leaves the machine.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$(realpath -m "${1:-$here/demo.pcap}")
ns_c=dpdkscope-demo-cli
ns_s=dpdkscope-demo-srv
ip_c=10.199.1.1
ip_s=10.199.1.2

die() { echo "make-demo-pcap: $*" >&2; exit 1; }
[[ $EUID -eq 0 ]] || die "must run as root (network namespaces)"
for t in ip ethtool dumpcap python3 curl dig dnsmasq ping capinfos nginx openssl; do
    command -v "$t" >/dev/null || die "missing '$t' (run Scripts/setup.sh)"
done
python3 -c 'import grpc, grpc_tools' 2>/dev/null || die "missing Python grpcio/grpcio-tools (run Scripts/setup.sh)"

work=$(mktemp -d)
pids=()
# shellcheck source=../lib/netns-pair.sh
source "$here/../lib/netns-pair.sh"
netns_pair_create demo-cli demo-srv 02:00:00:00:01:01 02:00:00:00:01:02
for spec in "$ns_c demo-cli $ip_c" "$ns_s demo-srv $ip_s"; do
    read -r ns dev addr <<<"$spec"
    # No IPv6: router solicitations/MLD would make the file differ per run.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip -n "$ns" addr add "$addr/24" dev "$dev"
    ip -n "$ns" link set lo up
    # veth leaves TCP/UDP checksums to "hardware", so the capture would hold
    # partial (wrong) sums; computing them in software gives valid packets.
    ip netns exec "$ns" ethtool -K "$dev" tx off >/dev/null
    ip -n "$ns" link set "$dev" up
done

# Content for the web server: an HTML page, a text file, some JSON.
mkdir -p "$work/www"
printf '<!doctype html>\n<title>dpdkscope demo</title>\n<p>Hello from the demo server.</p>\n' >"$work/www/index.html"
printf 'hello, dpdkscope\n' >"$work/www/hello.txt"
printf '{"service":"demo","items":[1,2,3],"ok":true}\n' >"$work/www/data.json"

# http.server answers HTTP/1.0 by default; force 1.1 so keep-alive is real.
ip netns exec "$ns_s" python3 - "$work/www" "$ip_s" <<'EOF' >"$work/http.log" 2>&1 &
import functools, http.server, sys
class H(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "demo-httpd/1.0"
srv = http.server.ThreadingHTTPServer((sys.argv[2], 80), functools.partial(H, directory=sys.argv[1]))
srv.serve_forever()
EOF
pids+=($!)

# nginx: TLS 1.2 and 1.3 on 443 (ALPN h2 and http/1.1; a self-signed ECDSA
# certificate for www.demo.test) and HTTP/2 in clear (prior knowledge) on
# 8080. Workers run as nobody: the work dir must be readable.
chmod 755 "$work"
mkdir -p "$work/tmp"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/O=dpdkscope demo/CN=www.demo.test" -addext subjectAltName=DNS:www.demo.test \
    -keyout "$work/demo.key" -out "$work/demo.pem" 2>/dev/null
cat >"$work/nginx.conf" <<EOF
daemon off; worker_processes 1; pid $work/nginx.pid; error_log $work/nginx.log warn;
events { worker_connections 64; }
http { access_log off; default_type text/html; server_tokens off;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server { listen $ip_s:443 ssl http2; root $work/www; ssl_protocols TLSv1.2 TLSv1.3;
           ssl_certificate $work/demo.pem; ssl_certificate_key $work/demo.key; }
  server { listen $ip_s:8080 http2; root $work/www; } }
EOF
ip netns exec "$ns_s" nginx -p "$work" -c "$work/nginx.conf" -e "$work/nginx.log" &
pids+=($!)

# gRPC: the echo service of Scripts/lib/grpc-echo.py on 50051.
(cd "$work" && exec ip netns exec "$ns_s" python3 "$here/../lib/grpc-echo.py" "$work" server "$ip_s:50051") \
    >"$work/grpc.log" 2>&1 &
pids+=($!)

ip netns exec "$ns_s" dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --no-resolv --no-hosts --bind-interfaces --listen-address="$ip_s" \
    --pid-file="$work/dnsmasq.pid" --local=/demo.test/ \
    --host-record=www.demo.test,"$ip_s" --host-record=api.demo.test,"$ip_s" \
    --txt-record=demo.test,"dpdkscope demo zone" \
    --mx-host=demo.test,mail.demo.test,10 2>"$work/dnsmasq.log" &
pids+=($!)

ip netns exec "$ns_c" dumpcap -q -P -i demo-cli -s 0 -w "$work/cap.pcap" \
    2>"$work/dumpcap.log" &
dumpcap_pid=$!
pids+=("$dumpcap_pid")

# Wait until every listener is up, so that no request is lost.
for _ in $(seq 100); do
    if [[ -s $work/cap.pcap ]] &&
        ip netns exec "$ns_s" ss -Hltn 'sport = :80' | grep -q . &&
        ip netns exec "$ns_s" ss -Hlun 'sport = :53' | grep -q . &&
        ip netns exec "$ns_s" ss -Hltn 'sport = :443' | grep -q . &&
        ip netns exec "$ns_s" ss -Hltn 'sport = :8080' | grep -q . &&
        ip netns exec "$ns_s" ss -Hltn 'sport = :50051' | grep -q .; then
        break
    fi
    sleep 0.1
done
[[ -s $work/cap.pcap ]] || die "dumpcap did not start: $(tail -n 2 "$work/dumpcap.log")"

c() { ip netns exec "$ns_c" "$@"; }
c ping -q -c 3 -i 0.2 "$ip_s" >/dev/null
c dig +short +tries=1 @"$ip_s" www.demo.test A >/dev/null
c dig +short +tries=1 @"$ip_s" api.demo.test A >/dev/null
c dig +short +tries=1 @"$ip_s" demo.test TXT >/dev/null
c dig +short +tries=1 @"$ip_s" demo.test MX >/dev/null
c dig +short +tries=1 @"$ip_s" nope.demo.test A >/dev/null   # NXDOMAIN
url=http://www.demo.test
res=(--resolve "www.demo.test:80:$ip_s")
# Three requests on one keep-alive connection, then a 404 and a 501 (POST).
c curl -sS "${res[@]}" "$url/" "$url/hello.txt" "$url/data.json" >/dev/null
c curl -sS -o /dev/null "${res[@]}" "$url/missing"
c curl -sS -o /dev/null "${res[@]}" -d 'name=demo' "$url/form"
# TLS 1.3 (ALPN h2: HTTP/2 inside, invisible), then TLS 1.2 over HTTP/1.1
# (the certificate in clear), each trusting the demo's own certificate.
tls=(--cacert "$work/demo.pem" --resolve "www.demo.test:443:$ip_s")
c curl -sS -o /dev/null "${tls[@]}" --tlsv1.3 https://www.demo.test/
c curl -sS -o /dev/null "${tls[@]}" --tls-max 1.2 --http1.1 https://www.demo.test/hello.txt
# HTTP/2 in clear with prior knowledge: a page and a 404 (one URL per curl:
# curl 7.88 fails reusing a prior-knowledge connection).
h2=(--http2-prior-knowledge --resolve "www.demo.test:8080:$ip_s")
c curl -sS -o /dev/null "${h2[@]}" http://www.demo.test:8080/data.json
c curl -sS -o /dev/null "${h2[@]}" http://www.demo.test:8080/nope
# gRPC: unary, server streaming, and a NOT_FOUND.
(cd "$work" && c python3 "$here/../lib/grpc-echo.py" "$work" demo "$ip_s:50051")
c ping -q -c 2 -i 0.2 "$ip_s" >/dev/null
sleep 0.5 # let the last FIN/ACKs reach the capture

kill -INT "$dumpcap_pid"
wait "$dumpcap_pid" || true
mv "$work/cap.pcap" "$out"
chmod 644 "$out" # dumpcap creates it 0600; tests may read it as non-root

# Fail loudly if a regeneration ever loses a protocol the analyzers expect.
pkts=$(tshark -r "$out" 2>/dev/null | wc -l)
http=$(tshark -r "$out" -Y http.request 2>/dev/null | wc -l)
dns=$(tshark -r "$out" -Y dns 2>/dev/null | wc -l)
icmp=$(tshark -r "$out" -Y icmp 2>/dev/null | wc -l)
tls=$(tshark -r "$out" -Y 'tls.handshake.type == 1' 2>/dev/null | wc -l)
h2=$(tshark -r "$out" -d tcp.port==8080,http2 -Y 'http2.type == 1' 2>/dev/null | wc -l)
grpc=$(tshark -r "$out" -d tcp.port==50051,http2 -Y grpc 2>/dev/null | wc -l)
bad=$(tshark -r "$out" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
    -o udp.check_checksum:TRUE -Y 'ip.checksum.status == 0 ||
    tcp.checksum.status == 0 || udp.checksum.status == 0' 2>/dev/null | wc -l)
[[ $bad -eq 0 ]] || die "$bad packets with bad checksums"
[[ $http -gt 0 && $dns -gt 0 && $icmp -gt 0 && $tls -eq 2 && $h2 -gt 0 && $grpc -gt 0 ]] ||
    die "capture lacks HTTP ($http), DNS ($dns), ICMP ($icmp), TLS ($tls ClientHellos), HTTP/2 ($h2) or gRPC ($grpc)"
echo "wrote $out: $pkts packets, $(stat -c %s "$out") bytes" \
    "(http requests=$http, dns=$dns, icmp=$icmp, tls client hellos=$tls, http2 headers=$h2, grpc=$grpc)"
