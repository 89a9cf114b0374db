// ScopeAnalyzers: application-protocol analyzers over ScopeDecode (pure
// Swift, no DPDK, no Foundation). Packets in, transactions out.
//
// Entry point
//   AnalysisEngine(configuration:) — process(packet, bytes:, timestamp:, emit:)
//   for every decoded packet (what PacketPipeline's `inspect` sees), then
//   finish(emit:). Emits TransactionEvent values: appendJSON(to:) gives one
//   Packetbeat/ECS JSON line, `line` / appendLine(to:) a human summary.
//   counters(for:) and streamCounters expose what was seen and what was lost.
//   Batched: process(packet, bytes:, timestamp:) and finish() leave the
//   events queued; takeEvents(&array) swaps the whole queue out (no copy),
//   for an output thread (`read`'s TransactionOutputThread).
//
// Design (one for every protocol)
//   Core/   ProtocolRegistry (ApplicationProtocol: default ports, transports,
//           content detection), ProtocolSelection (`--proto` grammar), PortMap,
//           TCPSessionTable (the StreamSink given to TCPStreamReassembler:
//           attributes each connection by port, else by the first bytes of
//           either side, and finds the client), StreamAnalyzer (per-connection
//           session protocol), StreamBuffer (the one bounded buffer for pieces
//           straddling segments), FIFOMatcher (pipelined pairing with gap
//           barriers), ExpiringTable (id pairing with timeouts and a cap),
//           AnalyzerCounters, TransactionEvent + EventJSON.
//   HTTP/   incremental parser per direction (HTTPMessageParser: lines only are
//           buffered, bodies counted), HTTPSession (parsers + FIFOMatcher),
//           events (url.*, http.*, user_agent.*), redaction of credentials.
//   DNS/    whole-message parser with bounded name decompression, the engine-
//           wide DNSCorrelator (UDP and TCP share it), DNS-over-TCP framing;
//           question registered_domain/top_level_domain/subdomain from the
//           Public Suffix List (Debian's publicsuffix, loaded once, optional).
//   Redis/  RESP2/RESP3 parser per direction (values counted, at most a capped
//           rendering kept), FIFOMatcher pairing incl. MULTI/EXEC; pub/sub and
//           RESP3 pushes are their own events, never paired with a command.
//   MySQL/  framer per direction (3-byte length + sequence, 16 MiB
//           continuations, ≤ maxMessageSize kept), resynchronisation on a
//           plausible packet start, connection phase for capabilities (auth
//           never kept; TLS ends parsing), FIFOMatcher over commands, response
//           state machine (OK/ERR/result sets with either EOF style; multi-
//           results summed into one transaction), statement table for params.
//   PgSQL/  protocol v3 framing per side (header + needed prefix only;
//           oversized skipped exactly; resync on ReadyForQuery / Sync /
//           Query), a FIFO of client messages the server answers in order;
//           one transaction per statement of a simple Query and per Execute
//           (text via Parse/Bind names); passwords never read.
//
// A new protocol is a case in ApplicationProtocol, a detector, a parser, a
// matcher choice (FIFOMatcher or ExpiringTable) and an event builder.
//
// Decisions
//   - Time is packet time; transaction timeout 10 s (Packetbeat's default),
//     checked once per second of packet time.
//   - Nothing is mispaired to hide a loss: a gap in the response direction
//     gives up the requests queued before it; one in the request direction
//     sets a barrier so a response that began before the next request was
//     complete is reported unmatched. Gaps inside a body of known length are
//     absorbed exactly. HTTP resynchronises on the next start line (also
//     found mid-line after a lost body); DNS over TCP drops the side.
//   - Memory per connection: two line buffers (≤ maxHeaderBytes each) and
//     at most maxPendingPerConnection queued requests; DNS: ≤ 65 535 bytes per
//     TCP side, ≤ maxPendingDNSQueries pending queries. Bodies are never
//     buffered unless bodyCapture names their media type (then ≤ maxCapturedBody).
//   - Events: source/client = the requester; status Error for unmatched,
//     incomplete, HTTP ≥ 400 and DNS RCODE ≠ NOERROR; notes in error.message.
//   - Interim HTTP 1xx (not 101) responses are dropped and counted; 101 and a
//     successful CONNECT end HTTP parsing on the connection.
//
//   Memcache/ text and binary per direction (values counted, never kept), FIFO
//           pairing; quiet binary requests settled by the next opaque; UDP
//           frames paired engine-wide by request id.
//   ICMP/   engine-wide echo pairing (RTT), errors tied to the quoted flow
//           (original 5-tuple and community id); a quoted pending echo takes
//           the error as its response.
//
// Not done yet: MIME sniffing (mime_type comes from Content-Type); HTTP/2. Fuzzing:
// Tests/Fuzz/AnalyzeFuzz.swift (Scripts/fuzz.sh analyze).
