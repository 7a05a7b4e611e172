#!/usr/bin/env python3
# A STAND-IN for the Kubernetes API server, for the upstream-mode VM test only: a TLS server that,
# like an API server started with --client-ca-file, accepts a client only with a certificate that
# chains to the given CA (kcc-verify's issuing CA), and answers every request with the user and
# groups it maps the certificate to (CN and O) and its serial. It prints "listening on PORT" once
# bound and one line per connection: "accepted serial=HEX user=... groups=..." or "refused: ...".
import argparse
import socket
import ssl
import sys

p = argparse.ArgumentParser()
p.add_argument("--cert", required=True)
p.add_argument("--key", required=True)
p.add_argument("--client-ca", required=True)
a = p.parse_args()

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
ctx.load_cert_chain(a.cert, a.key)
ctx.load_verify_locations(a.client_ca)
ctx.verify_mode = ssl.CERT_REQUIRED

srv = socket.create_server(("127.0.0.1", 0))
print("listening on %d" % srv.getsockname()[1], flush=True)
while True:
    conn, _ = srv.accept()
    try:
        tls = ctx.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError) as e:
        print("refused: %s" % e, flush=True)
        conn.close()
        continue
    try:
        c = tls.getpeercert()
        subject = dict(x[0] for x in c["subject"])
        line = "serial=%s user=%s groups=%s" % (c["serialNumber"], subject.get("commonName"),
                                                 subject.get("organizationName"))
        print("accepted " + line, flush=True)
        tls.settimeout(10)
        tls.recv(4096)
        body = ("API server stand-in: " + line + "\n").encode()
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        tls.close()
    except (ssl.SSLError, OSError) as e:
        print("connection error: %s" % e, flush=True)
        conn.close()
