"""Vault's Python client, hvac, against a running `podpass dev`, unchanged.

The tutorial end to end: enable the Kubernetes method, configure it with pem_keys, write the
tutorial's policies and roles, log in with service-account tokens minted by `podpass token mint`,
read secrets, and check that each namespace cannot read the other's (exercise 3).

Environment: PODPASS_ADDR, PODPASS_ROOT_TOKEN, PODPASS_BIN (the podpass binary), FIXTURES
(tests/fixtures).
"""

import os
import subprocess
import time
import unittest

import hvac
from hvac import exceptions

ADDR = os.environ["PODPASS_ADDR"]
ROOT = os.environ["PODPASS_ROOT_TOKEN"]
PODPASS = os.environ["PODPASS_BIN"]
FIXTURES = os.environ["FIXTURES"]
KEY = os.path.join(FIXTURES, "keys", "rsa-2048.key.pem")
# hvac accepts certificates only in pem_keys; podpass, like Vault, takes keys and certificates.
PUBLIC_KEY = open(os.path.join(FIXTURES, "keys", "rsa-2048.cert.pem")).read()
POLICIES = os.path.join(FIXTURES, "tutorial", "policies")


def mint(namespace, name, ttl="1h", key=KEY):
    """A service-account JWT signed like a cluster would sign it."""
    return subprocess.run(
        [PODPASS, "token", "mint", "--key", key, "--namespace", namespace, "--name", name, "--ttl", ttl],
        check=True, capture_output=True, text=True,
    ).stdout.strip()


def login(role, namespace, name, **mint_args):
    client = hvac.Client(url=ADDR)
    response = client.auth.kubernetes.login(role=role, jwt=mint(namespace, name, **mint_args))
    return client, response


class TutorialWithHvac(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        root = hvac.Client(url=ADDR, token=ROOT)
        assert root.is_authenticated()
        assert root.sys.is_initialized()
        assert not root.sys.is_sealed()
        # `podpass dev --demo` mounts the method; start from a clean mount either way.
        if "kubernetes/" in root.sys.list_auth_methods()["data"]:
            root.sys.disable_auth_method(path="kubernetes")
        root.sys.enable_auth_method(method_type="kubernetes")
        root.auth.kubernetes.configure(
            kubernetes_host="https://kubernetes.default.svc:443", pem_keys=[PUBLIC_KEY]
        )
        # There is no cluster here to ask TokenReview, so the mount explicitly trusts the
        # signature alone (podpass's per-mount choice; hvac's configure does not know the field).
        root.adapter.post(
            "/v1/auth/kubernetes/config",
            json={
                "kubernetes_host": "https://kubernetes.default.svc:443",
                "pem_keys": [PUBLIC_KEY],
                "disable_token_review": True,
            },
        )
        config = root.auth.kubernetes.read_config()
        assert [k.strip() for k in config["pem_keys"]] == [PUBLIC_KEY.strip()], config
        assert config["disable_token_review"] is True, config
        for name in ("grade-api", "payment-api"):
            with open(os.path.join(POLICIES, f"{name}.hcl")) as f:
                root.sys.create_or_update_policy(name=name, policy=f.read())
        root.auth.kubernetes.create_role(
            "grade-api", bound_service_account_names=["grade-api-sa"],
            bound_service_account_namespaces=["grade-api"], policies=["grade-api"], ttl="1h",
        )
        root.auth.kubernetes.create_role(
            "payment-api", bound_service_account_names=["payment-sa"],
            bound_service_account_namespaces=["payment"], policies=["payment-api"], ttl="1h",
        )
        root.auth.kubernetes.create_role(
            "short", bound_service_account_names=["grade-api-sa"],
            bound_service_account_namespaces=["grade-api"], policies=["grade-api"], ttl="2s",
        )
        root.secrets.kv.v2.create_or_update_secret(path="grade-api/db", secret={"password": "grades"})
        root.secrets.kv.v2.create_or_update_secret(path="payment/db", secret={"password": "cards"})
        cls.root = root

    def test_roles_and_policies_read_back(self):
        self.assertEqual(
            sorted(self.root.auth.kubernetes.list_roles()["keys"]), ["grade-api", "payment-api", "short"]
        )
        role = self.root.auth.kubernetes.read_role("grade-api")
        self.assertEqual(role["token_ttl"], 3600)
        self.assertIn("grade-api", self.root.sys.list_policies()["data"]["policies"])

    def test_exercise_2_grade_api_logs_in_for_an_hour(self):
        client, response = login("grade-api", "grade-api", "grade-api-sa")
        self.assertEqual(response["auth"]["lease_duration"], 3600)
        self.assertEqual(response["auth"]["policies"], ["default", "grade-api"])
        self.assertTrue(client.is_authenticated())

    def test_exercise_3_each_namespace_reads_only_its_own_secrets(self):
        grade, _ = login("grade-api", "grade-api", "grade-api-sa")
        payment, _ = login("payment-api", "payment", "payment-sa")
        read = lambda c, p: c.secrets.kv.v2.read_secret_version(path=p, raise_on_deleted_version=True)
        self.assertEqual(read(grade, "grade-api/db")["data"]["data"], {"password": "grades"})
        self.assertEqual(read(payment, "payment/db")["data"]["data"], {"password": "cards"})
        with self.assertRaises(exceptions.Forbidden):
            read(grade, "payment/db")
        with self.assertRaises(exceptions.Forbidden):
            read(payment, "grade-api/db")

    def test_a_token_from_the_wrong_namespace_is_refused(self):
        with self.assertRaises(exceptions.Forbidden) as refused:
            login("grade-api", "payment", "grade-api-sa")
        self.assertIn("namespace not authorized", str(refused.exception))

    def test_a_token_signed_by_another_key_is_refused(self):
        other = os.path.join(FIXTURES, "keys", "other-rsa-2048.key.pem")
        with self.assertRaises(exceptions.Forbidden):
            login("grade-api", "grade-api", "grade-api-sa", key=other)

    def test_lookup_renew_and_revoke_self(self):
        client, _ = login("grade-api", "grade-api", "grade-api-sa")
        looked_up = client.auth.token.lookup_self()["data"]
        self.assertEqual(looked_up["policies"], ["default", "grade-api"])
        self.assertLessEqual(looked_up["ttl"], 3600)
        renewed = client.auth.token.renew_self(increment="30m")
        self.assertEqual(renewed["auth"]["lease_duration"], 1800)
        client.auth.token.revoke_self()
        with self.assertRaises(exceptions.Forbidden):
            client.auth.token.lookup_self()

    def test_an_expired_token_is_refused(self):
        client, response = login("short", "grade-api", "grade-api-sa")
        self.assertEqual(response["auth"]["lease_duration"], 2)
        self.assertTrue(client.is_authenticated())
        time.sleep(3)
        with self.assertRaises(exceptions.Forbidden):
            client.auth.token.lookup_self()

    def test_root_creates_and_looks_up_tokens(self):
        created = self.root.auth.token.create(policies=["grade-api"], ttl="10m")
        token = created["auth"]["client_token"]
        self.assertEqual(self.root.auth.token.lookup(token)["data"]["ttl"], 600)


if __name__ == "__main__":
    unittest.main(verbosity=2)
