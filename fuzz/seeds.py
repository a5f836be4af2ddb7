#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target (scripts/fuzz.sh calls this) from the
repository's fixtures, in the input layout each target documents: fields apart by the unit
separator (U+001F) where a target takes several. Seeds are small and valid, so the fuzzer
starts from inputs that reach deep into each reader rather than from random bytes."""

import base64
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
US = "\x1f"
NOW = 1_780_000_000


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(claims: dict, header: dict | None = None) -> str:
    """An RS256-shaped token with a made-up signature: the keyless mount never checks it,
    the keyed one refuses it after parsing."""
    header = header or {"alg": "RS256", "kid": "demo"}
    return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(claims).encode()), b64(b"not a signature")])


def legacy_claims(namespace: str, name: str) -> dict:
    return {
        "iss": "kubernetes/serviceaccount",
        "kubernetes.io/serviceaccount/namespace": namespace,
        "kubernetes.io/serviceaccount/secret.name": f"{name}-token",
        "kubernetes.io/serviceaccount/service-account.name": name,
        "kubernetes.io/serviceaccount/service-account.uid": "8f1c2a3e-0000-4000-8000-000000000001",
        "sub": f"system:serviceaccount:{namespace}:{name}",
    }


def projected_claims(namespace: str, name: str, audiences: list[str]) -> dict:
    return {
        "aud": audiences,
        "exp": NOW + 3600,
        "iat": NOW - 60,
        "nbf": NOW - 60,
        "iss": "https://kubernetes.default.svc.cluster.local",
        "kubernetes.io": {
            "namespace": namespace,
            "pod": {"name": f"{name}-0", "uid": "1c2b3a4d-0000-4000-8000-000000000002"},
            "serviceaccount": {"name": name, "uid": "8f1c2a3e-0000-4000-8000-000000000001"},
        },
        "sub": f"system:serviceaccount:{namespace}:{name}",
    }


def review(namespace: str, name: str, audiences: list[str]) -> str:
    return json.dumps({
        "kind": "TokenReview",
        "apiVersion": "authentication.k8s.io/v1",
        "status": {
            "authenticated": True,
            "audiences": audiences,
            "user": {"username": f"system:serviceaccount:{namespace}:{name}",
                     "uid": "8f1c2a3e-0000-4000-8000-000000000001"},
        },
    })


def texts(*globs: str) -> list[str]:
    return [p.read_text() for g in globs for p in sorted(FIXTURES.glob(g)) if p.is_file()]


def seeds() -> dict[str, list[str]]:
    policies = texts("tutorial/policies/*.hcl")
    json_policy = json.dumps({"path": {"secret/data/grade-api/*": {"capabilities": ["read", "list"]},
                                       "secret/metadata/+/db": {"policy": "deny"}}})
    tokens = [
        (jwt(legacy_claims("grade-api", "grade-api-sa")), "grade-api"),
        (jwt(projected_claims("grade-api", "grade-api-sa", ["vault"])), "grade-api"),
        (jwt(projected_claims("payment", "payment-sa", ["https://kubernetes.default.svc"])), "payment-api"),
        (jwt(projected_claims("analytics", "analytics-sa", [])), "shared-reader"),
        (jwt(legacy_claims("team-a", "worker"), {"alg": "ES256", "typ": "JWT"}), "namespace-wide"),
    ]
    selectors = [
        'matchLabels:\n  team: grade\n',
        '{"matchLabels": {"team": "a"}, "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]}',
        'matchExpressions:\n  - key: tier\n    operator: NotIn\n    values: [dev, test]\n  - key: owner\n    operator: Exists\n',
    ]
    # A modulus-shaped number (2048 bits): the reader checks a key's form, not its arithmetic.
    rsa = {"kty": "RSA", "kid": "rsa", "use": "sig", "alg": "RS256", "n": b64(b"\xc5" + bytes(range(255))), "e": "AQAB"}
    ec = {"kty": "EC", "crv": "P-256", "kid": "ec", "x": "JuTSAwlhtZwc8roebYPFsbPS2ET4196VNxsbAQ-_KCU",
          "y": "X4j19YZextrHnmILfnEc3FrObWEJ2T7SnR0nowRjqWk"}
    return {
        "jwks": [
            json.dumps({"keys": [rsa, ec]}),
            json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0"}, {**ec, "crv": "P-521"}, {**rsa, "use": "enc"}]}),
            json.dumps({"keys": [{**ec, "crv": "P-384"}, {"kty": "OKP", "crv": "Ed25519", "x": "AQAB"}]}),
        ],
        "jwt_login": [
            US.join([token, role, "201", review("grade-api", "grade-api-sa", ["vault"]), "10.0.0.7", "team=grade"])
            for token, role in tokens
        ],
        "token_review": [
            US.join(["201", review("grade-api", "grade-api-sa", ["vault"]), "vault",
                     json.dumps(legacy_claims("grade-api", "grade-api-sa"))]),
            US.join(["201", json.dumps({"kind": "Status", "message": "forbidden"}), "", "{}"]),
            US.join(["401", "Unauthorized", "", "{}"]),
        ],
        "policy": [f"secret/data/grade-api/db\n{text}" for text in policies]
        + [f"secret/metadata/x/db/\n{json_policy}"],
        "import_podpass_hcl": texts("configuration/*.podpass.hcl", "docs/*.podpass.hcl"),
        "import_vault_commands": texts("configuration/*.sh", "tutorial/setup.sh"),
        "import_api_json": texts("configuration/*.json"),
        "namespace_selector": [f"team=grade,env=prod\n{s}" for s in selectors],
        "policy_test_file": texts("tutorial/*.test.hcl", "docs/*.test.hcl"),
        "playground_evaluate": [
            US.join([text, "", "kubernetes", "grade-api", "team=grade", "", "+1h", "secret/data/grade-api/db", "read"])
            for text in texts("configuration/*", "tutorial/*")
        ],
        "http_request": [
            US.join(["POST", "auth/kubernetes/login", "", "content-type: application/json",
                     json.dumps({"role": "grade-api", "jwt": tokens[0][0]})]),
            US.join(["GET", "secret/data/grade-api/db", "version=2", "x-vault-token: hvs.x", ""]),
            US.join(["LIST", "secret/metadata/grade-api/", "", "authorization: Bearer hvs.x", ""]),
            US.join(["GET", "sys/policies/acl", "list=true", "x-vault-wrap-ttl: 60", ""]),
            US.join(["PATCH", "secret/data/a", "", "content-type: application/merge-patch+json",
                     '{"data":{"a":[1,{"b":null}]}}']),
            US.join(["POST", "auth/token/create", "", "x-vault-token: hvs.x", '{"policies":["default"],"ttl":"1h"}']),
            US.join(["GET", "secret/%2e%2e/sys/health", "help=1", "", ""]),
            US.join(["PUT", "sys/policy/ ..", "", "", '{"policy":"path \\"x\\" {}"}']),
            US.join(["GET", "sys/policies/acl/%20.", "", "", ""]),
        ],
    }


def main() -> None:
    corpus_root = pathlib.Path(sys.argv[1])
    for target, inputs in seeds().items():
        directory = corpus_root / target
        directory.mkdir(parents=True, exist_ok=True)
        for i, text in enumerate(inputs):
            (directory / f"seed-{i}").write_text(text)


if __name__ == "__main__":
    main()
