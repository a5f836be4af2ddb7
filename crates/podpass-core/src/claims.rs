//! The service-account facts carried by a Kubernetes JWT, in either claim shape.
//!
//! Projected (bound) tokens nest them under `kubernetes.io`; legacy secret-based tokens carry
//! flat `kubernetes.io/serviceaccount/...` claims. Like Vault, the nested form wins when present.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

/// Which claim layout a token uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimShape {
    /// Bound, projected token: `kubernetes.io: {namespace, serviceaccount, pod}`.
    Projected,
    /// Legacy secret-based token: flat `kubernetes.io/serviceaccount/...` claims.
    Legacy,
}

/// The claims a login decision reads, typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ServiceAccountClaims {
    /// Claim layout; `None` when neither form is present.
    pub shape: Option<ClaimShape>,
    /// Service-account namespace (empty when absent).
    pub namespace: String,
    /// Service-account name (empty when absent).
    pub name: String,
    /// Service-account uid (empty when absent).
    pub uid: String,
    /// Legacy tokens' secret name (empty for projected tokens).
    pub secret_name: String,
    /// Projected tokens' pod name.
    pub pod_name: Option<String>,
    /// Projected tokens' pod uid.
    pub pod_uid: Option<String>,
    /// `iss`.
    pub issuer: Option<String>,
    /// `sub`.
    pub subject: Option<String>,
    /// `aud`, a string or an array in the token; always a list here.
    pub audiences: Vec<String>,
    /// `exp`, seconds since the epoch.
    pub expires_at: Option<i64>,
    /// `nbf`, seconds since the epoch.
    pub not_before: Option<i64>,
    /// `iat`, seconds since the epoch.
    pub issued_at: Option<i64>,
}

/// A claim of the wrong JSON type.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("claim {claim:?} {expected}, got {found}")]
pub struct ClaimsError {
    /// The claim's name (dotted for nested claims).
    pub claim: String,
    /// What it must be.
    pub expected: &'static str,
    /// The JSON type found.
    pub found: &'static str,
}

/// Why claims JSON could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClaimsJsonError {
    /// Not a JSON object.
    #[error("token claims is not a JSON object: {0}")]
    NotJsonObject(String),
    /// A claim has the wrong type.
    #[error(transparent)]
    Claims(ClaimsError),
}

const FLAT_NAMESPACE: &str = "kubernetes.io/serviceaccount/namespace";
const FLAT_NAME: &str = "kubernetes.io/serviceaccount/service-account.name";
const FLAT_UID: &str = "kubernetes.io/serviceaccount/service-account.uid";
const FLAT_SECRET: &str = "kubernetes.io/serviceaccount/secret.name";

impl ServiceAccountClaims {
    /// Reads the claims from a decoded claims set.
    #[inline]
    pub fn from_claims(claims: &Map<String, Value>) -> Result<ServiceAccountClaims, ClaimsError> {
        let mut sa = ServiceAccountClaims {
            issuer: optional_string(claims, "iss")?,
            subject: optional_string(claims, "sub")?,
            audiences: audiences(claims.get("aud"))?,
            expires_at: numeric_date(claims, "exp")?,
            not_before: numeric_date(claims, "nbf")?,
            issued_at: numeric_date(claims, "iat")?,
            ..ServiceAccountClaims::default()
        };
        let flat = [FLAT_NAMESPACE, FLAT_NAME, FLAT_UID, FLAT_SECRET];
        if flat
            .iter()
            .any(|k| claims.get(*k).is_some_and(|v| !v.is_null()))
        {
            sa.shape = Some(ClaimShape::Legacy);
            sa.namespace = optional_string(claims, FLAT_NAMESPACE)?.unwrap_or_default();
            sa.name = optional_string(claims, FLAT_NAME)?.unwrap_or_default();
            sa.uid = optional_string(claims, FLAT_UID)?.unwrap_or_default();
            sa.secret_name = optional_string(claims, FLAT_SECRET)?.unwrap_or_default();
        }
        match claims.get("kubernetes.io") {
            None | Some(Value::Null) => {}
            Some(Value::Object(nested)) => {
                sa.shape = Some(ClaimShape::Projected);
                // Vault takes the nested namespace whenever the nested object exists, even empty.
                sa.namespace = nested_string(nested, "kubernetes.io.namespace", "namespace")?;
                if let Some(account) =
                    object(nested, "kubernetes.io.serviceaccount", "serviceaccount")?
                {
                    sa.name = nested_string(account, "kubernetes.io.serviceaccount.name", "name")?;
                    sa.uid = nested_string(account, "kubernetes.io.serviceaccount.uid", "uid")?;
                }
                if let Some(pod) = object(nested, "kubernetes.io.pod", "pod")? {
                    sa.pod_name = Some(nested_string(pod, "kubernetes.io.pod.name", "name")?);
                    sa.pod_uid = Some(nested_string(pod, "kubernetes.io.pod.uid", "uid")?);
                }
            }
            Some(other) => return Err(wrong("kubernetes.io", "must be an object", other)),
        }
        Ok(sa)
    }

    /// Reads the claims straight from the claims JSON. The common case goes through a typed,
    /// borrowing parser (a login's hot path); anything unusual (a wrong type, a duplicate key)
    /// is re-read through [`ServiceAccountClaims::from_claims`] for its precise error.
    #[inline]
    pub fn from_json(json: &[u8]) -> Result<ServiceAccountClaims, ClaimsJsonError> {
        if let Ok(fast) = serde_json::from_slice::<fast::Claims>(json) {
            return Ok(fast.into_claims());
        }
        ServiceAccountClaims::from_json_map(json)
    }

    /// The unusual case of [`ServiceAccountClaims::from_json`]. Not inlined into the caller: the
    /// general JSON parser it needs is then compiled once, with the rest of the engine's.
    #[inline(never)]
    fn from_json_map(json: &[u8]) -> Result<ServiceAccountClaims, ClaimsJsonError> {
        let map: Map<String, Value> = serde_json::from_slice(json)
            .map_err(|e| ClaimsJsonError::NotJsonObject(e.to_string()))?;
        ServiceAccountClaims::from_claims(&map).map_err(ClaimsJsonError::Claims)
    }

    /// `system:serviceaccount:<namespace>:<name>`, the username TokenReview reports.
    #[inline]
    pub fn username(&self) -> String {
        format!("system:serviceaccount:{}:{}", self.namespace, self.name)
    }
}

#[inline]
fn wrong(claim: &str, expected: &'static str, found: &Value) -> ClaimsError {
    ClaimsError {
        claim: claim.to_string(),
        expected,
        found: crate::fields::json_type(found),
    }
}

#[inline]
fn optional_string(claims: &Map<String, Value>, key: &str) -> Result<Option<String>, ClaimsError> {
    match claims.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(wrong(key, "must be a string", other)),
    }
}

#[inline]
fn nested_string(
    object: &Map<String, Value>,
    claim: &str,
    key: &str,
) -> Result<String, ClaimsError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(wrong(claim, "must be a string", other)),
    }
}

#[inline]
fn object<'a>(
    parent: &'a Map<String, Value>,
    claim: &str,
    key: &str,
) -> Result<Option<&'a Map<String, Value>>, ClaimsError> {
    match parent.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(other) => Err(wrong(claim, "must be an object", other)),
    }
}

#[inline]
fn audiences(value: Option<&Value>) -> Result<Vec<String>, ClaimsError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(wrong(
                    "aud",
                    "must be a string or an array of strings",
                    other,
                )),
            })
            .collect(),
        Some(other) => Err(wrong(
            "aud",
            "must be a string or an array of strings",
            other,
        )),
    }
}

/// RFC 7519 NumericDate: seconds, possibly fractional (truncated, as Go's JWT libraries do).
#[inline]
fn numeric_date(claims: &Map<String, Value>, key: &str) -> Result<Option<i64>, ClaimsError> {
    match claims.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(Some(i)),
            (None, Some(f)) if f.is_finite() && f.abs() < 1e15 => Ok(Some(f.trunc() as i64)),
            _ => Err(ClaimsError {
                claim: key.to_string(),
                expected: "must be seconds since the epoch",
                found: "an out-of-range number",
            }),
        },
        Some(other) => Err(wrong(
            key,
            "must be a number (seconds since the epoch)",
            other,
        )),
    }
}

/// The typed, borrowing parse behind [`ServiceAccountClaims::from_json`].
mod fast {
    use std::borrow::Cow;

    use serde::Deserialize;
    use serde::de::{self, Deserializer, SeqAccess, Visitor};

    use super::{ClaimShape, ServiceAccountClaims};

    type Text<'a> = Option<Cow<'a, str>>;

    #[derive(Deserialize)]
    pub(super) struct Claims<'a> {
        #[serde(borrow, default)]
        iss: Text<'a>,
        #[serde(borrow, default)]
        sub: Text<'a>,
        #[serde(borrow, default)]
        aud: Option<Audiences<'a>>,
        #[serde(default)]
        exp: Option<Numeric>,
        #[serde(default)]
        nbf: Option<Numeric>,
        #[serde(default)]
        iat: Option<Numeric>,
        #[serde(rename = "kubernetes.io", borrow, default)]
        nested: Option<Nested<'a>>,
        #[serde(rename = "kubernetes.io/serviceaccount/namespace", borrow, default)]
        flat_namespace: Text<'a>,
        #[serde(
            rename = "kubernetes.io/serviceaccount/service-account.name",
            borrow,
            default
        )]
        flat_name: Text<'a>,
        #[serde(
            rename = "kubernetes.io/serviceaccount/service-account.uid",
            borrow,
            default
        )]
        flat_uid: Text<'a>,
        #[serde(rename = "kubernetes.io/serviceaccount/secret.name", borrow, default)]
        flat_secret: Text<'a>,
    }

    #[derive(Deserialize)]
    struct Nested<'a> {
        #[serde(borrow, default)]
        namespace: Text<'a>,
        #[serde(borrow, default)]
        serviceaccount: Option<Reference<'a>>,
        #[serde(borrow, default)]
        pod: Option<Reference<'a>>,
    }

    #[derive(Deserialize)]
    struct Reference<'a> {
        #[serde(borrow, default)]
        name: Text<'a>,
        #[serde(borrow, default)]
        uid: Text<'a>,
    }

    /// `aud`: one string or an array of strings.
    struct Audiences<'a>(Vec<Cow<'a, str>>);

    impl<'de: 'a, 'a> Deserialize<'de> for Audiences<'a> {
        #[inline]
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct AudVisitor;
            impl<'de> Visitor<'de> for AudVisitor {
                type Value = Audiences<'de>;
                #[inline]
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a string or an array of strings")
                }
                #[inline]
                fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                    Ok(Audiences(vec![Cow::Borrowed(v)]))
                }
                #[inline]
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                    Ok(Audiences(vec![Cow::Owned(v.to_string())]))
                }
                #[inline]
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                    let mut items = Vec::new();
                    while let Some(item) = seq.next_element::<Cow<'de, str>>()? {
                        items.push(item);
                    }
                    Ok(Audiences(items))
                }
            }
            deserializer.deserialize_any(AudVisitor)
        }
    }

    /// A NumericDate: integer, or a finite float truncated (as Go's JWT libraries do).
    struct Numeric(i64);

    impl<'de> Deserialize<'de> for Numeric {
        #[inline]
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct NumericVisitor;
            impl Visitor<'_> for NumericVisitor {
                type Value = Numeric;
                #[inline]
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("seconds since the epoch")
                }
                #[inline]
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Numeric, E> {
                    Ok(Numeric(v))
                }
                #[inline]
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Numeric, E> {
                    i64::try_from(v).map(Numeric).map_err(E::custom)
                }
                #[inline]
                fn visit_f64<E: de::Error>(self, v: f64) -> Result<Numeric, E> {
                    if v.is_finite() && v.abs() < 1e15 {
                        Ok(Numeric(v.trunc() as i64))
                    } else {
                        Err(E::custom("out of range"))
                    }
                }
            }
            deserializer.deserialize_any(NumericVisitor)
        }
    }

    #[inline]
    fn owned(text: Text<'_>) -> String {
        text.map(Cow::into_owned).unwrap_or_default()
    }

    impl Claims<'_> {
        #[inline]
        pub(super) fn into_claims(self) -> ServiceAccountClaims {
            let mut sa = ServiceAccountClaims {
                issuer: self.iss.map(Cow::into_owned),
                subject: self.sub.map(Cow::into_owned),
                audiences: self
                    .aud
                    .map(|a| a.0.into_iter().map(Cow::into_owned).collect())
                    .unwrap_or_default(),
                expires_at: self.exp.map(|n| n.0),
                not_before: self.nbf.map(|n| n.0),
                issued_at: self.iat.map(|n| n.0),
                ..ServiceAccountClaims::default()
            };
            let any_flat = self.flat_namespace.is_some()
                || self.flat_name.is_some()
                || self.flat_uid.is_some()
                || self.flat_secret.is_some();
            if any_flat {
                sa.shape = Some(ClaimShape::Legacy);
                sa.namespace = owned(self.flat_namespace);
                sa.name = owned(self.flat_name);
                sa.uid = owned(self.flat_uid);
                sa.secret_name = owned(self.flat_secret);
            }
            if let Some(nested) = self.nested {
                sa.shape = Some(ClaimShape::Projected);
                sa.namespace = owned(nested.namespace);
                if let Some(account) = nested.serviceaccount {
                    sa.name = owned(account.name);
                    sa.uid = owned(account.uid);
                }
                if let Some(pod) = nested.pod {
                    sa.pod_name = Some(owned(pod.name));
                    sa.pod_uid = Some(owned(pod.uid));
                }
            }
            sa
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn reads_projected_claims() {
        let claims = map(json!({
            "aud": ["https://kubernetes.default.svc", "vault"],
            "exp": 1700003600, "iat": 1700000000.7, "nbf": 1700000000,
            "iss": "https://kubernetes.default.svc", "sub": "system:serviceaccount:grade-api:grade-api-sa",
            "kubernetes.io": {"namespace": "grade-api",
                "pod": {"name": "grade-api-0", "uid": "p-1"},
                "serviceaccount": {"name": "grade-api-sa", "uid": "u-1"}}
        }));
        let sa = ServiceAccountClaims::from_claims(&claims).expect("valid");
        assert_eq!(sa.shape, Some(ClaimShape::Projected));
        assert_eq!(
            (sa.namespace.as_str(), sa.name.as_str(), sa.uid.as_str()),
            ("grade-api", "grade-api-sa", "u-1")
        );
        assert_eq!(sa.pod_name.as_deref(), Some("grade-api-0"));
        assert_eq!(
            sa.audiences,
            vec!["https://kubernetes.default.svc", "vault"]
        );
        assert_eq!(sa.issued_at, Some(1700000000));
        assert_eq!(
            sa.username(),
            "system:serviceaccount:grade-api:grade-api-sa"
        );
    }

    #[test]
    fn reads_legacy_claims_and_string_audience() {
        let claims = map(json!({
            "iss": "kubernetes/serviceaccount", "aud": "vault",
            "kubernetes.io/serviceaccount/namespace": "payment",
            "kubernetes.io/serviceaccount/secret.name": "payment-sa-token-x",
            "kubernetes.io/serviceaccount/service-account.name": "payment-sa",
            "kubernetes.io/serviceaccount/service-account.uid": "u-2"
        }));
        let sa = ServiceAccountClaims::from_claims(&claims).expect("valid");
        assert_eq!(sa.shape, Some(ClaimShape::Legacy));
        assert_eq!(sa.secret_name, "payment-sa-token-x");
        assert_eq!(sa.audiences, vec!["vault"]);
        assert_eq!(sa.expires_at, None);
    }

    #[test]
    fn nested_claims_win_over_flat_ones() {
        let claims = map(json!({
            "kubernetes.io/serviceaccount/namespace": "flat-ns",
            "kubernetes.io/serviceaccount/service-account.name": "flat-name",
            "kubernetes.io": {"namespace": "nested-ns", "serviceaccount": {"name": "nested", "uid": "u"}}
        }));
        let sa = ServiceAccountClaims::from_claims(&claims).expect("valid");
        assert_eq!(
            (sa.namespace.as_str(), sa.name.as_str()),
            ("nested-ns", "nested")
        );
    }

    #[test]
    fn typed_and_map_readers_agree() {
        let samples = [
            json!({"aud": "vault", "exp": 1.5e9, "iss": "i", "sub": "s",
                "kubernetes.io": {"namespace": "n", "serviceaccount": {"name": "a", "uid": "u"}, "pod": {"name": "p", "uid": "q"}}}),
            json!({"kubernetes.io/serviceaccount/namespace": "n", "kubernetes.io/serviceaccount/secret.name": "s",
                "kubernetes.io/serviceaccount/service-account.name": "a", "kubernetes.io/serviceaccount/service-account.uid": "u",
                "aud": ["x", "y"], "iat": null}),
            json!({"kubernetes.io": null, "kubernetes.io/serviceaccount/namespace": null}),
            json!({"exp": "soon"}),
            json!({"aud": ["a", 2]}),
        ];
        for sample in samples {
            let via_map = ServiceAccountClaims::from_claims(&map(sample.clone()));
            let via_json = ServiceAccountClaims::from_json(sample.to_string().as_bytes());
            match (via_map, via_json) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{sample}"),
                (Err(a), Err(ClaimsJsonError::Claims(b))) => assert_eq!(a, b, "{sample}"),
                (a, b) => panic!("{sample}: {a:?} vs {b:?}"),
            }
        }
        assert!(matches!(
            ServiceAccountClaims::from_json(b"[1]"),
            Err(ClaimsJsonError::NotJsonObject(_))
        ));
    }

    #[test]
    fn wrong_types_are_named() {
        let cases = [
            (json!({"exp": "tomorrow"}), "exp", "a string"),
            (json!({"aud": 5}), "aud", "a number"),
            (json!({"aud": ["a", 1]}), "aud", "a number"),
            (json!({"iss": ["x"]}), "iss", "an array"),
            (json!({"kubernetes.io": "x"}), "kubernetes.io", "a string"),
            (
                json!({"kubernetes.io": {"namespace": 1}}),
                "kubernetes.io.namespace",
                "a number",
            ),
            (
                json!({"kubernetes.io": {"serviceaccount": {"name": true}}}),
                "kubernetes.io.serviceaccount.name",
                "a boolean",
            ),
            (json!({"nbf": 1e300}), "nbf", "an out-of-range number"),
        ];
        for (claims, claim, found) in cases {
            let err = ServiceAccountClaims::from_claims(&map(claims)).expect_err(claim);
            assert_eq!((err.claim.as_str(), err.found), (claim, found));
        }
    }
}
