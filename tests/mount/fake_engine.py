#!/usr/bin/env python3
"""A stand-in Docker Engine on a unix socket: answers /_ping and /version
only. Used to make an engine appear and disappear under a running daemon."""
import http.server
import os
import socketserver
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        path = self.path.split("?")[0]
        if path.endswith("/_ping"):
            body, ctype = b"OK", "text/plain"
        elif path.endswith("/version"):
            body = b'{"Version":"99.0.0-fake","ApiVersion":"%s","MinAPIVersion":"1.12"}' % API.encode()
            ctype = "application/json"
        else:
            body, ctype = b'{"message":"not here"}', "application/json"
            self.send_response(404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Api-Version", API)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        conn, _ = self.socket.accept()
        return conn, ("local", 0)


if __name__ == "__main__":
    sock = sys.argv[1]
    API = sys.argv[2] if len(sys.argv) > 2 else "1.41"
    if os.path.exists(sock):
        os.unlink(sock)
    with Server(sock, Handler) as srv:
        srv.serve_forever()
