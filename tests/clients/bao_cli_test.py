"""The `bao` CLI (OpenBao 2.7.2) running the tutorial's own commands against `podpass dev`,
with TokenReview answered by the conformance harness's stand-in Kubernetes API; outputs are
checked, not just exit codes.

    BAO_BIN=… PODPASS_ADDR=… PODPASS_ROOT_TOKEN=… FIXTURES=… tests/.venv/bin/python tests/clients/bao_cli_test.py
"""

import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "conformance"))

import jwt as jwts  # noqa: E402
from harness import StandInKubernetes  # noqa: E402

BAO = os.environ["BAO_BIN"]
ADDR = os.environ["PODPASS_ADDR"]
ROOT = os.environ["PODPASS_ROOT_TOKEN"]
FIXTURES = os.environ["FIXTURES"]


def bao(*args, token=ROOT, check=True, stdin=None):
    env = dict(os.environ, BAO_ADDR=ADDR, BAO_TOKEN=token or "", HOME=os.environ.get("HOME", "/tmp"))
    env.pop("VAULT_TOKEN", None)
    run = subprocess.run([BAO, *args], env=env, capture_output=True, text=True, input=stdin, timeout=60)
    if check and run.returncode != 0:
        raise AssertionError(f"bao {' '.join(args)} failed ({run.returncode}): {run.stderr}{run.stdout}")
    return run


def bao_json(*args, token=ROOT):
    # Flags go between the command's words and its arguments (`bao kv get -format=json path`).
    words = 2 if args[0] in ("kv", "token", "policy", "auth") else 1
    return json.loads(bao(*args[:words], "-format=json", *args[words:], token=token).stdout)


class TutorialWithTheBaoCli(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.kube = StandInKubernetes()
        key = os.path.join(FIXTURES, "keys", "rsa-2048.pub.pem")
        bao("auth", "enable", "kubernetes")
        bao("write", "auth/kubernetes/config", f"kubernetes_host={cls.kube.url}", f"pem_keys=@{key}")
        for name in ("grade-api", "payment-api"):
            bao("policy", "write", name, os.path.join(FIXTURES, "tutorial", "policies", f"{name}.hcl"))
        bao("write", "auth/kubernetes/role/grade-api", "bound_service_account_names=grade-api-sa",
            "bound_service_account_namespaces=grade-api", "policies=grade-api", "ttl=1h")
        bao("kv", "put", "secret/grade-api/db", "password=grades")
        cls.signer = jwts.RsaKey(os.path.join(FIXTURES, "keys", "rsa-2048.key.pem"))

    @classmethod
    def tearDownClass(cls):
        cls.kube.stop()

    def jwt(self, namespace="grade-api", name="grade-api-sa"):
        # A fresh jti keeps tokens minted in the same second distinct (one is revoked below).
        claims = jwts.projected(namespace, name, int(time.time()), jti=os.urandom(8).hex())
        return jwts.token(claims, key=self.signer)

    def login(self, **claims):
        return bao_json("write", "auth/kubernetes/login", "role=grade-api", f"jwt={self.jwt(**claims)}",
                        token=None)

    def test_config_and_role_read_back(self):
        config = bao_json("read", "auth/kubernetes/config")["data"]
        self.assertEqual(config["kubernetes_host"], self.kube.url)
        self.assertEqual(len(config["pem_keys"]), 1)
        self.assertNotIn("disable_token_review", config)
        role = bao_json("read", "auth/kubernetes/role/grade-api")["data"]
        self.assertEqual(role["bound_service_account_names"], ["grade-api-sa"])
        self.assertEqual(role["token_policies"], ["grade-api"])
        self.assertEqual(role["token_ttl"], 3600)
        listed = bao("policy", "list").stdout.split()
        self.assertIn("grade-api", listed)
        self.assertIn("default", listed)

    def test_login_reads_its_secret_and_looks_itself_up(self):
        before = self.kube.reviews
        auth = self.login()["auth"]
        self.assertEqual(self.kube.reviews, before + 1, "TokenReview is asked, as Vault does")
        self.assertEqual(auth["policies"], ["default", "grade-api"])
        self.assertEqual(auth["lease_duration"], 3600)
        token = auth["client_token"]
        secret = bao_json("kv", "get", "secret/grade-api/db", token=token)
        self.assertEqual(secret["data"]["data"], {"password": "grades"})
        lookup = bao_json("token", "lookup", token=token)["data"]
        self.assertEqual(lookup["policies"], ["default", "grade-api"])
        self.assertEqual(lookup["meta"]["service_account_namespace"], "grade-api")
        self.assertLessEqual(lookup["ttl"], 3600)
        caps = bao("token", "capabilities", "secret/data/grade-api/db", token=token).stdout.strip()
        self.assertEqual(caps, "read")
        caps = bao("token", "capabilities", "secret/data/payment/db", token=token).stdout.strip()
        self.assertEqual(caps, "deny")
        refused = bao("kv", "get", "secret/payment/db", token=token, check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("permission denied", refused.stderr)

    def test_a_token_from_the_wrong_namespace_is_refused(self):
        run = bao("write", "auth/kubernetes/login", "role=grade-api", f"jwt={self.jwt(namespace='payment')}",
                  token=None, check=False)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("namespace not authorized", run.stderr)

    def test_a_deleted_pods_token_is_refused_by_token_review(self):
        jwt = self.jwt()
        self.kube.revoked.add(jwt)
        run = bao("write", "auth/kubernetes/login", "role=grade-api", f"jwt={jwt}", token=None, check=False)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("permission denied", run.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
