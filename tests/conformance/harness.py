"""The machinery of the differential run: the servers, the stand-in Kubernetes API, the
requests, the normalisation of what is random, and the comparison."""

import fnmatch
import http.server
import json
import os
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import jwt as jwts

ROOT = "conformance-root"


def free_port(pair: bool = False) -> int:
    """A free loopback port (with the next one free too, for bao's cluster listener)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if not pair:
            return port
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port pair")


class StandInKubernetes:
    """Kubernetes' API as far as the Kubernetes auth method uses it: TokenReview (a token is
    authenticated unless revoked, for the audiences it carries) and namespaces' labels."""

    def __init__(self):
        self.revoked = set()
        # Namespace name -> labels, for roles with a namespace selector.
        self.namespaces = {"grade-api": {"team": "grades", "kubernetes.io/metadata.name": "grade-api"},
                           "payment": {"team": "payments", "kubernetes.io/metadata.name": "payment"},
                           # The YAML 1.1 selector's labels (run.py, role selector-yaml11).
                           "yaml11": {"flag": "true", "mode": "false", "tier": "15", "eight": "8",
                                      "size": "1000", "bits": "5", "true": "false", "loud": "true",
                                      "never": "false", "octal": "15", "hex": "31", "plus": "5",
                                      "float": "10.5", "exp": "1000", "half": "0.5", "lead": "9.5",
                                      "empty": "", "word": "yess",
                                      "kubernetes.io/metadata.name": "yaml11"}}
        self.reviews = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                prefix = "/api/v1/namespaces/"
                name = self.path[len(prefix):] if self.path.startswith(prefix) else None
                labels = outer.namespaces.get(name) if name else None
                if labels is None:
                    status, answer = 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                           "message": f'namespaces "{name}" not found', "reason": "NotFound",
                                           "code": 404}
                else:
                    status, answer = 200, {"kind": "Namespace", "apiVersion": "v1",
                                           "metadata": {"name": name, "labels": labels}}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path != "/apis/authentication.k8s.io/v1/tokenreviews":
                    self.send_response(404)
                    self.end_headers()
                    return
                outer.reviews += 1
                answer = outer.review(body.get("spec", {}))
                data = json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                                   "status": answer}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def review(self, spec: dict) -> dict:
        token = spec.get("token", "")
        if token in self.revoked:
            return {"authenticated": False, "error": "[invalid bearer token, service account token has been invalidated]"}
        try:
            claims = jwts.payload(token)
        except Exception:
            return {"authenticated": False, "error": "invalid bearer token"}
        nested = claims.get("kubernetes.io") or {}
        sa = nested.get("serviceaccount") or {}
        namespace = nested.get("namespace") or claims.get("kubernetes.io/serviceaccount/namespace", "")
        name = sa.get("name") or claims.get("kubernetes.io/serviceaccount/service-account.name", "")
        uid = sa.get("uid") or claims.get("kubernetes.io/serviceaccount/service-account.uid", "")
        aud = claims.get("aud", [])
        aud = [aud] if isinstance(aud, str) else aud
        wanted = spec.get("audiences") or []
        audiences = [a for a in aud if a in wanted] if wanted else aud
        if wanted and not audiences:
            return {"authenticated": False, "error": "token audiences are invalid for the target audiences"}
        return {"authenticated": True, "audiences": audiences,
                "user": {"username": f"system:serviceaccount:{namespace}:{name}", "uid": uid,
                         "groups": ["system:serviceaccounts", f"system:serviceaccounts:{namespace}"]}}

    def stop(self):
        self.server.shutdown()


class Server:
    """A running Vault-compatible server and its HTTP client."""

    def __init__(self, name: str, argv: list, url: str, log_path: str):
        self.name = name
        self.url = url
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        self.tokens = {}

    def wait(self, log_path: str = "", address_pattern: str = ""):
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log.name}")
            if address_pattern and not self.url:
                with open(log_path) as f:
                    found = re.search(address_pattern, f.read())
                if found:
                    self.url = found.group(1)
            if self.url:
                try:
                    with urllib.request.urlopen(self.url + "/v1/sys/health", timeout=2) as r:
                        if r.status == 200:
                            return
                except Exception:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start: see {self.log.name}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

    def call(self, method: str, path: str, token=None, body=None, headers=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url + "/v1/" + path, data=data, method=method)
        if token:
            request.add_header("X-Vault-Token", token)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        try:
            answer = json.loads(text) if text else None
        except ValueError:
            answer = text.decode(errors="replace")
        return status, answer


def start_openbao(bao: str, out: str) -> Server:
    port = free_port(pair=True)
    log = os.path.join(out, "openbao.log")
    server = Server("openbao", [bao, "server", "-dev", f"-dev-root-token-id={ROOT}",
                                f"-dev-listen-address=127.0.0.1:{port}"],
                    f"http://127.0.0.1:{port}", log)
    server.wait()
    return server


def start_podpass(podpass: str, out: str) -> Server:
    log = os.path.join(out, "podpass.log")
    server = Server("podpass", [podpass, "dev", "--listen", "127.0.0.1:0", "--root-token", ROOT],
                    "", log)
    server.wait(log, r"export VAULT_ADDR='([^']+)'")
    return server


# --- normalisation -------------------------------------------------------------------------

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
# Fields whose values are random (ids, tokens) or clock readings.
RANDOM_KEYS = {"client_token", "accessor", "entity_id", "id", "token", "cluster_id",
               "cluster_name", "server_time_utc", "version", "build_date", "lease_id"}
CLOCK_KEYS = {"creation_time", "issue_time", "expire_time", "last_renewal_time", "last_renewal",
              "created_time", "updated_time", "deletion_time"}
# Durations that tick while requests run: equal within this many seconds.
TTL_KEYS = {"ttl", "creation_ttl", "lease_duration", "explicit_max_ttl"}
TTL_TOLERANCE = 2


class Normaliser:
    """Replaces random values (ids, tokens) by their key's name and clock readings by
    `<time>`, so that both servers' answers can be compared."""

    def __call__(self, value, key=None):
        if key == "request_id" and value:
            return "<request-id>"
        if isinstance(value, dict):
            return {k: self(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v, key) for v in value]
        if isinstance(value, str):
            if key in CLOCK_KEYS and value:
                return "<time>"
            if TIMESTAMP.match(value):
                return "<time>"
            if key in RANDOM_KEYS and value:
                return f"<{key}>"
        if isinstance(value, int) and not isinstance(value, bool) and key in CLOCK_KEYS:
            return "<time>"
        return value


def differences(a, b, path="$"):
    """Paths where two normalised answers differ: (path, openbao's, podpass's)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b), key=str):
            sub = f"{path}.{key}"
            if key not in a:
                out.append((sub, "<absent>", b[key]))
            elif key not in b:
                out.append((sub, a[key], "<absent>"))
            else:
                out.extend(differences(a[key], b[key], sub))
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [(path, a, b)]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out.extend(differences(x, y, f"{path}[{i}]"))
        return out
    last = path.rsplit(".", 1)[-1]
    if (last in TTL_KEYS and isinstance(a, int) and isinstance(b, int)
            and abs(a - b) <= TTL_TOLERANCE):
        return []
    return [] if a == b else [(path, a, b)]


class Expected:
    """The differences pinned as deliberate, each with its reason (docs/compatibility.md)."""

    def __init__(self, pins):
        self.pins = [dict(p, used=0) for p in pins]

    def reason(self, case: str, path: str, openbao=None):
        for pin in self.pins:
            if "openbao" in pin and pin["openbao"] != openbao:
                continue
            if fnmatch.fnmatchcase(case, pin["case"]) and fnmatch.fnmatchcase(path, pin["path"]):
                pin["used"] += 1
                return pin["reason"]
        return None

    def unused(self):
        return [p for p in self.pins if not p["used"]]
