#!/usr/bin/env bash
# Regenerates redis.pcap, the real traffic the Redis oracle test reads:
#   redis-server (no persistence, own dir) in one namespace; in the other,
#   redis-cli with plain commands over one connection (SET/GET/INCR/DEL/
#   LPUSH/LRANGE/HSET/HGETALL, an INCR on a string -> error, MULTI/EXEC, a
#   failing AUTH whose password must be redacted), a RESP2 subscriber and a
#   RESP3 (redis-cli -3, HELLO 3) subscriber with PUBLISH from a second
#   client, RESP3 commands (map replies), inline commands over a raw socket,
#   and redis-benchmark -P 16 for pipelining.
# Needs root, iproute2, ethtool, redis-server, redis-tools, python3, dumpcap.
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
source "$out/../../../Scripts/lib/netns-pair.sh"
ns_s=redis-srv-$$ ns_c=redis-cli-$$
work=$(mktemp -d /tmp/dpdkscope-redis.XXXXXX)
pids=()
netns_pair_create vrc$$ vrs$$ 02:00:00:00:63:02 02:00:00:00:63:01
in_server() { ip netns exec "$ns_s" "$@"; }
in_client() { ip netns exec "$ns_c" "$@"; }
netns_pair_up vrc$$ vrs$$ 10.99.3.2/24 10.99.3.1/24

ip netns exec "$ns_s" redis-server --bind 10.99.3.1 --port 6379 --save '' --appendonly no --dir "$work" \
    --protected-mode no --daemonize no --logfile "$work/redis.log" &
pids+=($!)
for _ in $(seq 50); do in_client redis-cli -h 10.99.3.1 ping >/dev/null 2>&1 && break; sleep 0.1; done

cli() { in_client redis-cli -h 10.99.3.1 "$@"; }

redis_traffic() {
    # One connection, one command per line, each waiting for its reply.
    cli >/dev/null <<'CMDS'
PING
SET greeting hello
GET greeting
INCR counter
INCR counter
INCR greeting
DEL counter
LPUSH list a b c
LRANGE list 0 -1
HSET user:1 name alice age 30
HGETALL user:1
GET missing
AUTH default not-the-password
MULTI
INCR tx
SET tx:name queued
GET tx
EXEC
CMDS
    sleep 0.3
    # RESP2 subscriber (arrays) and RESP3 subscriber (push frames).
    # Not through cli: $! must be redis-cli itself (ip netns exec execs).
    ip netns exec "$ns_c" redis-cli -h 10.99.3.1 subscribe news sport >"$work/sub2.txt" &
    local sub2=$!
    ip netns exec "$ns_c" redis-cli -h 10.99.3.1 -3 psubscribe 'ne*' >"$work/sub3.txt" &
    local sub3=$!
    sleep 0.5
    cli publish news "first message" >/dev/null
    cli publish sport "second message" >/dev/null
    cli publish news "third message" >/dev/null
    sleep 0.5
    kill "$sub2" "$sub3"
    wait "$sub2" "$sub3" 2>/dev/null || true
    # RESP3 commands: HELLO 3 first, then map and set replies.
    cli -3 >/dev/null <<'CMDS'
HGETALL user:1
SADD tags x
SMEMBERS tags
INCR greeting
CMDS
    sleep 0.3
    # Inline commands (what telnet users type), over a raw socket.
    in_client python3 - <<'PY'
import socket, time
s = socket.create_connection(("10.99.3.1", 6379))
for line in (b"PING\r\n", b"SET inline 42\r\n", b"GET inline\r\n"):
    s.sendall(line)
    time.sleep(0.05)
    s.recv(4096)
s.close()
PY
    sleep 0.3
    # Pipelining: 16 commands per write, 50 connections.
    in_client redis-benchmark -h 10.99.3.1 -P 16 -n 2000 -t set,get,lpush -q >/dev/null
}

in_client dumpcap -q -P -i vrc$$ -f "tcp port 6379" -w "$work/capture.pcap" &
dumper=$!
pids+=($dumper)
sleep 1.5
redis_traffic
sleep 1
kill -TERM "$dumper"
wait "$dumper" || true
cp "$work/capture.pcap" "$out/redis.pcap"
chmod 644 "$out/redis.pcap"
ls -l "$out/redis.pcap"
