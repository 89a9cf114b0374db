# tls-handshakes.py — load for bench-analyze.sh --per-protocol: COUNT full
# TLS handshakes (stdlib ssl, that is OpenSSL), each on a new connection
# with no session offered back (no resumption), one GET each, until the
# server closes. A count, not a duration: `openssl s_time` for 30 s made
# 7k handshakes on a busy VM and 21k on an idle one, and start-up weighs on
# a small file (BENCHMARKS.md, issue 16).
# argv: host port version(1.2|1.3) count
import socket, ssl, sys

host, port, version, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE  # the bench CA is not the point; the server's chain still travels
pinned = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[version]
context.minimum_version = context.maximum_version = pinned
request = b"GET / HTTP/1.0\r\nHost: bench.example.test\r\n\r\n"
done = failures = 0
while done < count:
    try:
        with socket.create_connection((host, port), timeout=10) as plain:
            with context.wrap_socket(plain, server_hostname="bench.example.test") as tls:
                tls.sendall(request)
                try:
                    while tls.recv(65536):
                        pass
                except (ssl.SSLEOFError, ConnectionResetError):
                    pass  # a close without close_notify still ends the exchange
        done += 1
    except OSError as error:  # ssl.SSLError and timeouts too: counted, the count still made
        failures += 1
        if failures > 100:
            sys.exit(f"tls-handshakes.py: {failures} connections failed after {done} handshakes, the last: {error}")
