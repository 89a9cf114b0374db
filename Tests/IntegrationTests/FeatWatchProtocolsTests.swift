import Foundation
import ScopeTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension Integration.Watch {
    /// Beyond HTTP and DNS: real redis-cli against redis-server, a memcached
    /// text-protocol client, and ping, through the tap testbed (servers in
    /// namespace B, clients in A); each transaction reported exactly once.
    @Test func redisMemcachedAndPingAreReportedOnceEach() throws {
        try Harness.checkPrerequisites()
        let dir = ScratchDirectory()
        defer { dir.remove() }
        let testbed = try Testbed.start("tap", prefix: "it-watch3")
        defer { testbed.stop() }
        let a = try #require(testbed.facts["netns-a"]), b = try #require(testbed.facts["netns-b"])
        let addressA = try #require(testbed.facts["ip-a"]), addressB = try #require(testbed.facts["ip-b"])
        let redis = try Subprocess(["ip", "netns", "exec", b, "redis-server", "--bind", addressB, "--port", "6379",
                                    "--save", "", "--appendonly", "no", "--protected-mode", "no", "--dir", dir.path,
                                    "--logfile", dir.file("redis.log")])
        defer { redis.signal(SIGTERM); redis.wait(timeout: 5) }
        let memcached = try Subprocess(["ip", "netns", "exec", b, "memcached", "-l", addressB, "-p", "11211", "-U", "0",
                                        "-u", "nobody"])
        defer { memcached.signal(SIGTERM); memcached.wait(timeout: 5) }
        try testbed.waitForListener(port: 6379)
        try testbed.waitForListener(port: 11211)
        let watch = try Subprocess([Harness.dpdkscope, "watch", "--file-prefix", testbed.prefix, "--json",
                                    "--proto", "redis;memcache;icmp", "--stats"])
        #expect(watch.waitForStderr("Watching"), "\(watch.stderr)")  // said once the capture is enabled

        // Redis: ten one-command connections, then four commands on one.
        let redisLoad = "for i in $(seq 10); do redis-cli -h \(addressB) SET key$i value$i >/dev/null || exit 1; done; "
            + "printf 'GET key1\\nINCR counter\\nDEL key1\\nGET missing\\n' | redis-cli -h \(addressB) >/dev/null"
        let redisClient = try Harness.run(["ip", "netns", "exec", a, "sh", "-c", redisLoad], timeout: 60)
        #expect(redisClient.status == 0, "\(redisClient.stderr)")
        // Memcached text protocol, one connection, each reply read before the next command.
        let memcacheClient = try Harness.run(["ip", "netns", "exec", a, "python3", "-c", Self.memcacheClient, addressB], timeout: 30)
        #expect(memcacheClient.status == 0 && memcacheClient.stdout == "ok\n", "\(memcacheClient.stdout)\(memcacheClient.stderr)")
        let ping = try Harness.run(["ip", "netns", "exec", a, "ping", "-c", "5", "-i", "0.2", "-W", "2", addressB], timeout: 30)
        #expect(ping.status == 0, "\(ping.stdout)\(ping.stderr)")
        usleep(700_000)
        watch.signal(SIGINT)
        #expect(watch.wait(timeout: 10) == 0, "\(watch.stderr)")

        let events = try watch.stdout.split(separator: "\n").map { try jsonObject($0) }
        func of(_ type: String) -> [[String: Any]] { events.filter { $0["type"] as? String == type } }
        let (redisEvents, memcacheEvents, icmpEvents) = (of("redis"), of("memcache"), of("icmp"))
        #expect(events.count == redisEvents.count + memcacheEvents.count + icmpEvents.count)
        // Received packets only (the default): each once, though both ports see it.
        // redis-cli reading commands from stdin first asks COMMAND DOCS (for its hints).
        let redisQueries = redisEvents.compactMap { $0["query"] as? String }
        let asked = (1...10).map { "SET key\($0) value\($0)" } + ["DEL key1", "GET key1", "GET missing", "INCR counter"]
        #expect(redisQueries.filter { $0 != "COMMAND DOCS" }.sorted() == asked.sorted(), "\(redisQueries)")
        #expect(redisQueries.filter { $0 == "COMMAND DOCS" }.count <= 1 && redisQueries.count == redisEvents.count)
        #expect(redisEvents.allSatisfy { $0["status"] as? String == "OK" })

        let memcacheQueries = memcacheEvents.compactMap { $0["query"] as? String }
        let expectedMemcache = (1...5).map { "set k\($0)" } + ["set n", "get k1 k2 k3", "incr n", "delete k1", "get missing", "version"]
        #expect(memcacheQueries == expectedMemcache, "\(memcacheQueries)")
        let protocols = Set(memcacheEvents.compactMap { ($0["memcache"] as? [String: Any])?["protocol_type"] as? String })
        #expect(protocols == ["text"])

        let echoes = icmpEvents.compactMap { event -> Int? in
            let icmp = event["icmp"] as? [String: Any]
            guard (icmp?["request"] as? [String: Any])?["type"] as? Int == 8,
                  (icmp?["response"] as? [String: Any])?["type"] as? Int == 0,
                  (event["client"] as? [String: Any])?["ip"] as? String == addressA else { return nil }
            return (icmp?["request"] as? [String: Any])?["seq"] as? Int
        }
        #expect(echoes.sorted() == [1, 2, 3, 4, 5] && icmpEvents.count == 5, "\(icmpEvents)")

        #expect(events.count == redisQueries.count + 11 + 5)
        #expect(watch.stderr.contains("Transactions: \(events.count)"), "\(watch.stderr)")
        for name in ["redis", "memcache", "icmp"] {
            #expect(watch.stderr.contains("\(name)_unmatched_requests=0") && watch.stderr.contains("\(name)_unmatched_responses=0"),
                    "\(watch.stderr)")
        }
    }

    /// A memcached text-protocol client: argv[1] is the server. Prints "ok"
    /// when every reply was the one expected.
    static let memcacheClient = """
        import socket, sys
        s = socket.create_connection((sys.argv[1], 11211), timeout=5)
        def ask(command, end):
            s.sendall(command)
            reply = b""
            while not reply.endswith(end):
                chunk = s.recv(4096)
                if not chunk: sys.exit("closed after %r" % reply)
                reply += chunk
            return reply
        for i in range(1, 6):
            assert ask(b"set k%d 0 0 6\\r\\nvalue%d\\r\\n" % (i, i), b"\\r\\n") == b"STORED\\r\\n"
        assert ask(b"set n 0 0 1\\r\\n5\\r\\n", b"\\r\\n") == b"STORED\\r\\n"
        assert ask(b"get k1 k2 k3\\r\\n", b"END\\r\\n").count(b"VALUE") == 3
        assert ask(b"incr n 3\\r\\n", b"\\r\\n") == b"8\\r\\n"
        assert ask(b"delete k1\\r\\n", b"\\r\\n") == b"DELETED\\r\\n"
        assert ask(b"get missing\\r\\n", b"END\\r\\n") == b"END\\r\\n"
        assert ask(b"version\\r\\n", b"\\r\\n").startswith(b"VERSION ")
        s.close()
        print("ok")
        """
}
