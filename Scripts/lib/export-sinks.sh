# export-sinks.sh — sourced by the export benchmarks (bench-export.sh,
# bench-live.sh --export): receivers that cost as little as possible, so
# what is measured is dpdkscope's exporting, not a backend's decoding.
#
#   sinks_start WORK   starts them; sets sink_http (host:port of a Python HTTP server
#                      answering 200 to every POST: OTLP's /v1/traces and
#                      /v1/logs, remote-write's /api/v1/write; each request's
#                      path and length logged to WORK/sink.log) and
#                      sink_kafka (bootstrap of librdkafka's mock cluster,
#                      Tests/Fixtures/kafka-mock-cluster.c, one partition)
#   sinks_bytes PATH   request bytes (line, headers, body) sent to PATH so far
#   sinks_stop
#
# Needs: $root, die, and a `pids` array (from the caller).

sinks_start() {
    local work=$1
    sinks_work=$work
    : >"$work/sink.log"
    # Reads each body whole, answers 200 with no body (no partial success),
    # logs "path bytes" (request line, headers, body).
    cat >"$work/http-sink.py" <<'PY'
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
log = open(sys.argv[1], "a", buffering=1)
class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *_):
        pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        head = sum(len(k) + len(v) + 4 for k, v in self.headers.items()) + len(self.requestline) + 4
        log.write("%s %d\n" % (self.path, head + len(body)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
    python3 "$work/http-sink.py" "$work/sink.log" >"$work/http-sink.port" 2>"$work/http-sink.err" & pids+=($!)
    for _ in $(seq 100); do [[ -s $work/http-sink.port ]] && break; sleep 0.1; done
    sink_http=127.0.0.1:$(head -n 1 "$work/http-sink.port")
    [[ $sink_http == *:[0-9]* ]] || die "the HTTP sink did not start: $(cat "$work/http-sink.err")"
    cc -O1 -o "$work/kafka-mock-cluster" "$root/Tests/Fixtures/kafka-mock-cluster.c" -lrdkafka ||
        die "cannot build the Kafka mock cluster (librdkafka-dev)"
    "$work/kafka-mock-cluster" 1 1 dpdkscope >"$work/kafka.out" 2>"$work/kafka.err" & pids+=($!)
    for _ in $(seq 100); do grep -q : "$work/kafka.out" 2>/dev/null && break; sleep 0.1; done
    sink_kafka=$(head -n 1 "$work/kafka.out")
    [[ $sink_kafka == *:* ]] || die "the Kafka mock cluster did not start: $(cat "$work/kafka.err")"
}

sinks_bytes() {
    awk -v p="$1" '$1 == p { n += $2 } END { printf "%d", n }' "$sinks_work/sink.log"
}

# The outputs block of an agent with every export on, into the sinks
# (remote-write every second, so its cost shows in a short run).
sinks_outputs_yaml() {
    cat <<YAML
  otlp: { enabled: true, endpoint: "http://$sink_http" }
  remote_write: { enabled: true, url: "http://$sink_http/api/v1/write", interval: 1s }
  kafka: { enabled: true, brokers: ["$sink_kafka"], topic: dpdkscope }
  spool: { path: $sinks_work/spool }
YAML
}
