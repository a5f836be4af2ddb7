"""`bao agent` (OpenBao 2.7.2) with Kubernetes auto-auth against `podpass dev`: it logs in
from a token file, writes its sink, renews the token, renders a template from a KV v2 secret,
and picks up a rotated token file when it must log in again.

    BAO_BIN=… PODPASS_ADDR=… PODPASS_ROOT_TOKEN=… FIXTURES=… tests/.venv/bin/python tests/clients/bao_agent_test.py
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance"))

import jwt as jwts  # noqa: E402
from harness import StandInKubernetes  # noqa: E402

BAO = os.environ["BAO_BIN"]
ADDR = os.environ["PODPASS_ADDR"]
ROOT = os.environ["PODPASS_ROOT_TOKEN"]
FIXTURES = os.environ["FIXTURES"]


def api(method, path, body=None, token=ROOT):
    request = urllib.request.Request(f"{ADDR}/v1/{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
    request.add_header("X-Vault-Token", token)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def wait_for(what, predicate, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


class AgentWithKubernetesAutoAuth(unittest.TestCase):
    def setUp(self):
        self.kube = StandInKubernetes()
        self.dir = tempfile.mkdtemp(prefix="bao-agent-")
        self.signer = jwts.RsaKey(os.path.join(FIXTURES, "keys", "rsa-2048.key.pem"))
        with open(os.path.join(FIXTURES, "keys", "rsa-2048.pub.pem")) as f:
            pem = f.read()
        api("POST", "sys/auth/kubernetes", {"type": "kubernetes"})
        api("POST", "auth/kubernetes/config", {"kubernetes_host": self.kube.url, "pem_keys": [pem]})
        with open(os.path.join(FIXTURES, "tutorial", "policies", "grade-api.hcl")) as f:
            api("PUT", "sys/policies/acl/grade-api", {"policy": f.read()})
        # Short-lived tokens so that the agent renews, then must log in again, within seconds.
        status, body = api("POST", "auth/kubernetes/role/grade-api", {
            "bound_service_account_names": "grade-api-sa", "bound_service_account_namespaces": "grade-api",
            "token_policies": "grade-api", "token_ttl": "6s", "token_max_ttl": "15s"})
        self.assertLess(status, 300, body)
        api("POST", "secret/data/grade-api/db", {"data": {"password": "grades"}})
        self.token_file = os.path.join(self.dir, "token")
        self.sink = os.path.join(self.dir, "sink")
        self.rendered = os.path.join(self.dir, "rendered")
        self.write_jwt("first")
        config = os.path.join(self.dir, "agent.hcl")
        with open(config, "w") as f:
            f.write(f'''
vault {{
  address = "{ADDR}"
}}
auto_auth {{
  method "kubernetes" {{
    mount_path = "auth/kubernetes"
    config = {{
      role       = "grade-api"
      token_path = "{self.token_file}"
    }}
  }}
  sink "file" {{
    config = {{
      path = "{self.sink}"
    }}
  }}
}}
template {{
  contents    = "{{{{ with secret \\"secret/data/grade-api/db\\" }}}}{{{{ .Data.data.password }}}}{{{{ end }}}}"
  destination = "{self.rendered}"
}}
''')
        self.log = open(os.path.join(self.dir, "agent.log"), "w")
        env = dict(os.environ, HOME=self.dir)
        self.agent = subprocess.Popen([BAO, "agent", f"-config={config}"], stdout=self.log,
                                      stderr=subprocess.STDOUT, env=env)

    def tearDown(self):
        self.agent.terminate()
        try:
            self.agent.wait(10)
        except subprocess.TimeoutExpired:
            self.agent.kill()
        self.log.close()
        self.kube.stop()
        api("DELETE", "sys/auth/kubernetes")

    def write_jwt(self, jti):
        claims = jwts.projected("grade-api", "grade-api-sa", int(time.time()), jti=jti)
        self.jwt = jwts.token(claims, key=self.signer)
        with open(self.token_file, "w") as f:
            f.write(self.jwt)
        return self.jwt

    def lookup(self, token):
        status, body = api("GET", "auth/token/lookup-self", token=token)
        return body["data"] if status == 200 else None

    def test_logs_in_writes_the_sink_renews_renders_and_follows_a_rotated_token_file(self):
        first = wait_for("the sink", lambda: read(self.sink))
        looked = self.lookup(first)
        self.assertIsNotNone(looked, "the sink holds a valid token")
        self.assertEqual(looked["policies"], ["default", "grade-api"])
        self.assertEqual(looked["meta"]["service_account_name"], "grade-api-sa")
        self.assertEqual(wait_for("the template", lambda: read(self.rendered)), "grades")
        reviews = self.kube.reviews
        self.assertGreaterEqual(reviews, 1, "the login asked TokenReview")

        # Renewal: past the first 6 s TTL the same token is still valid.
        time.sleep(8)
        self.assertEqual(read(self.sink), first, "renewed, not replaced")
        self.assertIsNotNone(self.lookup(first), "the token was renewed past its first TTL")

        # The pod's token rotates and the old one is invalidated: when the agent must log in
        # again (max TTL 15 s), it reads the new file.
        old = self.jwt
        new = self.write_jwt("second")
        self.kube.revoked.add(old)
        second = wait_for("a new token in the sink", lambda: (lambda t: t if t and t != first else "")(read(self.sink)), 40)
        self.assertIsNotNone(self.lookup(second))
        self.assertGreater(self.kube.reviews, reviews)
        self.assertNotEqual(new, old)


if __name__ == "__main__":
    unittest.main(verbosity=2)
