#!/usr/bin/env python3
"""Clients for t_api.sh that the AWS CLI cannot be: requests signed by
botocore at a chosen clock, many connections at once, and slow ones.

  api_client.py post URL CREDS TARGET BODYFILE [MINUTES]
      one request signed with CREDS (a shared-credentials file, profile
      ecsfs; "-" for unsigned) as of MINUTES from now (default 0);
      prints "STATUS BODY"
  api_client.py flood URL CREDS TARGET N [FILE]
      open N connections, then send one signed request on each, then read
      every answer; prints "connected N answered N statuses {...}"; with
      FILE, also reads FILE (a file of the mount) while all N are open,
      before and after the requests are sent, and adds "file read K times"
  api_client.py loris URL N HOLD
      open N connections that each send half a request header, then wait
      up to HOLD seconds for the server to close them; prints
      "closed K of N after S s" (run it in the background)
"""
import configparser
import datetime
import json
import socket
import sys
import time
import urllib.parse

from botocore import auth as boto_auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def credentials(path):
    cp = configparser.ConfigParser()
    cp.read(path)
    return Credentials(cp["ecsfs"]["aws_access_key_id"], cp["ecsfs"]["aws_secret_access_key"])


def signed(url, creds_path, target, body, minutes=0.0):
    """The request's bytes: signed by botocore with its clock moved."""
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
    req = AWSRequest(method="POST", url=url + "/", data=body, headers=headers)
    if creds_path != "-":
        # add_auth's steps with a timestamp of our choosing (botocore reads
        # its own clock inside add_auth)
        when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=minutes)
        signer = boto_auth.SigV4Auth(credentials(creds_path), "ecs", "us-east-1")
        req.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
        signer._modify_request_before_signing(req)
        canonical = signer.canonical_request(req)
        signature = signer.signature(signer.string_to_sign(req, canonical), req)
        signer._inject_signature_to_request(req, signature)
    host = urllib.parse.urlsplit(url).netloc
    lines = ["POST / HTTP/1.1", "Host: " + host, "Connection: close",
             "Content-Length: %d" % len(body)]
    lines += ["%s: %s" % (k, v) for k, v in req.headers.items() if k.lower() != "host"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def address(url):
    u = urllib.parse.urlsplit(url)
    return (u.hostname, u.port)


def read_answer(sock):
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def status_of(answer):
    try:
        return int(answer.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def post(url, creds_path, target, body_file, minutes="0"):
    with open(body_file, "rb") as f:
        body = f.read()
    s = socket.create_connection(address(url), timeout=30)
    s.sendall(signed(url, creds_path, target, body, float(minutes)))
    answer = read_answer(s)
    s.close()
    print(status_of(answer), answer.split(b"\r\n\r\n", 1)[-1].decode(errors="replace"))


def read_file(path):
    try:
        with open(path, "rb") as f:
            return 1 if f.read() else 0
    except OSError:
        return 0


def flood(url, creds_path, target, n, path=None):
    n = int(n)
    reads = 0
    request = signed(url, creds_path, target, b"{}")
    socks = []
    for _ in range(n):
        s = socket.create_connection(address(url), timeout=60)
        socks.append(s)
    if path:
        reads += read_file(path)
    for s in socks:
        s.sendall(request)
    if path:
        reads += read_file(path)
    statuses = {}
    answered = 0
    for s in socks:
        try:
            answer = read_answer(s)
        except OSError:
            answer = b""
        code = status_of(answer)
        if code and b"x-amzn-RequestId" in answer:
            answered += 1
        statuses[code] = statuses.get(code, 0) + 1
        s.close()
    print("connected %d answered %d statuses %s" % (len(socks), answered, json.dumps(statuses))
          + (" file read %d times" % reads if path else ""))


def loris(url, n, hold):
    n, hold = int(n), float(hold)
    socks = []
    for _ in range(n):
        s = socket.create_connection(address(url), timeout=5)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AmazonEC2Cont")
        s.setblocking(False)
        socks.append(s)
    print("holding %d" % n, flush=True)
    start = time.monotonic()
    open_ = set(range(n))
    while open_ and time.monotonic() - start < hold:
        for i in list(open_):
            try:
                if socks[i].recv(65536) == b"":
                    open_.discard(i)
            except BlockingIOError:
                pass
            except OSError:
                open_.discard(i)
        time.sleep(0.2)
    print("closed %d of %d after %d s" % (n - len(open_), n, round(time.monotonic() - start)))
    sys.stdout.flush()


if __name__ == "__main__":
    {"post": post, "flood": flood, "loris": loris}[sys.argv[1]](*sys.argv[2:])
