import ScopeAnalyzers

extension AgentConfiguration {
    /// The user documentation of the file: every key with its default and
    /// what it is for. `dpdkscope config --reference` prints it verbatim, and
    /// it parses to `defaults` (tested), so it can be copied and edited.
    public static let referenceYAML = referenceHead + "\n" + protocolsReference + referenceTail

    /// The `protocols:` entries, from each protocol's definition.
    static var protocolsReference: String {
        var text = ""
        for proto in ApplicationProtocol.allCases {
            let definition = proto.definition
            for line in definition.reference { text += "  # \(line)\n" }
            text += "  \(proto.rawValue):\n    enabled: true\n"
            if proto.hasPorts { text += "    ports: [\(proto.defaultPorts.map(String.init).joined(separator: ", "))]\n" }
            for option in definition.options {
                for line in option.reference { text += "    # \(line)\n" }
                text += "    \(option.key): \(option.defaultValue.yaml)\n"
            }
        }
        return text + "\n"
    }

    private static let referenceHead = #"""
# dpdkscope agent configuration: reference
#
# `dpdkscope agent --config FILE` runs until stopped. It attaches to a
# running DPDK application (the "primary") as a secondary process, copies
# its traffic through pdump, analyzes the protocols listed under
# protocols:, and writes transaction events, Prometheus metrics and,
# if asked, the packets themselves.
#
# Every key is optional. This file shows every key at its default value, so
# an empty file means exactly the same. Unknown keys are errors (a typo
# never passes silently), and all errors in a file are reported at once,
# each with its line and key path.
#
# Value syntax
#   booleans   true or false; yes/no/on/off are refused
#   durations  10s, 500ms, 2m, 1h, or a bare number of seconds (30);
#              whole numbers only (1500ms, not 1.5s)
#   sizes      bytes (65536) or a number with a unit (case-insensitive):
#              KiB, MiB, GiB, TiB are powers of 1024 (64KiB = 65536);
#              KB, MB, GB, TB are powers of 1000 (10MB = 10000000)
#   null       null, ~ or nothing after the colon: "not set, automatic"
#   quoting    "80" is text, not a number: leave numbers unquoted

attach:
  # The primary's EAL --file-prefix, which names its runtime directory
  # /var/run/dpdk/<file_prefix>. Change it when the application is started
  # with --file-prefix (several primaries on one host must be).
  file_prefix: rte
  # EAL --lcores for dpdkscope itself, e.g. "7" or "2@7". null picks a core
  # the primary does not use. Set it to keep dpdkscope off forwarding cores.
  lcores: null
  # Worker lcores that capture and analyze, as `dpdkscope capture --multi
  # --workers N` does. 0: one loop on dpdkscope's main lcore. N (1-64): one
  # loop per worker lcore, each with its own rings and analyzers over a
  # group of queues: queue q of every port and direction goes to one
  # worker, so a connection's requests and responses meet there when the
  # application's RSS keeps both directions on one queue index. With lcores
  # set, list N+1 of them (the first is the main lcore). Each worker writes
  # its own dumpfile, named from live-w0.pcapng, live-w1.pcapng, ... for
  # live.pcapng.
  workers: 0
  # EAL log level: trace, debug, info, notice, warning, error or critical.
  log_level: warning
  # Extra EAL arguments, split at spaces (no quoting), e.g. "--huge-dir
  # /mnt/huge". dpdkscope sets --proc-type, --file-prefix, --lcores and
  # --log-level itself: use the keys above for those.
  eal: ""
  # A capture that ended without cleaning up (a killed dpdkscope or
  # dpdk-dumpcap) leaves its registration on the queues, and DPDK refuses a
  # second one. true disables such a stale registration on our queues first.
  # Leave false when another capture tool may rightfully be running.
  takeover: false
  # false: exit when no primary is running, or when it exits.
  # true: wait for the primary to start and re-attach when it restarts
  # (what a service manager wants).
  wait_for_primary: false

# What to capture: a list of entries, each selecting ports and queues, a
# direction, a filter and a snapshot length. Entries add up; give each
# port, queue and direction to one entry only. Each entry has its own ring,
# read one after the other: keep both directions of a connection in one
# entry (a forwarder receives them on different ports, so split entries by
# queue, not by port), or a response may be analyzed before its request.
captures:
    # Ports and queues in -i syntax: a port id ("0") or device name
    # ("net_tap0", "0000:01:00.0"), optionally with ":queue" ("0:1") or
    # ":*" (every queue, the default). [] = every port.
  - interfaces: []
    # rx (packets the primary receives), tx (packets it sends) or both.
    # A forwarder receives every packet on some port, so rx on every port
    # sees both directions of each connection once; both would see it twice.
    direction: rx
    # libpcap filter expression, as for tcpdump, e.g. "tcp port 80 or udp
    # port 53". Packets it rejects are never copied to dpdkscope, which is
    # the cheapest way to ignore bulk traffic. null = every packet.
    filter: null
    # Bytes kept of each packet (1-262144). Analyzers need whole payloads:
    # lower it only when headers are all you want.
    snaplen: 262144

# The ring the primary copies packets into, and the pool of their buffers.
ring:
  # Ring slots: a power of two, 64-16777216. Raise it when the agent
  # reports ring drops during bursts (a bigger ring absorbs longer ones).
  size: 4096
  # Packet buffers (mbufs) in the copy pool: size/2-33554432.
  # null = 2*size-1, enough for a full ring plus the batch being read.
  mbufs: null
  # How buffers travel between the primary and the agent: lf_stack (a
  # lock-free stack, so an agent killed with SIGKILL cannot stall the
  # primary) or ring_mp_mc (dpdk-dumpcap's: cheaper per copied packet for
  # the primary, but an agent killed while freeing into it can hang the
  # primary's forwarding lcore). A primary without lf_stack gets the ring.
  pool_ops: lf_stack

protocols:
  # Also recognise enabled protocols on ports not listed below, from the
  # first bytes of each connection (Redis on 6380, HTTP on 3000...).
  # false = listed ports only: cheaper, but traffic on unexpected ports
  # goes unanalyzed.
  detect_by_content: true
  # For each protocol: enabled: false turns it off everywhere (its ports
  # and content detection). ports: numbers or "low-high" ranges, e.g.
  # [80, "8000-8010"]; a port belongs to one protocol only.
"""#

    private static let referenceTail = #"""
flows:
  # Flow events, as Packetbeat's flows: per TCP connection, UDP or IP
  # conversation, packets and bytes each way and duration, written to the
  # event outputs next to the transactions.
  enabled: false
  # Report each live flow this often, so long connections show before they
  # end; 0 = a single event when the flow ends. 0, or 1s-24h.
  period: 10s

outputs:
  # Events on standard output: json (one object per line) or text (one
  # readable line per event). Handy under a supervisor that collects stdout.
  stdout:
    enabled: false
    format: json
  # Events as JSON lines in a rotating file. Its directory is created when
  # missing.
  file:
    enabled: true
    path: /var/log/dpdkscope/events.ndjson
    # Start a new file when the current one would grow past this size
    # (4KiB-1TiB).
    rotate_bytes: 10MiB
    # Rotated files kept besides the current one (0-10000); older ones are
    # deleted. Disk use is at most about (keep + 1) * rotate_bytes.
    keep: 7
    # Mode of the files, in octal, quoted. World-writable modes are refused
    # (anyone could forge events); "0640" lets the group (a log shipper) read.
    permissions: "0600"
  # The captured packets as pcapng files (Wireshark, tshark), rotating as
  # above. For looking at the packets behind an odd event.
  dumpfile:
    enabled: false
    path: /var/lib/dpdkscope/dump.pcapng
    rotate_bytes: 100MiB
    keep: 5
    # Bytes of each packet written (1-262144); the analyzers still get
    # captures[].snaplen bytes. Lower it to keep headers only.
    snaplen: 65535
  # Prometheus metrics at http://address:port/metrics: transactions, their
  # durations and sizes by protocol, method and outcome, capture counters.
  metrics:
    enabled: true
    # Address to listen on (an IP address, not a host name). 127.0.0.1
    # keeps it on this host; 0.0.0.0 or :: for a remote Prometheus (then
    # firewall the port).
    address: 127.0.0.1
    port: 9091
    # Opt-in extra labels: server (server address) and vlan (VLAN id).
    # Each multiplies the number of series. Changed by a reload, counters
    # count on: series of the old labels keep their last value.
    labels: []
    # Most distinct values one label may take (1-100000); beyond it values
    # are folded together, so traffic cannot grow the series without bound.
    max_label_values: 100
  # Events to an OpenTelemetry backend (a Collector, Jaeger, Tempo...) over
  # OTLP/HTTP with protobuf, gzip-compressed: each transaction as a span
  # (trace id from the request's traceparent when it has one), every event
  # (transactions and flows) as a log record with its ECS fields as
  # attributes. A slow or absent backend never slows the capture: events
  # wait in outputs.spool and are sent in order once it answers; 429, 502,
  # 503 and 504 are retried with back-off (Retry-After honoured), other
  # refusals are dropped and counted (one log line each).
  otlp:
    enabled: false
    # Base URL: /v1/traces and /v1/logs are appended.
    endpoint: http://127.0.0.1:4318
    # Sent with every request, e.g. { Authorization: "Bearer ..." }. Values
    # are never printed.
    headers: {}
    traces: true
    logs: true
    # Spans or log records per request (1-65536).
    batch_size: 512
    # Longest a partial batch waits before it is sent (10ms-1h).
    interval: 1s
    # Per request (100ms-10m); also what SIGTERM waits to send the rest.
    timeout: 10s
    # Events held in memory for the output's thread (1-16777216); past it
    # new events are dropped and counted.
    queue_size: 65536
    # For an https endpoint signed by a private CA: a PEM file of the
    # certificates to trust instead of the system's. null: the system's.
    tls_ca_file: null
  # The /metrics series pushed to Prometheus (--web.enable-remote-write-
  # receiver), VictoriaMetrics, Mimir... by remote-write 1.0 (protobuf,
  # snappy), every interval, stamped with the moment they were read. Needs
  # outputs.metrics. 5xx and 429 are retried with back-off, other refusals
  # dropped and counted; the spool keeps pushes while the receiver is down.
  remote_write:
    enabled: false
    url: http://127.0.0.1:9090/api/v1/write
    # Sent with every request (e.g. Authorization). Never printed.
    headers: {}
    # Added to every series, so one receiver tells hosts apart. host is
    # this machine's name unless given here.
    external_labels: {}
    # Between pushes (1s-1h).
    interval: 15s
    # Per request (100ms-10m).
    timeout: 10s
    # As for otlp: a PEM file of certificates to trust for https.
    tls_ca_file: null
  # Every event (transactions and flows) as one Kafka message, its JSON
  # line as the value, through librdkafka. The key is the event's
  # network.community_id, so a flow's transactions and flow events land in
  # one partition, in order. A broker that is down or slow never slows the
  # capture: events wait in outputs.spool and are sent in order once it
  # answers (delivery is at least once; acks: all also turns on
  # librdkafka's idempotent producer).
  kafka:
    enabled: false
    # Bootstrap brokers, host:port.
    brokers: ["127.0.0.1:9092"]
    # A topic, or a template: {dataset} becomes the event's event.dataset
    # (http, dns, redis, mysql, pgsql, memcache, icmp, tls, flow), e.g.
    # dpdkscope-{dataset}.
    topic: dpdkscope
    # none, gzip, snappy, lz4 or zstd.
    compression: none
    # all (every in-sync replica), 1 (the leader) or 0 (none).
    acks: all
    # Events handed to librdkafka at a time (1-65536), and the longest a
    # partial batch waits (10ms-1h).
    batch_size: 1024
    interval: 500ms
    # How long a message may take to be acknowledged (1s-10m;
    # librdkafka's message.timeout.ms); also what SIGTERM waits.
    timeout: 10s
    # Events held in memory for the output's thread (1-16777216).
    queue_size: 65536
    # librdkafka configuration properties passed as they are, after the
    # keys above: security.protocol, sasl.mechanism, sasl.username,
    # sasl.password, ssl.ca.location, linger.ms... --check-config asks
    # librdkafka whether it accepts them. Values are never printed.
    properties: {}
  # Where exported events wait while their backend is down or slow: one
  # directory per output (otlp_traces, otlp_logs, remote_write, kafka)
  # under path, files 0600.
  # Past max_bytes (per output, 64KiB-4TiB) the oldest batches are dropped
  # and counted in dpdkscope_output_dropped_total. What is left at exit is
  # sent first at the next start. enabled: false keeps the backlog in
  # memory (queue_size events) and loses it at exit (counted).
  spool:
    enabled: true
    path: /var/lib/dpdkscope/spool
    max_bytes: 1GiB

# Bounds on memory and time: what one busy or hostile peer can make the
# agent hold. Raise them when the agent reports evictions you care about.
limits:
  # TCP connections analyzed at once (1-16777216); beyond it the least
  # recently active one is dropped.
  max_connections: 65536
  # Requests awaiting their response on one connection (pipelining,
  # 1-1048576); beyond it the oldest is reported unanswered.
  max_pending_per_connection: 1024
  # Requests awaiting a response over UDP and ICMP, all clients together,
  # per table: DNS queries, Memcached requests over UDP, ICMP echo
  # requests (and the echoes answered within the timeout, kept to spot
  # duplicates) each have a table this size (1-16777216).
  max_pending_dns_queries: 65536
  # HTTP start line plus headers of one message (256 bytes-16MiB); a longer
  # one is reported as oversized and skipped.
  max_header_bytes: 64KiB
  # Most of one message an analyzer buffers, e.g. a DNS-over-TCP message or
  # a kept body (512 bytes-1GiB). Other bodies are counted, never buffered.
  max_message_bytes: 10MiB
  # A request without a response after this long is reported unanswered
  # (1ms-1h). Raise it for slow backends such as long SQL queries.
  transaction_timeout: 10s
  # Flows tracked at once for flow events (1-67108864).
  flow_table_size: 65536
  # Out-of-order TCP data held per connection and direction while a
  # missing segment is awaited; beyond it the hole is skipped as a gap.
  stream_bytes_per_direction: 256KiB
  # The same, over all connections together (at least
  # stream_bytes_per_direction).
  stream_memory_bytes: 64MiB

redaction:
  # Blank out credentials in events: HTTP Authorization and
  # Proxy-Authorization headers, cookie values, SQL authentication. Turn it
  # off only where seeing them is worth the risk (a lab).
  credentials: true
"""#
}

extension ProtocolOption.Value {
    /// The value as the reference file writes it.
    var yaml: String {
        switch self {
        case .flag(let on): on ? "true" : "false"
        case .messageBytes(let bytes): String(bytes)
        case .mediaTypes(let types): "[" + types.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        }
    }
}
