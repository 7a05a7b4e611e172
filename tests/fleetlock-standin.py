#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""FleetLock stand-in: a small server of the FleetLock protocol (the reboot lock Flatcar's and
Fedora CoreOS's Zincati take), for kcc-update's pull mode in tests (docs/upgrades.md, "Pull mode").

A counting semaphore of SLOTS per group, owned by client id, recursive:
  POST /v1/pre-reboot   {"client_params":{"id":ID,"group":G}}  200 when ID holds or gets a slot,
                        409 {"kind":"failed_lock","value":...} when all slots are held by others
  POST /v1/steady-state (same body)                              200, the slot of ID released if held
Both need the header `fleet-lock-protocol: true` (else 400). Every request is appended to
STATE_DIR/requests.log as "OP ID GROUP CODE"; STATE_DIR/holders lists the holders after each change.
Usage: fleetlock-standin.py PORT SLOTS STATE_DIR [CERT KEY]   (it writes STATE_DIR/ready once
listening; with CERT and KEY, PEM files, it speaks https)
"""
import http.server
import json
import os
import ssl
import sys

PORT, SLOTS, STATE = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
holders = {}  # group -> list of ids


def log(line):
    with open(os.path.join(STATE, "requests.log"), "a") as f:
        f.write(line + "\n")


def save():
    with open(os.path.join(STATE, "holders.tmp"), "w") as f:
        for g, ids in sorted(holders.items()):
            for i in ids:
                f.write(f"{g} {i}\n")
    os.rename(os.path.join(STATE, "holders.tmp"), os.path.join(STATE, "holders"))


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, code, kind=None, value=None):
        body = json.dumps({"kind": kind, "value": value}).encode() if kind else b""
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        op = {"/v1/pre-reboot": "pre-reboot", "/v1/steady-state": "steady-state"}.get(self.path)
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n) if 0 < n < 65536 else b""
        if op is None:
            log(f"? {self.path} - 404")
            return self.answer(404, "not_found", self.path)
        if self.headers.get("fleet-lock-protocol") != "true":
            log(f"{op} - - 400")
            return self.answer(400, "missing_header", "fleet-lock-protocol: true")
        try:
            cp = json.loads(raw)["client_params"]
            cid, group = cp["id"], cp["group"]
            assert isinstance(cid, str) and isinstance(group, str) and cid and group
        except Exception:
            log(f"{op} - - 400")
            return self.answer(400, "bad_body", "expected client_params.id and .group")
        ids = holders.setdefault(group, [])
        if op == "pre-reboot":
            if cid not in ids and len(ids) >= SLOTS:
                log(f"{op} {cid} {group} 409")
                return self.answer(409, "failed_lock", f"all {SLOTS} slot(s) of group {group} held: {' '.join(ids)}")
            if cid not in ids:
                ids.append(cid)
        elif cid in ids:
            ids.remove(cid)
        save()
        log(f"{op} {cid} {group} 200")
        self.answer(200)

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", PORT), Handler)
if len(sys.argv) == 6:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
save()
open(os.path.join(STATE, "ready"), "w").close()
srv.serve_forever()
