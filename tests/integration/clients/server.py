#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
# t-clients' upstream: a directory served over HTTP and HTTPS (a pip
# "simple" index, a static npm registry, a "dumb" git repository and
# /hello), every request path logged to the log file.
#   server.py DIR LOG ADDR HTTP_PORT TLS_PORT CERT KEY
import http.server
import ssl
import sys
import threading

root, log, addr = sys.argv[1], sys.argv[2], sys.argv[3]
http_port, tls_port = int(sys.argv[4]), int(sys.argv[5])
cert, key = sys.argv[6], sys.argv[7]
lock = threading.Lock()


class H(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=root, **kw)

    def log_message(self, fmt, *args):
        with lock, open(log, "a") as f:
            f.write("%s %s\n" % (self.command, self.path))

    def do_GET(self):
        if self.path.split("?")[0] == "/hello" or \
                self.path.startswith("/hello/"):
            body = ("sandgate clients target: " + self.path + "\n").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def guess_type(self, path):
        if path.endswith("/sgdemo-npm") or path.endswith("sgdemo-npm.json"):
            return "application/json"
        return super().guess_type(path)


def serve(port, tls):
    srv = http.server.ThreadingHTTPServer((addr, port), H)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


threading.Thread(target=serve, args=(http_port, False), daemon=True).start()
serve(tls_port, True)
