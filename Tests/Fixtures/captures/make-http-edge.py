#!/usr/bin/env python3
"""Builds http-edge.pcap: the HTTP/1 edge cases of issue 17, one TCP
connection each to port 80, packed by hand (the odd bytes are the point:
no well-behaved client or server sends them on request).

  40401  chunked response with a bad chunk size after the first chunk
  40402  chunked response whose chunk is not followed by CRLF
  40403  POST with extra spaces in the request line (nginx and Apache accept it)
  40404  HTTP/0.9 request "GET /" (no version), answered by a bare body
  40405  request whose headers never finish: the client closes mid-headers
  40406  request line cut off by the close ("GET /par")
  40407  the HTTP/2 connection preface and SETTINGS frames (prior knowledge)
  40408  a response 15 s after its request (past the 10 s transaction
         timeout), with another connection (40410) busy 12 s in
  40409  a request reset by the client, then a new connection on the same
         ports (port reuse, new initial sequence numbers) that is answered
  40411  HTTP to TCP port 53 (DNS's port): the content says HTTP

tshark reads the same file in HTTPEdgeOracleTests. Deterministic.

usage: make-http-edge.py [OUTDIR]   (default: this script's directory)
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pcapbuild import TCPConnection, write_pcap

GET = b"GET /%s HTTP/1.1\r\nHost: 10.99.0.1\r\nUser-Agent: edge\r\n\r\n"
CHUNKED = b"HTTP/1.1 200 OK\r\nServer: edge\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
SETTINGS = b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"  # empty SETTINGS frame, stream 0


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    frames = []

    bad_size = TCPConnection(frames, 40401)
    bad_size.send(GET % b"chunk-bad-size")
    bad_size.send(CHUNKED + b"5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n", from_client=False)
    bad_size.close(server_first=True)

    no_crlf = TCPConnection(frames, 40402)
    no_crlf.send(GET % b"chunk-no-crlf")
    no_crlf.send(CHUNKED + b"4\r\nabcdXY\r\n0\r\n\r\n", from_client=False)
    no_crlf.close(server_first=True)

    spaces = TCPConnection(frames, 40403)
    spaces.send(b"POST  /  HTTP/1.0\r\nHost: 10.99.0.1\r\nContent-Length: 0\r\n\r\n")
    spaces.send(b"HTTP/1.1 200 OK\r\nServer: edge\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", from_client=False)
    spaces.close(server_first=True)

    simple = TCPConnection(frames, 40404)
    simple.send(b"GET /\r\n")
    simple.send(b"<html>0.9</html>\n", from_client=False)
    simple.close(server_first=True)

    headers = TCPConnection(frames, 40405)
    headers.send(b"GET /never-finished HTTP/1.1\r\nHost: 10.99.0.1\r\nUser-Ag")
    headers.close()

    line = TCPConnection(frames, 40406)
    line.send(b"GET /par")
    line.close()

    preface = TCPConnection(frames, 40407)
    preface.send(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + SETTINGS)
    preface.send(SETTINGS, from_client=False)
    preface.close()

    late = TCPConnection(frames, 40408)
    late.send(GET % b"slow")
    # Other traffic meanwhile (a busy link: time moves on): the transaction
    # timeout passes while the slow request's connection stays open.
    first = len(frames)
    busy = TCPConnection(frames, 40410)
    frames[first] = (12, frames[first])
    busy.send(GET % b"busy")
    busy.send(b"HTTP/1.1 204 No Content\r\n\r\n", from_client=False)
    busy.close()
    late.send(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow", from_client=False, after=3)
    late.close()

    reset = TCPConnection(frames, 40409)
    reset.send(GET % b"reset")
    reset.reset()
    reused = TCPConnection(frames, 40409, isn=(90000, 70000))
    reused.send(GET % b"reused")
    reused.send(b"HTTP/1.1 204 No Content\r\n\r\n", from_client=False)
    reused.close()

    elsewhere = TCPConnection(frames, 40411, server_port=53)
    elsewhere.send(GET % b"on-53")
    elsewhere.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", from_client=False)
    elsewhere.close()

    write_pcap(os.path.join(out, "http-edge.pcap"), frames)


if __name__ == "__main__":
    main()
