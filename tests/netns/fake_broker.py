#!/usr/bin/env python3
"""A stand-in for Hurricane Electric's endpoint update (/nic/update), for
tests/netns/t_update.sh. Run it inside a throwaway network namespace: it
listens on 127.0.0.1 (an ephemeral port, written to --port-file once
listening) and lives at most --lifetime seconds or --max-requests requests.

--mode serve answers like the broker, by tunnel id (the `hostname` query):
  1001 good IP      1002 nochg IP     1004 abuse       1005 nohost
  1006 !yours       1007 911          1008 other text  1401 HTTP 401
  1404 HTTP 404     1500 HTTP 500     1503 HTTP 503 on the first request
                                                      for it, then good IP
  anything else: nohost
IP is myip when given, else the client's address. Wrong basic auth (user,
or the key of --key-file) is answered "badauth" before any of that.
--mode hang accepts connections and never answers (for the timeout test).

Each request is logged to --log as one JSON line (method, path, hostname,
myip, user, auth ok or not, status); the key itself never is.
"""
import argparse
import base64
import ipaddress
import json
import os
import select
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

ANSWERS = {
    "1004": "abuse",
    "1005": "nohost",
    "1006": "!yours",
    "1007": "911",
    "1008": "Tunnel endpoint is not ICMP pingable",
}
HTTP_ERRORS = {"1401": 401, "1404": 404, "1500": 500}


def write_port(path, port):
    """Publish the port atomically so that the test never reads half of it."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, path)


class Handler(BaseHTTPRequestHandler):
    server_version = "fake-broker/1"

    def log_message(self, fmt, *args):  # quiet: the JSON log is enough
        pass

    def credentials(self):
        """(user, key) from a basic Authorization header, or (None, None)."""
        h = self.headers.get("Authorization", "")
        if not h.startswith("Basic "):
            return None, None
        try:
            user, _, key = base64.b64decode(h[6:], validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None, None
        return user, key

    def reply(self, status, text, record):
        self.server.handled += 1
        record["status"] = status
        record["answer"] = text
        with open(self.server.args.log, "a") as f:
            f.write(json.dumps(record) + "\n")
        body = (text + "\n").encode()
        self.send_response(status)
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="tunnelbroker"')
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        q = parse_qs(url.query, keep_blank_values=True)
        hostname = q.get("hostname", [None])[0]
        myip = q.get("myip", [None])[0]
        user, key = self.credentials()
        auth_ok = user == self.server.args.user and key == self.server.key
        record = {"method": "GET", "path": url.path, "hostname": hostname, "myip": myip,
                  "user": user, "auth": "ok" if auth_ok else "bad",
                  "query_keys": sorted(q.keys())}
        if url.path != "/nic/update":
            return self.reply(404, "not found", record)
        if hostname in HTTP_ERRORS:
            code = HTTP_ERRORS[hostname]
            return self.reply(code, "Unauthorized" if code == 401 else "error %d" % code, record)
        if not auth_ok:
            return self.reply(200, "badauth", record)
        if hostname is None:
            return self.reply(200, "notfqdn", record)
        ip = myip if myip is not None else self.client_address[0]
        try:
            ipaddress.IPv4Address(ip)
        except ValueError:
            return self.reply(200, "invalid myip", record)
        if hostname == "1503":
            seen = self.server.seen.get(hostname, 0)
            self.server.seen[hostname] = seen + 1
            if seen == 0:
                return self.reply(503, "try later", record)
            return self.reply(200, "good " + ip, record)
        if hostname == "1001":
            return self.reply(200, "good " + ip, record)
        if hostname == "1002":
            return self.reply(200, "nochg " + ip, record)
        return self.reply(200, ANSWERS.get(hostname, "nohost"), record)


def serve(args, deadline):
    srv = HTTPServer(("127.0.0.1", 0), Handler)
    srv.args = args
    srv.seen = {}
    srv.handled = 0
    srv.timeout = 0.2
    srv.key = None
    if args.key_file:
        with open(args.key_file) as f:
            srv.key = f.read().strip()
    write_port(args.port_file, srv.server_address[1])
    # handle_request() also returns after srv.timeout without a request
    while time.monotonic() < deadline and srv.handled < args.max_requests:
        srv.handle_request()
    srv.server_close()


def hang(args, deadline):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    write_port(args.port_file, s.getsockname()[1])
    held = []
    while time.monotonic() < deadline and len(held) < args.max_requests:
        r, _, _ = select.select([s], [], [], 0.2)
        if r:
            c, _ = s.accept()
            held.append(c)  # read nothing, answer nothing
            with open(args.log, "a") as f:
                f.write(json.dumps({"connection": len(held)}) + "\n")
    time.sleep(max(0.0, min(1.0, deadline - time.monotonic())))
    for c in held:
        c.close()
    s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--mode", choices=("serve", "hang"), default="serve")
    p.add_argument("--user", default="alice")
    p.add_argument("--key-file")
    p.add_argument("--max-requests", type=int, default=100)
    p.add_argument("--lifetime", type=float, default=30.0)
    args = p.parse_args()
    deadline = time.monotonic() + min(args.lifetime, 30.0)
    (serve if args.mode == "serve" else hang)(args, deadline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
