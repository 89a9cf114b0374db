#!/usr/bin/env python3
"""An OTLP/HTTP (protobuf) receiver for dpdkscope's tests, decoding every
request with the official schema (PyPI's opentelemetry-proto).

  otlp-receiver.py --port N --out FILE [--script SPEC] [--ready FILE] [--tls-cert PEM --tls-key PEM]

Each request is appended to FILE as one JSON line: {"n": request number,
"path", "status" (what was answered), "encoding", "request" (the decoded
message as MessageToDict gives it) or "error" (why it could not be
decoded; a test must fail on any)}. SPEC scripts the first answers, in
order, comma-separated: 200, 400, 503, 429 or 429/SECONDS (with
Retry-After), partial/N (200 with a partial success rejecting N); after the
script every request gets 200. The port is written to --ready (0 picks one).
"""
import argparse
import base64
import gzip
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

KINDS = {
    "/v1/traces": (trace_service_pb2.ExportTraceServiceRequest, trace_service_pb2.ExportTraceServiceResponse),
    "/v1/logs": (logs_service_pb2.ExportLogsServiceRequest, logs_service_pb2.ExportLogsServiceResponse),
}


def hex_ids(value):
    """MessageToDict writes bytes as base64; ids read better as hex."""
    if isinstance(value, dict):
        return {k: (base64.b64decode(v).hex() if k in ("traceId", "spanId", "parentSpanId") else hex_ids(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [hex_ids(v) for v in value]
    return value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--script", default="")
    parser.add_argument("--ready")
    parser.add_argument("--tls-cert", help="serve https with this PEM certificate chain")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    script = [s for s in args.script.split(",") if s]
    lock = threading.Lock()
    state = {"n": 0}
    out = open(args.out, "a", buffering=1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with lock:
                state["n"] += 1
                n = state["n"]
                answer = script.pop(0) if script else "200"
            entry = {"n": n, "path": self.path, "encoding": self.headers.get("Content-Encoding", ""),
                     "content_type": self.headers.get("Content-Type", ""),
                     "headers": {k.lower(): v for k, v in self.headers.items()}}
            kind = KINDS.get(self.path)
            try:
                if kind is None:
                    raise ValueError("unknown path " + self.path)
                if self.headers.get("Content-Type") != "application/x-protobuf":
                    raise ValueError("content type " + str(self.headers.get("Content-Type")))
                if entry["encoding"] == "gzip":
                    body = gzip.decompress(body)
                message = kind[0]()
                message.ParseFromString(body)
                # Re-encoding must give the same bytes (both sides write fields
                # in number order): nothing odd slipped through the parse.
                if message.SerializeToString(deterministic=True) != body:
                    raise ValueError("re-encoding differs from the request's bytes")
                entry["request"] = hex_ids(MessageToDict(message))
            except Exception as error:  # noqa: BLE001 - every failure is reported to the test
                entry["error"] = repr(error)
                answer = "400"
            code, extra, response_body = 200, {}, b""
            if answer.startswith("429"):
                code = 429
                if "/" in answer:
                    extra["Retry-After"] = answer.split("/", 1)[1]
            elif answer in ("400", "503", "502", "504", "404"):
                code = int(answer)
            elif answer.startswith("partial/") and kind is not None:
                response = kind[1]()
                rejected = int(answer.split("/", 1)[1])
                if self.path == "/v1/traces":
                    response.partial_success.rejected_spans = rejected
                else:
                    response.partial_success.rejected_log_records = rejected
                response.partial_success.error_message = "test rejects %d" % rejected
                response_body = response.SerializeToString()
            elif code == 200 and kind is not None:
                response_body = kind[1]().SerializeToString()
            entry["status"] = code
            with lock:
                out.write(json.dumps(entry) + "\n")
            self.send_response(code)
            for key, value in extra.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(response_body)))
            self.end_headers()
            self.wfile.write(response_body)

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    if args.tls_cert:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    if args.ready:
        with open(args.ready + ".tmp", "w") as ready:
            ready.write(str(server.server_address[1]))
        import os
        os.rename(args.ready + ".tmp", args.ready)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
