#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""A tiny HTTP(S) server standing in for "a host on the internet" in the
local demo (run.sh) and the end-to-end test: it answers every GET with a
short text naming itself, so a caller can tell it got through.

    target.py [--name NAME] [--tls CERT KEY] [--pidfile F] ADDR:PORT ...

Each ADDR:PORT is one listener ([::1]:PORT for IPv6).  With --tls every
listener speaks HTTPS with the given certificate.  Runs until SIGTERM.
"""
import argparse
import http.server
import signal
import socket
import ssl
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "sandgate-demo-target"
    sys_version = ""

    def do_GET(self):
        body = "sandgate demo target %s: you reached %s via %s\n" % (
            self.server.sg_name, self.path, self.headers.get("Host", "-"))
        if self.path == "/headers":
            # What the proxy forwarded: the test checks that neither
            # Proxy-Authorization nor the token reach the target.
            body += "".join("%s: %s\n" % kv for kv in self.headers.items())
        body = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.client_address[0], fmt % args))
        sys.stderr.flush()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def listener(spec, name, tls):
    host, _, port = spec.rpartition(":")
    host = host.strip("[]")
    cls = Server
    if ":" in host:
        class Server6(Server):
            address_family = socket.AF_INET6
        cls = Server6
    srv = cls((host, int(port)), Handler)
    srv.sg_name = name
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls[0], tls[1])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    return srv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", default="demo")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--pidfile")
    ap.add_argument("listen", nargs="+")
    a = ap.parse_args()
    servers = []
    for spec in a.listen:
        try:
            servers.append(listener(spec, a.name, a.tls))
        except OSError as e:
            # An IPv6 loopback may be missing; IPv4 is enough then.
            if ":" in spec.rpartition(":")[0] and len(a.listen) > 1:
                sys.stderr.write("skipping %s: %s\n" % (spec, e))
                continue
            raise
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    if a.pidfile:
        import os
        with open(a.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    for s in servers:
        s.shutdown()


if __name__ == "__main__":
    main()
