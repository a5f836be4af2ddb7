"""Differential conformance: the same requests to OpenBao 2.7.2 (`bao server -dev`) and to
`podpass dev`, answers compared after normalising what is random. Every difference must be
pinned in expected.py with its reason (and listed in docs/compatibility.md), so a new one
fails.

    tests/.venv/bin/python tests/conformance/run.py --bao PATH --podpass PATH [--out DIR]
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jwt as jwts  # noqa: E402
from expected import PINS  # noqa: E402
from hcl1 import POLICIES as HCL1_POLICIES  # noqa: E402
from kv_engine import REQUESTS as KV_ENGINE  # noqa: E402
from harness import (ROOT, Expected, Normaliser, StandInKubernetes, differences,  # noqa: E402
                     start_openbao, start_podpass)

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = os.path.join(HERE, "..", "fixtures", "keys")
SEED = 14


def read(name: str) -> str:
    with open(os.path.join(KEYS, name)) as f:
        return f.read()


class Run:
    """Sends each step to both servers, in lockstep, and records the normalised answers."""

    def __init__(self, servers, expected: Expected):
        self.servers = servers
        self.norm = {s.name: Normaliser() for s in servers}
        self.expected = expected
        self.cases = 0
        self.compared = 0
        self.unexpected = []
        self.pinned = []
        self.capability_answers = 0
        self.capability_seconds = {s.name: 0.0 for s in servers}
        self.distinct_answers = set()

    def step(self, case: str, method: str, path: str, token="root", body=None, headers=None,
             raw=None, save=None, compare=True):
        """One request to both servers. `token` names a saved token ('root' for the root token,
        None for no token); `save` keeps `auth.client_token` under that name."""
        answers = {}
        for server in self.servers:
            sent_token = ROOT if token == "root" else server.tokens.get(token) if token else None
            # A callable body is filled in per server (with that server's own tokens).
            sent_body = body(server) if callable(body) else body
            started = time.perf_counter()
            status, answer = server.call(method, path, sent_token, sent_body, headers, raw)
            if case.startswith("cap/self/"):
                self.capability_seconds[server.name] += time.perf_counter() - started
            if save and isinstance(answer, dict) and isinstance(answer.get("auth"), dict):
                server.tokens[save] = answer["auth"].get("client_token")
            answers[server.name] = (status, self.norm[server.name](answer))
        self.cases += 1
        if case.startswith("cap/self/"):
            data = (answers["openbao"][1] or {}).get("data") or {}
            self.capability_answers += len(data)
            self.distinct_answers.update(json.dumps(v) for v in data.values())
        if compare:
            self.compare(case, answers)
        return answers

    def compare(self, case, answers):
        (bao_status, bao), (pp_status, pp) = answers["openbao"], answers["podpass"]
        found = differences({"status": bao_status, "body": bao}, {"status": pp_status, "body": pp})
        self.compared += 1
        for path, left, right in found:
            reason = self.expected.reason(case, path, left)
            record = {"case": case, "path": path, "openbao": left, "podpass": right}
            if reason:
                self.pinned.append(dict(record, reason=reason))
            else:
                self.unexpected.append(record)


def setup(run: Run, kube: StandInKubernetes):
    pem_keys = [read("rsa-2048.pub.pem"), read("ec-p256.pub.pem")]
    # Never used over plain HTTP; OpenBao wants one when the pod's own CA is disabled.
    ca = read("rsa-2048.cert.pem")
    run.step("setup/enable", "POST", "sys/auth/kubernetes", body={"type": "kubernetes"})
    run.step("config/write", "POST", "auth/kubernetes/config",
             body={"kubernetes_host": kube.url, "pem_keys": pem_keys, "token_reviewer_jwt": "reviewer",
                   "disable_local_ca_jwt": True, "kubernetes_ca_cert": ca})
    run.step("config/read", "GET", "auth/kubernetes/config")
    run.step("config/write-no-host", "POST", "auth/kubernetes/config", body={"pem_keys": pem_keys})
    run.step("config/write-bad-key", "POST", "auth/kubernetes/config",
             body={"kubernetes_host": kube.url, "pem_keys": ["not a key"]})
    run.step("config/write-unknown-field", "POST", "auth/kubernetes/config",
             body={"kubernetes_host": kube.url, "pem_keys": pem_keys, "token_reviewer_jwt": "reviewer",
                   "disable_local_ca_jwt": True, "kubernetes_ca_cert": ca, "polices": "x"})
    run.step("config/write-no-ca", "POST", "auth/kubernetes/config",
             body={"kubernetes_host": kube.url, "pem_keys": pem_keys, "disable_local_ca_jwt": True})
    run.step("config/write-again", "POST", "auth/kubernetes/config",
             body={"kubernetes_host": kube.url, "pem_keys": pem_keys, "token_reviewer_jwt": "reviewer",
                   "disable_local_ca_jwt": True, "kubernetes_ca_cert": ca})
    policies = {
        "grade-api": 'path "secret/data/grade-api/*" {\n  capabilities = ["read", "create", "update", "patch", "delete"]\n}\n'
                     'path "secret/metadata/grade-api/*" {\n  capabilities = ["list", "read", "delete"]\n}\n'
                     'path "secret/delete/grade-api/*" {\n  capabilities = ["update"]\n}\n'
                     'path "secret/undelete/grade-api/*" {\n  capabilities = ["update"]\n}\n'
                     'path "secret/destroy/grade-api/*" {\n  capabilities = ["update"]\n}\n',
        "payment-api": 'path "secret/data/payment/*" {\n  capabilities = ["read"]\n}\n',
        "params": 'path "secret/data/params/*" {\n  capabilities = ["create", "update"]\n'
                  '  allowed_parameters = {\n    "data" = []\n  }\n  denied_parameters = {\n    "options" = []\n  }\n}\n',
    }
    for name, text in policies.items():
        run.step(f"policy/write/{name}", "PUT", f"sys/policies/acl/{name}", body={"policy": text})
        run.step(f"policy/read/{name}", "GET", f"sys/policies/acl/{name}")
    # Vault lowercases policy names character by character (Go's strings.ToLower): no Greek
    # final sigma, and a dotted capital I becomes a plain i.
    for name in ["AΣ", "İx"]:
        quoted = urllib.parse.quote(name)
        run.step(f"policy/write/{name}", "PUT", f"sys/policies/acl/{quoted}", body={"policy": policies["payment-api"]})
        run.step(f"policy/read/{name}", "GET", f"sys/policies/acl/{quoted}")
    run.step("policy/write-bad-hcl", "PUT", "sys/policies/acl/bad", body={"policy": 'path "a" {'})
    # A name after `root`: Vault lists the stored names sorted, then `root`.
    run.step("policy/write/zeta", "PUT", "sys/policies/acl/zeta", body={"policy": policies["payment-api"]})
    run.step("policy/list", "LIST", "sys/policies/acl")
    # The legacy endpoints also answer at the top level.
    run.step("policy/legacy/list GET", "GET", "sys/policy")
    run.step("policy/legacy/list LIST", "LIST", "sys/policy")
    run.step("policy/legacy/read", "GET", "sys/policy/params")
    run.step("policy/legacy/read-missing", "GET", "sys/policy/nothing-here")
    # A name that is blank or `.` once trimmed is the list's endpoint; `..` is refused.
    for label, name in [("blank", "%20"), ("dot", "%20."), ("dotdot", "..%20")]:
        for prefix in ["sys/policy", "sys/policies/acl"]:
            for method in ["GET", "PUT", "DELETE"]:
                body = {"policy": policies["payment-api"]} if method == "PUT" else None
                run.step(f"policy/name-{label}/{method} {prefix}", method, f"{prefix}/{name}", body=body)
    roles = {
        "grade-api": {"bound_service_account_names": "grade-api-sa", "bound_service_account_namespaces": "grade-api",
                      "policies": "grade-api,params", "ttl": "1h"},
        "payment-api": {"bound_service_account_names": ["payment-sa"], "bound_service_account_namespaces": ["payment"],
                        "token_policies": ["payment-api"], "token_ttl": 600, "token_max_ttl": "2h"},
        "globs": {"bound_service_account_names": "app-*", "bound_service_account_namespaces": "team-*",
                  "token_policies": "default"},
        "anyone": {"bound_service_account_names": "*", "bound_service_account_namespaces": "*"},
        "aud": {"bound_service_account_names": "grade-api-sa", "bound_service_account_namespaces": "grade-api",
                "audience": "vault", "token_policies": "grade-api"},
        "periodic": {"bound_service_account_names": "grade-api-sa", "bound_service_account_namespaces": "grade-api",
                     "token_period": "30m", "token_num_uses": 5, "token_policies": "grade-api"},
        "batch": {"bound_service_account_names": "grade-api-sa", "bound_service_account_namespaces": "grade-api",
                  "token_type": "batch", "token_ttl": "20m", "token_policies": "grade-api"},
        "uses": {"bound_service_account_names": "grade-api-sa", "bound_service_account_namespaces": "grade-api",
                 "token_num_uses": 2, "token_policies": "grade-api", "token_explicit_max_ttl": "1h"},
        "selector": {"bound_service_account_names": "grade-api-sa,app-*",
                     "bound_service_account_namespace_selector": '{"matchLabels": {"team": "grades"}}'},
        "folded-policies": {"bound_service_account_names": "a", "bound_service_account_namespaces": "a",
                            "token_policies": "AΣ,İx", "policies": ["ΣΑΣ"]},
        "selector-or-list": {"bound_service_account_names": "*", "bound_service_account_namespaces": "team-*",
                             "bound_service_account_namespace_selector": "matchLabels:\n  team: payments\n"},
        # YAML 1.1's scalars, as Vault's YAML step reads them: `yes` and `off` are booleans, `017`
        # is octal, `08` a float, underscores are dropped from numbers.
        "selector-yaml11": {"bound_service_account_names": "*",
                            "bound_service_account_namespace_selector":
                                "matchLabels:\n  flag: yes\n  mode: off\n  tier: 017\n  eight: 08\n"
                                "  size: 1_000\n  bits: 0b101\n  y: n\n  loud: ON\n  never: No\n"
                                "  octal: 0o17\n  hex: 0x1F\n  plus: +5\n  float: 1_0.5\n  exp: 1e3\n"
                                "  half: .5\n  lead: 09.5\n  empty: ~\n  word: yess\n"},
        "selector-dupe": {"bound_service_account_names": "*",
                          "bound_service_account_namespace_selector": "matchLabels:\n  team: x\n  team: grades\n"},
    }
    for name, body in roles.items():
        run.step(f"role/write/{name}", "POST", f"auth/kubernetes/role/{name}", body=body)
        run.step(f"role/read/{name}", "GET", f"auth/kubernetes/role/{name}")
    invalid_roles = {
        "no-names": {"bound_service_account_namespaces": "a"},
        "no-namespaces": {"bound_service_account_names": "a"},
        "mixed-star": {"bound_service_account_names": "*,a", "bound_service_account_namespaces": "a"},
        "ttl-above-max": {"bound_service_account_names": "a", "bound_service_account_namespaces": "a",
                          "token_ttl": "2h", "token_max_ttl": "1h"},
        "bad-type": {"bound_service_account_names": "a", "bound_service_account_namespaces": "a",
                     "token_type": "weird"},
        "bad-alias-source": {"bound_service_account_names": "a", "bound_service_account_namespaces": "a",
                             "alias_name_source": "nope"},
        "batch-periodic": {"bound_service_account_names": "a", "bound_service_account_namespaces": "a",
                           "token_type": "batch", "token_period": "1h"},
        "negative-ttl": {"bound_service_account_names": "a", "bound_service_account_namespaces": "a",
                         "token_ttl": "-5s"},
        "typo-field": {"bound_service_account_names": "a", "bound_service_account_namespaces": "a",
                       "polices": "x"},
    }
    for name, body in invalid_roles.items():
        run.step(f"role/invalid/{name}", "POST", f"auth/kubernetes/role/{name}", body=body)
    # Role names are lowercased but not trimmed; dots inside a name are plain characters.
    for label, name in [("spaced", "%20sp%20"), ("dots", "a..b"), ("blank", "%20"), ("upper", "UP"),
                        ("dot", "%20."), ("dotdot", "..%20")]:
        run.step(f"role/name-{label}/write", "POST", f"auth/kubernetes/role/{name}",
                 body={"bound_service_account_names": "a", "bound_service_account_namespaces": "a",
                       "audience": "vault"})
        run.step(f"role/read/name-{label}", "GET", f"auth/kubernetes/role/{name}")
    run.step("role/list", "LIST", "auth/kubernetes/role")
    run.step("role/read-missing", "GET", "auth/kubernetes/role/missing")


def login_matrix(run: Run, kube: StandInKubernetes):
    key = jwts.RsaKey(os.path.join(KEYS, "rsa-2048.key.pem"))
    other = jwts.RsaKey(os.path.join(KEYS, "other-rsa-2048.key.pem"))
    now = int(time.time())
    grade = lambda **o: jwts.projected("grade-api", "grade-api-sa", now, **o)  # noqa: E731
    tokens = {
        "ok": jwts.token(grade(), key=key),
        "wrong-namespace": jwts.token(jwts.projected("payment", "grade-api-sa", now), key=key),
        "wrong-name": jwts.token(jwts.projected("grade-api", "other-sa", now), key=key),
        "rs384": jwts.token(grade(), "RS384", key),
        "rs512": jwts.token(grade(), "RS512", key),
        "ps256": jwts.token(grade(), "PS256", key),
        "ps384": jwts.token(grade(), "PS384", key),
        "ps512": jwts.token(grade(), "PS512", key),
        "wrong-key": jwts.token(grade(), key=other),
        "alg-none": jwts.token(grade(), "none"),
        "hs256": jwts.token(grade(), "HS256"),
        "garbage": "not.a.jwt",
        "expired": jwts.token(grade(exp=now - 120, iat=now - 3720, nbf=now - 3720), key=key),
        "expired-within-leeway": jwts.token(grade(exp=now - 30, iat=now - 3630, nbf=now - 3630), key=key),
        "not-yet-valid": jwts.token(grade(nbf=now + 120, iat=now), key=key),
        "nbf-within-leeway": jwts.token(grade(nbf=now + 30), key=key),
        "iat-future": jwts.token(grade(iat=now + 120, nbf=None), key=key),
        "no-time-claims": jwts.token(grade(exp=None, iat=None, nbf=None), key=key),
        "legacy": jwts.token(jwts.legacy("grade-api", "grade-api-sa"), key=key),
        "no-kubernetes-claims": jwts.token({"iss": "x", "sub": "y", "exp": now + 600}, key=key),
        "no-serviceaccount": jwts.token(grade(**{"kubernetes.io": {"namespace": "grade-api"}}), key=key),
        "aud-string": jwts.token(grade(aud="vault"), key=key),
        "aud-list": jwts.token(grade(aud=["other", "vault"]), key=key),
        "aud-missing": jwts.token(grade(aud=None), key=key),
        "glob-ok": jwts.token(jwts.projected("team-blue", "app-web", now), key=key),
        "glob-miss": jwts.token(jwts.projected("team-blue", "web-app", now), key=key),
        "revoked": jwts.token(grade(jti="deleted-pod"), key=key),
        "ghost-namespace": jwts.token(jwts.projected("ghost", "grade-api-sa", now), key=key),
        "yaml11": jwts.token(jwts.projected("yaml11", "app-web", now), key=key),
    }
    kube.revoked.add(tokens["revoked"])
    run.jwt_ok = tokens["ok"]
    es256 = subprocess.run(
        [run.podpass_bin, "token", "mint", "--namespace", "grade-api", "--name", "grade-api-sa",
         "--uid", "uid-grade-api-grade-api-sa", "--alg", "ES256", "--key", os.path.join(KEYS, "ec-p256.key.pem")],
        check=True, capture_output=True, text=True).stdout.strip()
    tokens["es256"] = es256
    matrix = [
        ("grade-api", ["ok", "wrong-namespace", "wrong-name", "rs384", "rs512", "ps256", "ps384", "ps512",
                       "es256", "wrong-key", "alg-none", "hs256", "garbage", "expired", "expired-within-leeway",
                       "not-yet-valid", "nbf-within-leeway", "iat-future", "no-time-claims", "legacy",
                       "no-kubernetes-claims", "no-serviceaccount", "aud-string", "revoked"]),
        ("GRADE-API", ["ok"]),
        ("globs", ["glob-ok", "glob-miss"]),
        ("anyone", ["ok", "glob-ok"]),
        ("aud", ["aud-string", "aud-list", "aud-missing", "ok"]),
        ("periodic", ["ok"]),
        ("batch", ["ok"]),
        ("uses", ["ok"]),
        ("selector", ["ok", "wrong-namespace", "ghost-namespace", "glob-ok"]),
        ("selector-or-list", ["ok", "wrong-namespace", "glob-ok", "ghost-namespace"]),
        ("selector-yaml11", ["yaml11", "ok"]),
        ("selector-dupe", ["ok"]),
        ("unknown-role", ["ok"]),
    ]
    for role, names in matrix:
        for name in names:
            run.step(f"login/{role}/{name}", "POST", "auth/kubernetes/login",
                     token=None, body={"role": role, "jwt": tokens[name]}, save=f"{role}/{name}")
    run.step("login/missing-role", "POST", "auth/kubernetes/login", token=None, body={"jwt": tokens["ok"]})
    run.step("login/missing-jwt", "POST", "auth/kubernetes/login", token=None, body={"role": "grade-api"})
    # How a careless client sends the role and the token (a file read with its newline).
    ok = tokens["ok"]
    for label, body in [("jwt-newline", {"role": "grade-api", "jwt": ok + "\n"}),
                        ("jwt-spaces", {"role": "grade-api", "jwt": f"  {ok}  "}),
                        ("jwt-empty", {"role": "grade-api", "jwt": ""}), ("jwt-number", {"role": "grade-api", "jwt": 5}),
                        ("jwt-list", {"role": "grade-api", "jwt": [ok]}), ("role-empty", {"role": "", "jwt": ok}),
                        ("role-number", {"role": 5, "jwt": ok}), ("role-spaces", {"role": " grade-api ", "jwt": ok}),
                        ("role-list", {"role": ["grade-api"], "jwt": ok}), ("jwt-two-parts", {"role": "grade-api", "jwt": "a.b"}),
                        ("jwt-bad-base64", {"role": "grade-api", "jwt": "a!.b.c"}),
                        ("extra-field", {"role": "grade-api", "jwt": ok, "extra": 1})]:
        run.step(f"login/odd/{label}", "POST", "auth/kubernetes/login", token=None, body=body)
    return tokens


def token_lookups(run: Run):
    for saved in ["grade-api/ok", "payment-api/ok", "periodic/ok", "batch/ok", "uses/ok", "anyone/glob-ok",
                  "aud/aud-list"]:
        run.step(f"token/lookup-self/{saved}", "GET", "auth/token/lookup-self", token=saved)
    run.step("token/lookup-self/root", "GET", "auth/token/lookup-self")
    run.step("token/lookup-self/none", "GET", "auth/token/lookup-self", token=None)
    run.step("token/renew-self/grade-api", "POST", "auth/token/renew-self", token="grade-api/ok", body={})
    run.step("token/renew-self/periodic", "POST", "auth/token/renew-self", token="periodic/ok",
             body={"increment": "10m"})
    run.step("token/renew-self/batch", "POST", "auth/token/renew-self", token="batch/ok", body={})
    run.step("token/lookup-self/after-renew", "GET", "auth/token/lookup-self", token="grade-api/ok")
    run.step("token/lookup-self/periodic-after-renew", "GET", "auth/token/lookup-self", token="periodic/ok")
    run.step("token/create-child", "POST", "auth/token/create", body={"policies": ["grade-api"], "ttl": "10m"},
             save="child")
    run.step("token/lookup-self/child", "GET", "auth/token/lookup-self", token="child")
    run.step("token/revoke-self/child", "POST", "auth/token/revoke-self", token="child", body={})
    run.step("token/lookup-self/revoked-child", "GET", "auth/token/lookup-self", token="child")
    # Another token, by value: lookup, renew, revoke.
    other = lambda server: {"token": server.tokens.get("aud/aud-list")}  # noqa: E731
    run.step("token/lookup/payment", "POST", "auth/token/lookup", body=other)
    run.step("token/renew/payment", "POST", "auth/token/renew", body=other)
    run.step("token/revoke/payment", "POST", "auth/token/revoke", body=other)
    run.step("token/lookup/payment-revoked", "POST", "auth/token/lookup", body=other)
    run.step("token/lookup/none-is-self", "POST", "auth/token/lookup", body={})
    for name in ("renew", "revoke"):
        run.step(f"token/{name}/missing", "POST", f"auth/token/{name}", body={"token": ""})
    run.step("token/renew/unknown", "POST", "auth/token/renew", body={"token": "not-a-token"})
    run.step("token/revoke/unknown", "POST", "auth/token/revoke", body={"token": "not-a-token"})
    for name in ("lookup-accessor", "revoke-accessor"):
        run.step(f"token/{name}/missing", "POST", f"auth/token/{name}", body={})
    run.step("token/lookup-accessor/unknown", "POST", "auth/token/lookup-accessor", body={"accessor": "nope"})
    # A use-limited token: two uses, then refused.
    for use in (1, 2, 3):
        run.step(f"token/uses/{use}", "GET", "auth/token/lookup-self", token="uses/ok")
    # Bound CIDRs: the harness calls from 127.0.0.1.
    for name, cidrs in (("cidr-in", "127.0.0.0/8"), ("cidr-out", "10.0.0.0/8")):
        run.step(f"role/write/{name}", "POST", f"auth/kubernetes/role/{name}",
                 body={"bound_service_account_names": "grade-api-sa", "bound_service_account_namespaces": "grade-api",
                       "token_bound_cidrs": cidrs, "audience": "https://kubernetes.default.svc.cluster.local"})
        run.step(f"login/{name}", "POST", "auth/kubernetes/login", token=None,
                 body={"role": name, "jwt": run.jwt_ok}, save=name)
    run.step("token/lookup-self/cidr-in", "GET", "auth/token/lookup-self", token="cidr-in")


def kv_corpus(run: Run):
    t = "grade-api/ok"
    steps = [
        ("write", "POST", "secret/data/grade-api/db", {"data": {"password": "one"}}),
        ("write-2", "POST", "secret/data/grade-api/db", {"data": {"password": "two"}}),
        ("read", "GET", "secret/data/grade-api/db", None),
        ("read-v1", "GET", "secret/data/grade-api/db?version=1", None),
        ("read-v9", "GET", "secret/data/grade-api/db?version=9", None),
        ("cas-mismatch", "POST", "secret/data/grade-api/db", {"data": {"p": 1}, "options": {"cas": 1}}),
        ("cas-ok", "POST", "secret/data/grade-api/db", {"data": {"p": 1}, "options": {"cas": 2}}),
        ("list", "LIST", "secret/metadata/grade-api", None),
        ("metadata", "GET", "secret/metadata/grade-api/db", None),
        ("metadata-write-denied", "POST", "secret/metadata/grade-api/db", {"max_versions": 2}),
        ("delete", "DELETE", "secret/data/grade-api/db", None),
        ("read-deleted", "GET", "secret/data/grade-api/db", None),
        ("undelete", "POST", "secret/undelete/grade-api/db", {"versions": [3]}),
        ("read-undeleted", "GET", "secret/data/grade-api/db", None),
        ("destroy", "POST", "secret/destroy/grade-api/db", {"versions": [1]}),
        ("metadata-after", "GET", "secret/metadata/grade-api/db", None),
        ("other-team", "GET", "secret/data/payment/db", None),
        ("folder-write", "POST", "secret/data/grade-api/dir/", {"data": {"a": 1}}),
        ("params-ok", "POST", "secret/data/params/x", {"data": {"a": 1}}),
        ("params-denied", "POST", "secret/data/params/y", {"data": {"a": 1}, "options": {"cas": 0}}),
        ("metadata-delete", "DELETE", "secret/metadata/grade-api/db", None),
        ("read-gone", "GET", "secret/data/grade-api/db", None),
    ]
    for name, method, path, body in steps:
        run.step(f"kv/{name}", method, path, token=t, body=body)
    headers = {"Content-Type": "application/merge-patch+json"}
    run.step("kv/root-write", "POST", "secret/data/grade-api/p", body={"data": {"a": "1", "b": {"c": "d"}}})
    run.step("kv/patch", "PATCH", "secret/data/grade-api/p", token=t, body={"data": {"a": None, "n": "x"}},
             headers=headers)
    run.step("kv/patch-wrong-type", "PATCH", "secret/data/grade-api/p", token=t, body={"data": {"a": 1}},
             headers={"Content-Type": "application/json"})
    run.step("kv/patch-read", "GET", "secret/data/grade-api/p", token=t)
    run.step("kv/metadata-write", "POST", "secret/metadata/grade-api/p",
             body={"max_versions": 3, "custom_metadata": {"owner": "grades"}, "delete_version_after": "1h"})
    run.step("kv/metadata-patch", "PATCH", "secret/metadata/grade-api/p",
             body={"custom_metadata": {"owner": None, "team": "t"}}, headers=headers)
    run.step("kv/metadata-read", "GET", "secret/metadata/grade-api/p")
    run.step("kv/subkeys", "GET", "secret/subkeys/grade-api/p?depth=1")
    run.step("kv/subkeys-denied", "GET", "secret/subkeys/grade-api/p", token=t)
    run.step("kv/unsupported-operation", "POST", "secret/subkeys/grade-api/p", body={})
    run.step("kv/config-write", "POST", "secret/config", body={"max_versions": 4, "cas_required": False})
    run.step("kv/config-read", "GET", "secret/config")
    run.step("kv/config-reset", "POST", "secret/config", body={"max_versions": 0})


def kv_engine_corpus(run: Run):
    for i, (method, path, body, content_type) in enumerate(KV_ENGINE):
        if method == "SLEEP":
            time.sleep(path)
            continue
        # A request sent without a type goes as a form, as urllib (and curl) send it.
        headers = {"Content-Type": content_type or "application/x-www-form-urlencoded"}
        run.step(f"kv-engine/{i:03d} {method} {path}", method, path, body=body, headers=headers)


def hcl1_corpus(run: Run):
    for i, (text, paths) in enumerate(HCL1_POLICIES):
        name = f"hcl1-{i:02d}"
        run.step(f"hcl1/write/{i:02d}", "PUT", f"sys/policies/acl/{name}", body={"policy": text})
        run.step(f"hcl1/token/{i:02d}", "POST", "auth/token/create",
                 body={"policies": [name], "no_default_policy": True}, save=name)
        run.step(f"hcl1/capabilities/{i:02d}", "POST", "sys/capabilities",
                 body=lambda server, name=name, paths=paths: {"paths": paths, "token": server.tokens.get(name)})


def capability_policies(rng: random.Random):
    """Policies aimed at the matching rules' boundaries, with every rule kind."""
    return {
        "cap-a": '\n'.join([
            'path "kv/app/db" {\n  capabilities = ["read"]\n}',
            'path "kv/app/*" {\n  capabilities = ["list"]\n}',
            'path "kv/app/" {\n  capabilities = ["create"]\n}',
            'path "kv/+/config" {\n  capabilities = ["update"]\n}',
            'path "kv/+/config/*" {\n  capabilities = ["read", "list"]\n}',
            'path "kv/team-*" {\n  capabilities = ["read"]\n}',
            'path "kv/team-a/secret" {\n  capabilities = ["deny"]\n}',
            'path "kv/+/+/leaf" {\n  capabilities = ["patch"]\n}',
            'path "sys/policies/acl/*" {\n  capabilities = ["read", "list"]\n}',
            'path "secret/data/+/shared/*" {\n  capabilities = ["read"]\n  allowed_parameters = {\n    "data" = []\n  }\n}',
            'path "secret/*" {\n  capabilities = ["list"]\n}',
        ]) + "\n",
        "cap-b": '\n'.join([
            'path "kv/app/db" {\n  capabilities = ["update"]\n}',
            'path "kv/app/d*" {\n  capabilities = ["delete"]\n}',
            'path "kv/+/config" {\n  capabilities = ["deny"]\n}',
            'path "kv/team-a/*" {\n  capabilities = ["sudo", "read"]\n}',
            'path "kv/team-b" {\n  capabilities = ["create"]\n  required_parameters = ["x"]\n}',
            'path "secret/data/*" {\n  capabilities = ["read", "create"]\n}',
            'path "secret/data/app/+" {\n  capabilities = ["update"]\n}',
            'path "auth/token/*" {\n  capabilities = ["update"]\n}',
        ]) + "\n",
    }


def generated_paths(rng: random.Random, count: int):
    """Paths near the policies' boundaries: exact, one character more or less, a trailing
    `/`, a segment added or swapped, literal `+` and `*`."""
    stems = ["kv/app/db", "kv/app", "kv/app/", "kv/x/config", "kv/x/config/", "kv/x/config/a", "kv/team-a",
             "kv/team-a/secret", "kv/team-b", "kv/team-", "kv/a/b/leaf", "kv/a/leaf", "sys/policies/acl",
             "sys/policies/acl/x", "secret/data/x/shared/y", "secret/data/app/one", "secret/data/app/one/two",
             "secret/metadata/app", "auth/token/create", "auth/token", "kv/app/dbx", "kv/app/d"]
    words = ["app", "db", "config", "team-a", "team-b", "x", "+", "*", "leaf", "shared", "data", ""]
    out = set()
    while len(out) < count:
        path = rng.choice(stems)
        for _ in range(rng.randint(0, 3)):
            move = rng.randint(0, 6)
            segments = path.split("/")
            if move == 0:
                path = path + "/"
            elif move == 1 and len(path) > 1:
                path = path[:-1]
            elif move == 2:
                path = path.rstrip("/") + "/" + rng.choice(words)
            elif move == 3 and len(segments) > 1:
                segments[rng.randrange(len(segments))] = rng.choice(words)
                path = "/".join(segments)
            elif move == 4:
                path = path + rng.choice(["a", "-", "*", "+"])
            elif move == 5 and len(segments) > 2:
                path = "/".join(segments[:-1])
        if path:
            out.add(path)
    return sorted(out)


def capabilities_corpus(run: Run, count: int):
    rng = random.Random(SEED)
    for name, text in capability_policies(rng).items():
        run.step(f"cap/policy/{name}", "PUT", f"sys/policies/acl/{name}", body={"policy": text})
    for policies, label in ((["cap-a"], "a"), (["cap-b"], "b"), (["cap-a", "cap-b"], "ab")):
        run.step(f"cap/token/{label}", "POST", "auth/token/create",
                 body={"policies": policies}, save=f"cap-{label}")
    paths = generated_paths(rng, count)
    chunk = 400  # OpenBao refuses bodies with more than 1,000 strings
    for label in ("a", "b", "ab"):
        for i in range(0, len(paths), chunk):
            part = paths[i:i + chunk]
            run.step(f"cap/self/{label}/{i // chunk}", "POST", "sys/capabilities-self", token=f"cap-{label}",
                     body={"paths": part})
    for i in range(0, min(len(paths), 800), chunk):
        part = paths[i:i + chunk]
        run.step(f"cap/other/ab/{i // chunk}", "POST", "sys/capabilities",
                 body=lambda server, part=part: {"paths": part, "token": server.tokens.get("cap-ab")})
    run.step("cap/other/one-path", "POST", "sys/capabilities",
             body=lambda server: {"path": "kv/app/db", "token": server.tokens.get("cap-ab")})
    run.step("cap/other/bad-token", "POST", "sys/capabilities", body={"path": "kv/app/db", "token": "nope"})
    return len(paths)


def unknown_paths(run: Run):
    """Paths no endpoint serves: the token and the ACL are checked first, then the router's 404
    (KV v2's 404 names the command to use instead)."""
    run.step("unknown/token", "POST", "auth/token/create", body={"policies": ["default"]}, save="plain",
             compare=False)
    paths = ["sys/nonexistent", "auth/token/nonexistent", "auth/kubernetes/nonexistent",
             "auth/kubernetes/role/%20x", "auth/kubernetes/role/x%20", "nomount/x", "auth/nomount/x",
             "secret/foo", "secret/foo/bar", "secret/", "secret/data", "secret/metadata", "secret/delete",
             "secret/destroy", "secret/config/x", "secret/data/", "secret/metadata/", "secret/subkeys",
             "secret/subkeys/"]
    for token in [None, "plain", "root"]:
        for method in ["GET", "PUT", "DELETE", "LIST"]:
            for path in paths:
                body = {"data": {"a": "b"}} if method == "PUT" else None
                run.step(f"unknown/{token}/{method} {path}", method, path, token=token, body=body)


def odd_requests(run: Run):
    """Requests a careless or hostile client sends: odd methods and bodies, list flags, bad
    parameters. Both servers must give the same status and the same words."""
    run.step("odd/auth/enable-second", "POST", "sys/auth/kubernetes2", body={"type": "kubernetes"})
    for method in ["HEAD", "OPTIONS", "FOO", "PATCH", "POST", "DELETE"]:
        run.step(f"odd/method/{method} sys/health", method, "sys/health")
    for method in ["HEAD", "OPTIONS", "FOO"]:
        run.step(f"odd/method/{method} sys/policies/acl/params", method, "sys/policies/acl/params")
        run.step(f"odd/method/{method} sys/capabilities-self", method, "sys/capabilities-self")
    run.step("odd/policy/delete-default", "DELETE", "sys/policies/acl/default")
    run.step("odd/policy/delete-root", "DELETE", "sys/policies/acl/root")
    run.step("odd/policy/write-root", "PUT", "sys/policies/acl/root", body={"policy": 'path "x" {}'})
    for label, raw in [("empty", b""), ("not-json", b"role=x"), ("array", b"[1,2]"), ("null", b"null"),
                       ("string", b'"x"'), ("truncated", b'{"role": "grade-api"')]:
        run.step(f"odd/body/{label} login", "POST", "auth/kubernetes/login", token=None, raw=raw)
        run.step(f"odd/body/{label} token-create", "POST", "auth/token/create", raw=raw)
    for label, query in [("list-true", "list=true"), ("list-1", "list=1"), ("list-false", "list=false"),
                         ("list-yes", "list=yes")]:
        run.step(f"odd/query/{label} policies", "GET", f"sys/policies/acl?{query}")
        run.step(f"odd/query/{label} roles", "GET", f"auth/kubernetes/role?{query}")
    for label, body in [("ttl-negative", {"ttl": "-1h"}), ("ttl-word", {"ttl": "soon"}),
                        ("ttl-number-string", {"ttl": "90"}), ("policies-string", {"policies": "a, B ,c"}),
                        ("num-uses-negative", {"num_uses": -1}), ("type-weird", {"type": "weird"}),
                        ("meta-not-map", {"meta": "x"}), ("renewable-string", {"renewable": "false"}),
                        ("period-word", {"period": "x"}), ("explicit-max-below", {"ttl": "2h", "explicit_max_ttl": "1h"}),
                        ("explicit-max-negative", {"explicit_max_ttl": "-1s"}), ("period-negative", {"period": -5}),
                        ("ttl-days", {"ttl": "2d"}), ("policies-list", {"policies": ["A", " b "]}),
                        ("policies-number", {"policies": 5})]:
        run.step(f"odd/token-create/{label}", "POST", "auth/token/create", body=body)
    for label, body in [("paths-string", {"paths": "secret/data/a,secret/data/b"}), ("path-list", {"path": ["a", "b"]}),
                        ("none", {}), ("paths-number", {"paths": 5})]:
        run.step(f"odd/capabilities-self/{label}", "POST", "sys/capabilities-self", body=body)
    for label, token in [("garbage", "not-a-token"), ("hvs-garbage", "hvs.AAAAAAAAAAAAAAAAAAAAAAAA"),
                         ("batch-garbage", "hvb.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]:
        run.step(f"odd/token/{label}", "GET", "auth/token/lookup-self",
                 token=None, headers={"X-Vault-Token": token})
    base = {"bound_service_account_names": "a", "bound_service_account_namespaces": "a", "audience": "vault"}
    for label, extra in [("ttl-bool", {"token_ttl": True}), ("ttl-list", {"token_ttl": ["1h"]}),
                         ("policies-number", {"token_policies": 5}), ("policies-spaces", {"token_policies": " A , b "}),
                         ("names-list-empty", {"bound_service_account_names": []}),
                         ("names-number", {"bound_service_account_names": 7}),
                         ("num-uses-string", {"token_num_uses": "3"}), ("num-uses-float", {"token_num_uses": 2.5}),
                         ("cidrs-list", {"token_bound_cidrs": ["10.0.0.0/8", "::1"]}),
                         ("audience-list", {"audience": ["a", "b"]}), ("alias-source-number", {"alias_name_source": 1}),
                         ("no-default-string", {"token_no_default_policy": "true"}), ("no-default-word", {"token_no_default_policy": "maybe"}),
                         ("type-default", {"token_type": "default"}), ("type-service", {"token_type": "service"}),
                         ("period-and-ttl", {"token_period": "1h", "token_ttl": "2h"}),
                         ("max-ttl-zero-string", {"token_max_ttl": "0"})]:
        run.step(f"odd/role-write/{label}", "POST", f"auth/kubernetes/role/odd-{label}", body={**base, **extra})
        run.step(f"role/read/odd-{label}", "GET", f"auth/kubernetes/role/odd-{label}")
    for label, body in [("token-missing", {}), ("token-garbage", {"token": "nope"})]:
        run.step(f"odd/token-lookup/{label}", "POST", "auth/token/lookup", body=body)
        run.step(f"odd/token-revoke/{label}", "POST", "auth/token/revoke", body=body)
    for path in ["sys/policies/acl/", "auth/kubernetes/role/", "sys/auth/", "auth/token/lookup-self/"]:
        run.step(f"odd/trailing/GET {path}", "GET", path)
    # OpenBao needs a CA when the pod's own is off (a pinned difference): give one throughout.
    ca = {"disable_local_ca_jwt": True, "kubernetes_ca_cert": read("rsa-2048.cert.pem")}
    for label, body in [("host-number", {"kubernetes_host": 5}), ("host-list", {"kubernetes_host": ["a"]}),
                        ("keys-string", {"kubernetes_host": "h", "pem_keys": "not a key"}),
                        ("keys-empty-list", {"kubernetes_host": "h", "pem_keys": []}),
                        ("disable-iss-string", {"kubernetes_host": "h", "disable_iss_validation": "yes"}),
                        ("unknown-only", {"whatever": 1}), ("empty", {})]:
        run.step(f"odd/config/{label}", "POST", "auth/kubernetes2/config", body={**ca, **body})
        run.step(f"odd/config/{label} read", "GET", "auth/kubernetes2/config")
    # The negative TTL last: OpenBao stores it (a pinned difference), which would change the rest.
    for label, body in [("ttl-word", {"default_lease_ttl": "soon"}), ("ttl-number", {"default_lease_ttl": 3600}),
                        ("description", {"description": 5}),
                        ("default-above-max", {"default_lease_ttl": "2h", "max_lease_ttl": "1h"}),
                        ("ttl-negative", {"max_lease_ttl": "-1h"})]:
        run.step(f"odd/tune/{label}", "POST", "sys/auth/kubernetes2/tune", body=body)
        run.step(f"odd/tune/{label} read", "GET", "sys/auth/kubernetes2/tune")
    run.step("odd/auth/disable-second", "DELETE", "sys/auth/kubernetes2")
    for path in ["sys/seal-status", "sys/leader", "sys/init", "sys/health?standbyok=true", "sys/health?uninitcode=299",
                 "sys/internal/ui/mounts/secret/foo", "sys/internal/ui/mounts/nothing", "sys/internal/ui/mounts/auth/kubernetes",
                 "sys/auth", "sys/mounts", "sys/auth/kubernetes", "sys/auth/nothing", "sys/auth/kubernetes/tune",
                 "sys/auth/token/tune"]:
        run.step(f"odd/read/{path}", "GET", path)
        run.step(f"odd/read-anonymous/{path}", "GET", path, token=None)
    for label, body in [("accessor-missing", {}), ("accessor-number", {"accessor": 5}), ("accessor-list", {"accessor": ["x"]})]:
        run.step(f"odd/accessor/lookup {label}", "POST", "auth/token/lookup-accessor", body=body)
        run.step(f"odd/accessor/revoke {label}", "POST", "auth/token/revoke-accessor", body=body)
    for label, body in [("increment-word", {"increment": "soon"}), ("increment-negative", {"increment": -5}),
                        ("increment-list", {"increment": ["1h"]})]:
        run.step(f"odd/renew-self/{label}", "POST", "auth/token/renew-self", body=body)
    run.step("odd/create-orphan", "POST", "auth/token/create-orphan", body={"policies": ["default"], "ttl": "5m"})
    # Updates that send only some fields: what the rest becomes.
    full = {"bound_service_account_names": "a,b", "bound_service_account_namespaces": "n", "audience": "vault",
            "token_ttl": "1h", "token_max_ttl": "2h", "token_policies": "p", "alias_name_source": "serviceaccount_name",
            "token_bound_cidrs": "10.0.0.0/8", "token_num_uses": 3}
    run.step("odd/partial/write-full", "POST", "auth/kubernetes/role/partial", body=full)
    for label, body in [("ttl", {"token_ttl": "30m"}), ("names", {"bound_service_account_names": "c"}),
                        ("legacy-ttl", {"ttl": "20m"}), ("policies-empty", {"token_policies": ""}),
                        ("cidrs-empty", {"token_bound_cidrs": []}), ("audience-empty", {"audience": ""}),
                        ("null-ttl", {"token_ttl": None}), ("max-below-ttl", {"token_max_ttl": "10m"})]:
        run.step(f"odd/partial/{label}", "POST", "auth/kubernetes/role/partial", body=body)
        run.step(f"role/read/partial-{label}", "GET", "auth/kubernetes/role/partial")
    run.step("odd/partial/delete", "DELETE", "auth/kubernetes/role/partial")
    run.step("odd/partial/read-deleted", "GET", "auth/kubernetes/role/partial")
    run.step("odd/partial/delete-again", "DELETE", "auth/kubernetes/role/partial")
    for label, body in [("data-string", {"data": "x"}), ("data-list", {"data": [1]}), ("data-null", {"data": None}),
                        ("cas-string", {"data": {"a": 1}, "options": {"cas": "0"}}),
                        ("cas-word", {"data": {"a": 1}, "options": {"cas": "x"}}),
                        ("options-list", {"data": {"a": 1}, "options": [1]}), ("nested", {"data": {"a": {"b": [1, None]}}})]:
        run.step(f"odd/kv-write/{label}", "POST", "secret/data/odd/kv", body=body)
    for query in ["version=abc", "version=-1", "version=0", "version=99", "version=1.5", "version="]:
        run.step(f"odd/kv-read/{query}", "GET", f"secret/data/odd/kv?{query}")
    for label, body in [("versions-strings", {"versions": ["1"]}), ("versions-word", {"versions": "x"}),
                        ("versions-missing", {}), ("versions-number", {"versions": 1})]:
        run.step(f"odd/kv-delete/{label}", "POST", "secret/delete/odd/kv", body=body)
        run.step(f"odd/kv-undelete/{label}", "POST", "secret/undelete/odd/kv", body=body)
    for label, headers in [("namespace-root", {"X-Vault-Namespace": "root"}), ("namespace-empty", {"X-Vault-Namespace": ""}),
                           ("namespace-slash", {"X-Vault-Namespace": "/"}), ("namespace-other", {"X-Vault-Namespace": "team1"}),
                           ("request-header", {"X-Vault-Request": "true"}), ("bearer-and-token", {"Authorization": "Bearer nope"})]:
        run.step(f"odd/header/{label}", "GET", "sys/policies/acl/params", headers=headers)
    for label, body in [("token-garbage", {"path": "secret/data/x", "token": "nope"}),
                        ("paths-list", lambda server: {"paths": ["a", "b"], "token": server.tokens.get("grade-api/ok")})]:
        run.step(f"odd/capabilities/{label}", "POST", "sys/capabilities", body=body)
    for label, body in [("policy-number", {"policy": 5}), ("policy-list", {"policy": ["a"]}),
                        ("policy-and-rules", {"policy": 'path "a" { capabilities = ["read"] }', "rules": "x"}),
                        ("rules-only", {"rules": 'path "b" { capabilities = ["read"] }'}),
                        ("policy-spaces", {"policy": "   "}), ("policy-json", {"policy": '{"path": {"c": {"capabilities": ["read"]}}}'}),
                        ("unknown-field", {"policy": 'path "d" { capabilities = ["read"] }', "extra": 1})]:
        run.step(f"odd/policy-write/{label}", "PUT", "sys/policies/acl/odd-write", body=body)
        run.step(f"odd/policy-write/{label} read", "GET", "sys/policy/odd-write")
    for name in ["a", "_a_", "a.", ".a", "a-", "-a", "a_b.c-d", "A" * 200]:
        run.step(f"odd/role-name/{name[:12]}", "POST", f"auth/kubernetes/role/{name}",
                 body={"bound_service_account_names": "a", "bound_service_account_namespaces": "a", "audience": "v"})
    for label, body in [("id-custom", {"id": "my-custom-token-id", "policies": ["default"]}),
                        ("id-number", {"id": 12345, "policies": ["default"]}),
                        ("display-name", {"display_name": "Some Name!", "policies": ["default"]}),
                        ("no-parent-string", {"no_parent": "true", "policies": ["default"]}),
                        ("num-uses-string", {"num_uses": "2", "policies": ["default"]}),
                        ("renewable-false", {"renewable": False, "ttl": "1h", "policies": ["default"]}),
                        ("meta-map", {"meta": {"a": "b", "n": 1}, "policies": ["default"]}),
                        ("type-batch", {"type": "batch", "policies": ["default"], "ttl": "5m"}),
                        ("batch-num-uses", {"type": "batch", "num_uses": 2}),
                        ("batch-orphan-no-parent", {"type": "batch", "no_parent": True})]:
        run.step(f"odd/token-create-more/{label}", "POST", "auth/token/create", body=body)
    for label, body in [("metadata-max-versions-word", {"max_versions": "x"}), ("metadata-cas-string", {"cas_required": "yes"}),
                        ("metadata-delete-after-word", {"delete_version_after": "soon"}),
                        ("metadata-custom-list", {"custom_metadata": ["a"]}), ("metadata-custom-number", {"custom_metadata": {"a": 1}})]:
        run.step(f"odd/kv-metadata/{label}", "POST", "secret/metadata/odd/meta", body=body)
    for label, body in [("config-max-versions-word", {"max_versions": "x"}), ("config-cas-number", {"cas_required": 1})]:
        run.step(f"odd/kv-config/{label}", "POST", "secret/config", body=body)
    run.step("odd/kv-config/read", "GET", "secret/config")
    run.step("odd/kv-config/reset", "POST", "secret/config", body={"max_versions": 0, "cas_required": False,
                                                                   "delete_version_after": "0s"})
    run.step("odd/auth/enable-twice", "POST", "sys/auth/kubernetes", body={"type": "kubernetes"})
    run.step("odd/auth/disable-missing", "DELETE", "sys/auth/nothing-here")
    run.step("odd/auth/enable-bad-type", "POST", "sys/auth/weird", body={"type": "weird"})
    run.step("odd/auth/enable-no-type", "POST", "sys/auth/weird", body={})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bao", required=True)
    parser.add_argument("--podpass", required=True)
    parser.add_argument("--out", default=os.path.join(HERE, "..", "out", "conformance"))
    parser.add_argument("--paths", type=int, default=3000)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    kube = StandInKubernetes()
    servers = []
    started = time.time()
    try:
        servers = [start_openbao(args.bao, args.out), start_podpass(args.podpass, args.out)]
        run = Run(servers, Expected(PINS))
        run.podpass_bin = args.podpass
        setup(run, kube)
        login_matrix(run, kube)
        token_lookups(run)
        kv_corpus(run)
        kv_engine_corpus(run)
        unknown_paths(run)
        odd_requests(run)
        hcl1_corpus(run)
        paths = capabilities_corpus(run, args.paths)
    finally:
        for server in servers:
            server.stop()
        kube.stop()
    report = {
        "requests": run.cases, "compared": run.compared, "generated_paths": paths,
        "token_reviews": kube.reviews, "capability_answers": run.capability_answers,
        "distinct_capability_answers": len(run.distinct_answers),
        "capability_seconds": {k: round(v, 3) for k, v in run.capability_seconds.items()}, "seconds": round(time.time() - started, 1),
        "pinned": run.pinned, "unexpected": run.unexpected,
        "unused_pins": [{k: v for k, v in p.items() if k != "used"} for p in run.expected.unused()],
    }
    with open(os.path.join(args.out, "report.json"), "w") as f:
        json.dump(report, f, indent=1, sort_keys=True, default=str)
    print(f"conformance: {run.cases} requests to each server, {paths} generated capability paths "
          f"({run.capability_answers} capability answers, {len(run.distinct_answers)} distinct; "
          + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in run.capability_seconds.items())
          + "), "
          f"{len(run.pinned)} pinned differences, {len(run.unexpected)} unexpected, "
          f"{len(report['unused_pins'])} unused pins ({report['seconds']} s; report in {args.out}/report.json)")
    for item in run.unexpected[:80]:
        print(f"  UNEXPECTED {item['case']} {item['path']}: openbao {json.dumps(item['openbao'])[:200]} "
              f"podpass {json.dumps(item['podpass'])[:200]}")
    for pin in report["unused_pins"]:
        print(f"  UNUSED PIN {pin['case']} {pin['path']}: the difference is gone; remove the pin")
    return 1 if run.unexpected or report["unused_pins"] else 0


if __name__ == "__main__":
    sys.exit(main())
