#!/usr/bin/env bash
# Regenerates grpc.pcap: gRPC over HTTP/2 in clear between Python's grpcio
# server and client (PyPI: grpcio, grpcio-tools; the stubs are generated
# here from a small proto). Calls, in order, each on the same channel:
#   unary OK; server streaming (3 replies); client streaming (4 requests);
#   bidirectional (3 each); an error status (NOT_FOUND with a message);
#   a deadline exceeded (200 ms timeout, the server sleeps 1 s); a call the
#   client cancels mid-stream (RST_STREAM CANCEL); unary with gzip.
# Needs root, iproute2, ethtool, python3 with grpcio and grpcio-tools, dumpcap.
set -euo pipefail

out=$(cd "$(dirname "$0")" && pwd)
source "$out/../../../Scripts/lib/netns-pair.sh"
ns_s=grpc-srv-$$ ns_c=grpc-cli-$$
work=$(mktemp -d /tmp/dpdkscope-grpc.XXXXXX)
pids=()
netns_pair_create vgc$$ vgs$$ 02:00:00:00:09:02 02:00:00:00:09:01
in_server() { ip netns exec "$ns_s" "$@"; }
in_client() { ip netns exec "$ns_c" "$@"; }
netns_pair_up vgc$$ vgs$$ 10.99.9.2/24 10.99.9.1/24

cat >"$work/demo.proto" <<'EOF'
syntax = "proto3";
package demo;
message Note { string text = 1; }
service Echo {
  rpc Say (Note) returns (Note);
  rpc Listen (Note) returns (stream Note);
  rpc Collect (stream Note) returns (Note);
  rpc Chat (stream Note) returns (stream Note);
}
EOF
(cd "$work" && python3 -m grpc_tools.protoc -I. --python_out=. --grpc_python_out=. demo.proto)

cat >"$work/server.py" <<'EOF'
import time, grpc
from concurrent import futures
import demo_pb2 as pb, demo_pb2_grpc as rpc

class Echo(rpc.EchoServicer):
    def Say(self, note, context):
        if note.text == "missing":
            context.abort(grpc.StatusCode.NOT_FOUND, "no such note")
        if note.text == "slow":
            time.sleep(1)
        return pb.Note(text="said " + note.text)
    def Listen(self, note, context):
        for i in range(3 if note.text != "forever" else 1000):
            yield pb.Note(text=f"{note.text} {i}")
            if note.text == "forever":
                time.sleep(0.05)
    def Collect(self, notes, context):
        return pb.Note(text=",".join(n.text for n in notes))
    def Chat(self, notes, context):
        for n in notes:
            yield pb.Note(text="re " + n.text)

server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
rpc.add_EchoServicer_to_server(Echo(), server)
server.add_insecure_port("10.99.9.1:50051")
server.start()
server.wait_for_termination()
EOF

cat >"$work/client.py" <<'EOF'
import time, grpc
import demo_pb2 as pb, demo_pb2_grpc as rpc

with grpc.insecure_channel("10.99.9.1:50051") as channel:
    stub = rpc.EchoStub(channel)
    stub.Say(pb.Note(text="hello"))
    list(stub.Listen(pb.Note(text="tick")))
    stub.Collect(iter([pb.Note(text=str(i)) for i in range(4)]))
    list(stub.Chat(iter([pb.Note(text=str(i)) for i in range(3)])))
    try:
        stub.Say(pb.Note(text="missing"))
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND
    try:
        stub.Say(pb.Note(text="slow"), timeout=0.2)
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    call = stub.Listen(pb.Note(text="forever"))
    next(call)
    next(call)
    call.cancel()
    time.sleep(0.3)
    stub.Say(pb.Note(text="z" * 300), compression=grpc.Compression.Gzip)
EOF

(cd "$work" && exec ip netns exec "$ns_s" python3 server.py) &
pids+=($!)
for _ in $(seq 100); do
    in_client python3 -c 'import socket; socket.create_connection(("10.99.9.1", 50051), 0.2).close()' 2>/dev/null && break
    sleep 0.1
done
in_client dumpcap -q -P -i vgc$$ -f "tcp port 50051" -w "$work/capture.pcap" &
dumper=$!
pids+=($dumper)
sleep 1.5
(cd "$work" && in_client python3 client.py)
sleep 1.5
kill -TERM "$dumper"
wait "$dumper" || true
cp "$work/capture.pcap" "$out/grpc.pcap"
chmod 644 "$out/grpc.pcap"
ls -l "$out/grpc.pcap"
