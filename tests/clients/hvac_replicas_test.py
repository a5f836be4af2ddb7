"""hvac, unchanged, against two `podpass serve` replicas on one PostgreSQL database.

A client configures through replica A, logs in on A, and uses the token on B — KV reads and
writes, lookup, renewal — as a Service in front of the replicas would send it; a revocation on
one replica is then refused on the other.

Environment: PODPASS_ADDR (replica A), PODPASS_ADDR_B (replica B), PODPASS_ROOT_TOKEN,
PODPASS_BIN (the podpass binary), FIXTURES (tests/fixtures).
"""

import os
import subprocess
import time
import unittest

import hvac
from hvac import exceptions

A = os.environ["PODPASS_ADDR"]
B = os.environ["PODPASS_ADDR_B"]
ROOT = os.environ["PODPASS_ROOT_TOKEN"]
PODPASS = os.environ["PODPASS_BIN"]
FIXTURES = os.environ["FIXTURES"]
KEY = os.path.join(FIXTURES, "keys", "rsa-2048.key.pem")
PUBLIC_KEY = open(os.path.join(FIXTURES, "keys", "rsa-2048.cert.pem")).read()
POLICY = open(os.path.join(FIXTURES, "tutorial", "policies", "grade-api.hcl")).read()
# Propagation is measured in milliseconds (docs/benchmarks.md); this only tells late from never.
BOUND_S = 5


def mint(namespace, name):
    return subprocess.run(
        [PODPASS, "token", "mint", "--key", KEY, "--namespace", namespace, "--name", name, "--ttl", "1h"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()


def eventually(check):
    deadline = time.monotonic() + BOUND_S
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("not seen on the other replica in time")
        time.sleep(0.005)


class TwoReplicasWithHvac(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        root = hvac.Client(url=A, token=ROOT)
        assert root.is_authenticated()
        if "kubernetes/" not in root.sys.list_auth_methods()["data"]:
            root.sys.enable_auth_method(method_type="kubernetes")
        root.adapter.post(
            "/v1/auth/kubernetes/config",
            json={
                "kubernetes_host": "https://kubernetes.default.svc:443",
                "pem_keys": [PUBLIC_KEY],
                "disable_token_review": True,
            },
        )
        root.sys.create_or_update_policy(name="grade-api", policy=POLICY)
        root.auth.kubernetes.create_role(
            "grade-api", bound_service_account_names=["grade-api-sa"],
            bound_service_account_namespaces=["grade-api"], policies=["grade-api"], ttl="1h",
        )
        root.secrets.kv.v2.create_or_update_secret(path="grade-api/db", secret={"password": "grades"})

    def login_on_a_client_for_b(self):
        on_a = hvac.Client(url=A)
        response = on_a.auth.kubernetes.login(role="grade-api", jwt=mint("grade-api", "grade-api-sa"))
        return hvac.Client(url=B, token=response["auth"]["client_token"]), response

    def test_a_login_on_one_replica_reads_secrets_on_the_other(self):
        on_b, response = self.login_on_a_client_for_b()
        self.assertEqual(response["auth"]["policies"], ["default", "grade-api"])
        self.assertTrue(on_b.is_authenticated())
        read = on_b.secrets.kv.v2.read_secret_version(path="grade-api/db", raise_on_deleted_version=True)
        self.assertEqual(read["data"]["data"], {"password": "grades"})
        looked_up = on_b.auth.token.lookup_self()["data"]
        self.assertEqual(looked_up["policies"], ["default", "grade-api"])
        renewed = on_b.auth.token.renew_self(increment="30m")
        self.assertEqual(renewed["auth"]["lease_duration"], 1800)

    def test_a_secret_written_on_one_replica_reads_back_on_the_other(self):
        root_a = hvac.Client(url=A, token=ROOT)
        root_b = hvac.Client(url=B, token=ROOT)
        root_b.secrets.kv.v2.create_or_update_secret(path="grade-api/rotated", secret={"v": "1"})
        written = root_a.secrets.kv.v2.create_or_update_secret(path="grade-api/rotated", secret={"v": "2"}, cas=1)
        self.assertEqual(written["data"]["version"], 2)
        read = root_b.secrets.kv.v2.read_secret_version(path="grade-api/rotated", raise_on_deleted_version=True)
        self.assertEqual(read["data"]["data"], {"v": "2"})
        with self.assertRaises(exceptions.InvalidRequest):
            root_b.secrets.kv.v2.create_or_update_secret(path="grade-api/rotated", secret={"v": "3"}, cas=1)

    def test_a_token_revoked_on_one_replica_is_refused_on_the_other(self):
        on_b, _ = self.login_on_a_client_for_b()
        self.assertTrue(on_b.is_authenticated())
        hvac.Client(url=A, token=ROOT).auth.token.revoke(on_b.token)

        def refused():
            try:
                on_b.auth.token.lookup_self()
                return False
            except exceptions.Forbidden:
                return True

        eventually(refused)


if __name__ == "__main__":
    unittest.main(verbosity=2)
