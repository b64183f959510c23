#!/usr/bin/env python3
"""A registry token server (the distribution spec's Bearer flow) for tests.

  token_server.py DIR USER:PASSWORD

Listens on a free loopback port, written to DIR/port.  GET /token answers
every scope it is asked for with a JWT signed (RS256, by openssl) with
DIR/key.pem, whose certificate DIR/cert.pem goes in the token's x5c header:
Debian's docker-registry trusts it when its rootcertbundle is that
certificate.  A client with USER:PASSWORD (HTTP Basic) gets every action it
asks for; an anonymous one only "pull"; wrong credentials get a 401.  Each
request's account and scopes are appended to DIR/requests, one line each.
"""
import base64
import http.server
import json
import os
import subprocess
import sys
import time
import urllib.parse


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def main():
    state, creds = sys.argv[1], sys.argv[2]
    der = subprocess.run(["openssl", "x509", "-in", os.path.join(state, "cert.pem"),
                          "-outform", "DER"], check=True, stdout=subprocess.PIPE).stdout

    def sign(claims):
        head = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        text = b64url(json.dumps(head).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign",
                              os.path.join(state, "key.pem")],
                             input=text.encode(), check=True, stdout=subprocess.PIPE).stdout
        return text + "." + b64url(sig)

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            if url.path != "/token":
                self.send_error(404)
                return
            q = urllib.parse.parse_qs(url.query)
            auth = self.headers.get("Authorization", "")
            account = ""
            if auth.startswith("Basic "):
                if base64.b64decode(auth[6:]).decode() != creds:
                    self.send_response(401)
                    self.end_headers()
                    return
                account = creds.split(":")[0]
            access = []
            for scope in q.get("scope", []):
                for one in scope.split(" "):
                    parts = one.split(":")
                    if len(parts) != 3:
                        continue
                    actions = parts[2].split(",")
                    if not account:
                        actions = [a for a in actions if a == "pull"]
                    access.append({"type": parts[0], "name": parts[1], "actions": actions})
            with open(os.path.join(state, "requests"), "a") as f:
                f.write("%s %s\n" % (account or "-", " ".join(q.get("scope", []))))
            now = int(time.time())
            token = sign({"iss": "pier-test", "sub": account, "aud": q.get("service", [""])[0],
                          "exp": now + 300, "nbf": now - 10, "iat": now,
                          "jti": b64url(os.urandom(12)), "access": access})
            body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(os.path.join(state, "port.tmp"), "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(os.path.join(state, "port.tmp"), os.path.join(state, "port"))
    server.serve_forever()


main()
