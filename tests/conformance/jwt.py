"""Service-account JWTs for the conformance corpus, signed with the standard library only.

RSA (PKCS#1 v1.5 and PSS) is a modular exponentiation over a PKCS#8 key read with a minimal
DER reader; HMAC and `none` need nothing. ECDSA tokens come from `podpass token mint`.
"""

import base64
import hashlib
import hmac
import json
import os

HASHES = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}
# DER DigestInfo prefixes of EMSA-PKCS1-v1_5 (RFC 8017, section 9.2, note 1).
DIGEST_INFO = {
    "256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "384": bytes.fromhex("3041300d060960864801650304020205000430"),
    "512": bytes.fromhex("3051300d060960864801650304020305000440"),
}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _der_items(data: bytes):
    """The (tag, content) items of a DER sequence's content."""
    items, i = [], 0
    while i < len(data):
        tag = data[i]
        length = data[i + 1]
        i += 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(data[i:i + count], "big")
            i += count
        items.append((tag, data[i:i + length]))
        i += length
    return items


class RsaKey:
    """An RSA private key from a PKCS#8 PEM file."""

    def __init__(self, path: str):
        with open(path) as f:
            pem = f.read()
        body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
        (_, pkcs8), = _der_items(base64.b64decode(body))
        _, _, (_, octets) = _der_items(pkcs8)[:3]
        (_, rsa), = _der_items(octets)
        fields = [int.from_bytes(v, "big") for t, v in _der_items(rsa) if t == 0x02]
        self.n, self.d = fields[1], fields[3]
        self.size = (self.n.bit_length() + 7) // 8

    def _raw(self, em: bytes) -> bytes:
        return pow(int.from_bytes(em, "big"), self.d, self.n).to_bytes(self.size, "big")

    def sign_pkcs1(self, bits: str, message: bytes) -> bytes:
        t = DIGEST_INFO[bits] + HASHES[bits](message).digest()
        em = b"\x00\x01" + b"\xff" * (self.size - len(t) - 3) + b"\x00" + t
        return self._raw(em)

    def sign_pss(self, bits: str, message: bytes) -> bytes:
        h = HASHES[bits]
        hlen = h().digest_size
        em_bits = self.n.bit_length() - 1
        em_len = (em_bits + 7) // 8
        salt = os.urandom(hlen)  # salt length = hash length, as JWS PS* requires
        m_hash = h(message).digest()
        hh = h(b"\x00" * 8 + m_hash + salt).digest()
        db = b"\x00" * (em_len - 2 * hlen - 2) + b"\x01" + salt
        mask, counter = b"", 0
        while len(mask) < len(db):
            mask += h(hh + counter.to_bytes(4, "big")).digest()
            counter += 1
        masked = bytearray(a ^ b for a, b in zip(db, mask))
        masked[0] &= 0xFF >> (8 * em_len - em_bits)
        return self._raw(bytes(masked) + hh + b"\xbc")


def token(claims: dict, alg: str = "RS256", key: "RsaKey | None" = None, kid: "str | None" = None,
          header: "dict | None" = None) -> str:
    """A compact JWS of `claims`. `alg` may be RS*/PS* (needs `key`), HS256 or none."""
    head = {"alg": alg, "typ": "JWT"}
    if kid:
        head["kid"] = kid
    if header:
        head.update(header)
    signing_input = (b64url(json.dumps(head, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(claims, separators=(",", ":")).encode()))
    message = signing_input.encode()
    if alg == "none":
        signature = b""
    elif alg.startswith("HS"):
        signature = hmac.new(b"not-a-real-secret", message, HASHES[alg[2:]]).digest()
    elif alg.startswith("RS"):
        signature = key.sign_pkcs1(alg[2:], message)
    elif alg.startswith("PS"):
        signature = key.sign_pss(alg[2:], message)
    else:
        raise ValueError(f"cannot sign {alg} here")
    return signing_input + "." + b64url(signature)


def projected(namespace: str, name: str, now: int, uid: "str | None" = None, **overrides) -> dict:
    """Claims of a projected (bound) service-account token, as the kubelet mounts them."""
    claims = {
        "aud": ["https://kubernetes.default.svc.cluster.local"],
        "exp": now + 3600,
        "iat": now,
        "nbf": now,
        "iss": "https://kubernetes.default.svc.cluster.local",
        "kubernetes.io": {
            "namespace": namespace,
            "pod": {"name": f"{name}-pod", "uid": "0d7a0c3e-5f4b-4d5e-9a8b-000000000001"},
            "serviceaccount": {"name": name, "uid": uid or f"uid-{namespace}-{name}"},
        },
        "sub": f"system:serviceaccount:{namespace}:{name}",
    }
    for key, value in overrides.items():
        if value is None:
            claims.pop(key, None)
        else:
            claims[key] = value
    return claims


def legacy(namespace: str, name: str) -> dict:
    """Claims of a legacy secret-based token: flat keys, no time claims."""
    return {
        "iss": "kubernetes/serviceaccount",
        "kubernetes.io/serviceaccount/namespace": namespace,
        "kubernetes.io/serviceaccount/secret.name": f"{name}-token-abcde",
        "kubernetes.io/serviceaccount/service-account.name": name,
        "kubernetes.io/serviceaccount/service-account.uid": f"uid-{namespace}-{name}",
        "sub": f"system:serviceaccount:{namespace}:{name}",
    }


def payload(jwt: str) -> dict:
    """The claims of a JWT, unverified (for the stand-in TokenReview)."""
    parts = jwt.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT")
    raw = parts[1] + "=" * (-len(parts[1]) % 4)
    return json.loads(base64.urlsafe_b64decode(raw))
