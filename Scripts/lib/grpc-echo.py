"""grpc-echo.py — a gRPC echo service and its clients, with Python's grpcio
(PyPI: grpcio, grpcio-tools) on both ends: the load of bench-analyze.sh
--per-protocol and the few calls of the demo capture.

  grpc-echo.py WORKDIR server ADDR:PORT
  grpc-echo.py WORKDIR client ADDR:PORT SECONDS
  grpc-echo.py WORKDIR demo ADDR:PORT

The stubs are generated into WORKDIR from a small proto (the same service
as Tests/Fixtures/captures/make-grpc.sh). The client keeps up to 64 unary
calls in flight on each of 2 channels (each a connection of its own) and,
after each such batch, makes one server-streaming call (3 replies) per
channel, until SECONDS have passed; it prints how many calls it made.
The demo client makes a unary call, a server-streaming one and a unary call
the server refuses (NOT_FOUND "no such note").
"""
import os, subprocess, sys, time

work, role, target = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, work)
if not os.path.exists(os.path.join(work, "demo_pb2_grpc.py")):
    with open(os.path.join(work, "demo.proto"), "w") as proto:
        proto.write("""syntax = "proto3";
package demo;
message Note { string text = 1; }
service Echo {
  rpc Say (Note) returns (Note);
  rpc Listen (Note) returns (stream Note);
}
""")
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I" + work, "--python_out=" + work,
                    "--grpc_python_out=" + work, os.path.join(work, "demo.proto")], check=True)

import grpc  # noqa: E402 (after the stubs exist)
import demo_pb2 as pb, demo_pb2_grpc as rpc  # noqa: E402

if role == "server":
    from concurrent import futures

    class Echo(rpc.EchoServicer):
        def Say(self, note, context):
            if note.text == "missing":
                context.abort(grpc.StatusCode.NOT_FOUND, "no such note")
            return pb.Note(text="said " + note.text)

        def Listen(self, note, context):
            for i in range(3):
                yield pb.Note(text=f"{note.text} {i}")

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    rpc.add_EchoServicer_to_server(Echo(), server)
    server.add_insecure_port(target)
    server.start()
    server.wait_for_termination()
elif role == "demo":
    with grpc.insecure_channel(target) as channel:
        stub = rpc.EchoStub(channel)
        stub.Say(pb.Note(text="hello"))
        list(stub.Listen(pb.Note(text="tick")))
        try:
            stub.Say(pb.Note(text="missing"))
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.NOT_FOUND, error
else:
    deadline, calls = time.monotonic() + float(sys.argv[4]), 0
    # Distinct channel options: grpcio would otherwise share one connection.
    channels = [grpc.insecure_channel(target, options=[("bench.channel", i)]) for i in range(2)]
    stubs = [rpc.EchoStub(c) for c in channels]
    while time.monotonic() < deadline:
        pending = [stub.Say.future(pb.Note(text=f"note {calls + i}")) for stub in stubs for i in range(64)]
        for call in pending:
            call.result()
        calls += len(pending)
        for stub in stubs:
            list(stub.Listen(pb.Note(text="tick")))
            calls += 1
    for c in channels:
        c.close()
    print(calls)
