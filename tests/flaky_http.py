#!/usr/bin/env python3
"""A deliberately unreliable HTTP/1.1 server on 127.0.0.1, for the network
tests (tests/unit/net_test.cc). Standard library only.

It serves the files under --root (GET, with Range requests answered 206)
and stores PUT bodies there, misbehaving as asked:
  --fail N          answer the first N requests with --fail-status (503)
  --drops K         cut the first K GET responses that carry a body (-1: all)
  --drop-after B    ... after B bytes of body (the headers promise all of it)
  --reset           cut with a TCP reset rather than a clean close
  --stall           instead of cutting, go silent (for client timeouts)
  --ignore-range    answer Range requests with 200 and the whole file
A GET of a folder ("/a/b/") serves its index.json, written by the test as
a JSON folder index in nginx's autoindex format (a board without PROPFIND).
Each request is logged to --log as "METHOD PATH RANGE STATUS".
Prints "port N" on stdout once it accepts connections; runs until killed.
"""
import argparse
import os
import socket
import socketserver
import struct
import sys
import threading
import time

lock = threading.Lock()
counts = {"requests": 0, "drops": 0}


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--log", default=os.devnull)
    p.add_argument("--fail", type=int, default=0)
    p.add_argument("--fail-status", type=int, default=503)
    p.add_argument("--drops", type=int, default=0)
    p.add_argument("--drop-after", type=int, default=0)
    p.add_argument("--reset", action="store_true")
    p.add_argument("--stall", action="store_true")
    p.add_argument("--ignore-range", action="store_true")
    return p.parse_args()


ARGS = parse_args()
REASONS = {200: "OK", 201: "Created", 206: "Partial Content", 404: "Not Found",
           405: "Method Not Allowed", 416: "Range Not Satisfiable", 503: "Service Unavailable"}


def log(method, path, rng, status):
    with lock, open(ARGS.log, "a") as f:
        f.write("%s %s %s %d\n" % (method, path, rng or "-", status))


class Handler(socketserver.BaseRequestHandler):
    def read_request(self):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        return method, path, headers, rest

    def send_head(self, status, headers):
        out = "HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, "Status"))
        for k, v in headers:
            out += "%s: %s\r\n" % (k, v)
        out += "Connection: close\r\n\r\n"
        self.request.sendall(out.encode("latin-1"))

    def simple(self, method, path, rng, status, body=b"", extra=()):
        log(method, path, rng, status)
        self.send_head(status, [("Content-Length", str(len(body)))] + list(extra))
        self.request.sendall(body)

    def cut(self):
        if ARGS.stall:
            while self.request.recv(65536):  # until the client gives up
                pass
            return
        if ARGS.reset:
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.request.close()

    def handle(self):
        req = self.read_request()
        if req is None:
            return
        method, path, headers, rest = req
        rng = headers.get("range")
        with lock:
            counts["requests"] += 1
            failing = counts["requests"] <= ARGS.fail
        if failing:
            return self.simple(method, path, rng, ARGS.fail_status, b"try again later\n")
        local = os.path.join(ARGS.root, path.split("?")[0].lstrip("/"))
        if local.endswith("/"):
            local += "index.json"
        if method == "PUT":
            want = int(headers.get("content-length", "0"))
            body = rest
            while len(body) < want:
                chunk = self.request.recv(65536)
                if not chunk:
                    return
                body += chunk
            os.makedirs(os.path.dirname(local), exist_ok=True)
            with open(local, "wb") as f:
                f.write(body[:want])
            return self.simple(method, path, rng, 201)
        if method != "GET":
            return self.simple(method, path, rng, 405)
        if not os.path.isfile(local):
            return self.simple(method, path, rng, 404, b"not found\n")
        with open(local, "rb") as f:
            data = f.read()
        status, start, extra = 200, 0, []
        if rng and not ARGS.ignore_range:
            spec = rng.split("=", 1)[1]
            first, _, last = spec.partition("-")
            start = int(first)
            end = int(last) + 1 if last else len(data)
            if start >= len(data):
                return self.simple(method, path, rng, 416, b"", [("Content-Range", "bytes */%d" % len(data))])
            status = 206
            extra = [("Content-Range", "bytes %d-%d/%d" % (start, end - 1, len(data)))]
            data = data[start:end]
        log(method, path, rng, status)
        self.send_head(status, [("Content-Length", str(len(data)))] + extra)
        with lock:
            drop = data and (ARGS.drops < 0 or counts["drops"] < ARGS.drops)
            if drop:
                counts["drops"] += 1
        if drop:
            self.request.sendall(data[:ARGS.drop_after])
            time.sleep(0.05)  # let the bytes leave before the cut
            return self.cut()
        self.request.sendall(data)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    server = Server(("127.0.0.1", 0), Handler)
    sys.stdout.write("port %d\n" % server.server_address[1])
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
