//! Vault's Kubernetes login decision: `POST auth/<mount>/login {"role", "jwt"}`.
//!
//! The checks run in Vault's order with Vault's messages and HTTP statuses; each one is recorded
//! in a [`Trace`]. The core does no I/O: [`evaluate_login`] leaves the TokenReview call out (and
//! says so in the trace), while [`begin_login`] stops before it and hands the caller the request
//! to send, to be finished with [`PendingTokenReview::complete`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::cidr::BoundCidrs;
use crate::claims::{ClaimsError, ClaimsJsonError, ServiceAccountClaims};
use crate::identity::{EntityAlias, Identity};
use crate::jwt::{self, SignatureError, SigningAlgorithm, VerifiedSignature};
use crate::keys::KeySet;
use crate::mount::KubernetesMount;
use crate::role::{AliasNameSource, Role, TokenType};
use crate::token_review::{self, TokenReviewRequest, TokenReviewResponse};
use crate::trace::{CheckId, CheckStatus, Reason, TimeReason, Trace, TraceMode, list};
use crate::ttl::TtlSettings;

/// Clock skew tolerated on `nbf`, `exp` and `iat` (go-jose's default, which Vault uses).
pub const CLOCK_SKEW_LEEWAY_SECONDS: i64 = 60;
/// When `exp` is missing, Vault lets a token live this long after its `iat`/`nbf`.
pub const MISSING_EXPIRY_LEEWAY_SECONDS: i64 = 150;

/// A login request, as `auth/<mount>/login` receives it, plus what the core cannot find out
/// itself: the caller's address, the namespace's labels and the current time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct LoginRequest {
    /// The role name (case-insensitive).
    pub role: String,
    /// The service-account JWT.
    pub jwt: String,
    /// The caller's IP address (for `token_bound_cidrs`).
    #[serde(default)]
    pub remote_addr: Option<String>,
    /// Labels of the token's namespace (for `bound_service_account_namespace_selector`).
    #[serde(default)]
    pub namespace_labels: Option<BTreeMap<String, String>>,
    /// Now, in seconds since the epoch.
    pub now: i64,
}

/// A refused login: what Vault would answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Denial {
    /// HTTP status: 400 for a bad request, 403 when the token is not good enough, 500 where
    /// Vault itself fails.
    pub status: u16,
    /// Vault's message, the single entry of its `errors` array.
    pub message: String,
    /// The check that failed, when one did.
    pub check: Option<CheckId>,
}

/// A granted login: the fields of Vault's `auth` response object, and the identity behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct LoginSuccess {
    /// The role as named in the request.
    pub role: String,
    /// Token policies, sanitised (lowercased, deduplicated, sorted, `default` added).
    pub policies: Vec<String>,
    /// The same list: logins carry no identity policies.
    pub token_policies: Vec<String>,
    /// `role` and the four `service_account_*` keys.
    pub metadata: BTreeMap<String, String>,
    /// `<mount>-<namespace>-<name>`.
    pub display_name: String,
    /// The TTL in seconds.
    pub lease_duration: i64,
    /// The effective maximum TTL in seconds (mount max, role max and explicit max combined).
    pub max_ttl: i64,
    /// `token_explicit_max_ttl` of the role.
    pub explicit_max_ttl: i64,
    /// `token_period` of the role (0 when not periodic).
    pub period: i64,
    /// Whether the token can be renewed (service tokens).
    pub renewable: bool,
    /// `service` or `batch`.
    pub token_type: TokenType,
    /// Use limit (0 = unlimited).
    pub num_uses: i64,
    /// Addresses the token may be used from (serialised as Vault lists them).
    #[cfg_attr(feature = "typescript", tsify(type = "string[]"))]
    pub bound_cidrs: BoundCidrs,
    /// Login tokens have no parent.
    pub orphan: bool,
    /// Warnings Vault adds to the response.
    pub warnings: Vec<String>,
    /// The entity and its alias on this mount (fills templated policy paths).
    pub identity: Identity,
    /// What renewing the token needs: the role's TTL settings and the mount's tuning at login
    /// (not part of Vault's answer).
    #[serde(skip)]
    pub ttl_settings: TtlSettings,
}

impl LoginSuccess {
    /// The alias this login created on its mount.
    #[inline]
    pub fn alias(&self) -> Option<&EntityAlias> {
        self.identity.aliases.first()
    }

    /// Vault's `auth` object for a response, given the token and accessor the server issued.
    #[inline]
    pub fn to_auth_json(&self, client_token: &str, accessor: &str) -> Value {
        json!({
            "client_token": client_token,
            "accessor": accessor,
            "policies": self.policies,
            "token_policies": self.token_policies,
            "metadata": self.metadata,
            "lease_duration": self.lease_duration,
            "renewable": self.renewable,
            "entity_id": self.identity.entity_id,
            "token_type": self.token_type.issued_name(),
            "orphan": self.orphan,
            "mfa_requirement": null,
            "num_uses": self.num_uses,
        })
    }
}

/// Allowed or denied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum LoginOutcome {
    /// The token would be issued.
    Allowed(Box<LoginSuccess>),
    /// The login is refused.
    Denied(Denial),
}

/// The decision and its explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct LoginResult {
    /// Allowed or denied.
    pub outcome: LoginOutcome,
    /// Every check, in order.
    pub trace: Trace,
}

impl LoginResult {
    /// The success, if allowed.
    #[inline]
    pub fn success(&self) -> Option<&LoginSuccess> {
        match &self.outcome {
            LoginOutcome::Allowed(success) => Some(success),
            LoginOutcome::Denied(_) => None,
        }
    }

    /// The denial, if denied.
    #[inline]
    pub fn denial(&self) -> Option<&Denial> {
        match &self.outcome {
            LoginOutcome::Allowed(_) => None,
            LoginOutcome::Denied(denial) => Some(denial),
        }
    }
}

/// Where [`begin_login`] stopped.
#[derive(Debug, Clone)]
pub enum LoginStep {
    /// Decided without TokenReview (a check failed).
    Finished(LoginResult),
    /// Every local check passed; Vault now asks Kubernetes.
    NeedsTokenReview(Box<PendingTokenReview>),
}

/// A login waiting for the TokenReview answer.
#[derive(Debug, Clone)]
pub struct PendingTokenReview {
    /// What to send. A server running inside a pod may replace `bearer` with its own token
    /// when no reviewer JWT is configured.
    pub request: TokenReviewRequest,
    wanted_audiences: Vec<String>,
    claims: ServiceAccountClaims,
    success: LoginSuccess,
    trace: Trace,
}

impl PendingTokenReview {
    /// Finishes the login with the TokenReview answer, or with the transport error that
    /// prevented one (a timeout or connection failure denies the login, as in Vault).
    #[inline]
    pub fn complete(mut self, response: Result<TokenReviewResponse, String>) -> LoginResult {
        let verdict = response
            .map_err(|e| format!("lookup failed: {e}"))
            .and_then(|r| {
                let reviewed = token_review::judge_response(&r, &self.wanted_audiences)
                    .map_err(|e| e.to_string())?;
                token_review::compare_with_claims(&reviewed, &self.claims)
                    .map_err(|e| e.to_string())
            });
        let outcome = match verdict {
            Ok(()) => {
                self.trace.passed(CheckId::TokenReview, || {
                    format!(
                        "Kubernetes confirmed {} (uid {})",
                        self.claims.username(),
                        self.claims.uid
                    )
                });
                LoginOutcome::Allowed(Box::new(self.success))
            }
            Err(why) => {
                self.trace
                    .record(CheckId::TokenReview, CheckStatus::Failed, why);
                LoginOutcome::Denied(Denial {
                    status: 403,
                    message: PERMISSION_DENIED.to_string(),
                    check: Some(CheckId::TokenReview),
                })
            }
        };
        LoginResult {
            outcome,
            trace: self.trace,
        }
    }
}

impl PendingTokenReview {
    /// Finishes the login without TokenReview, granting it on the local checks alone; the
    /// trace records the step as skipped for `reason`.
    #[inline]
    pub fn skip(self, reason: impl Into<Reason>) -> LoginResult {
        allowed_without_review(self.success, self.trace, reason)
    }
}

/// A login granted on its local checks, TokenReview recorded as skipped for `reason`.
#[inline]
fn allowed_without_review(
    success: LoginSuccess,
    mut trace: Trace,
    reason: impl Into<Reason>,
) -> LoginResult {
    trace.record(CheckId::TokenReview, CheckStatus::Skipped, reason);
    LoginResult {
        outcome: LoginOutcome::Allowed(Box::new(success)),
        trace,
    }
}

const PERMISSION_DENIED: &str = "permission denied";
const NOT_REACHED: &str = "not reached";

/// Evaluates a login completely offline: TokenReview is reported as skipped.
#[inline]
pub fn evaluate_login(mount: &KubernetesMount, request: &LoginRequest) -> LoginResult {
    evaluate_login_checking_signature_with(mount, request, &own_crypto, TraceMode::Full)
}

/// How the signature step checks a token's signature: the core's own crypto, or a verdict the
/// host reached with its crypto ([`crate::host_signature`]). Everything else is the same.
pub(crate) type SignatureCheck<'c> = &'c dyn Fn(
    &jwt::RawJwt<'_>,
    SigningAlgorithm,
    Option<&str>,
    &KeySet,
) -> Result<VerifiedSignature, SignatureError>;

#[inline]
fn own_crypto(
    raw: &jwt::RawJwt<'_>,
    algorithm: SigningAlgorithm,
    key_id: Option<&str>,
    keys: &KeySet,
) -> Result<VerifiedSignature, SignatureError> {
    jwt::verify_parts(
        raw.signature_b64,
        raw.signing_input,
        algorithm,
        key_id,
        keys,
    )
}

/// [`evaluate_login`] with the signature checked by `check_signature`, explained as asked. No
/// TokenReview request is built: offline, the step is only reported.
#[inline]
pub(crate) fn evaluate_login_checking_signature_with(
    mount: &KubernetesMount,
    request: &LoginRequest,
    check_signature: SignatureCheck<'_>,
    mode: TraceMode,
) -> LoginResult {
    let mut trace = Trace::new(mode);
    match checked_locally(mount, request, None, check_signature, &mut trace) {
        Ok(checked) => allowed_without_review(
            checked.success,
            trace,
            "not performed offline; Vault would now ask the Kubernetes TokenReview API whether the token is still valid",
        ),
        Err(result) => result,
    }
}

/// Runs every check up to TokenReview, as the mount's [`crate::mount::Verification`] says:
/// finished when a check fails, or when the mount sets `disable_token_review` (the signature
/// alone then proves the token); otherwise waiting for TokenReview. A mount with
/// `jwks_discovery` needs its discovered keys: see [`begin_login_with_discovered_keys`].
#[inline]
pub fn begin_login(mount: &KubernetesMount, request: &LoginRequest) -> LoginStep {
    begin_login_with_discovered_keys(mount, request, None)
}

/// [`begin_login`] with `discovered` keys (fetched from the cluster's OIDC discovery, as the
/// mount's verification asks) trusted beside the mount's `pem_keys`.
#[inline]
pub fn begin_login_with_discovered_keys(
    mount: &KubernetesMount,
    request: &LoginRequest,
    discovered: Option<&KeySet>,
) -> LoginStep {
    let step = begin_login_checking_signature_with(mount, request, discovered, &own_crypto);
    match step {
        LoginStep::NeedsTokenReview(pending) if !mount.verification().token_review => {
            LoginStep::Finished(pending.skip(
                "skipped: the mount sets disable_token_review, so the signature alone proves the token (Vault would ask the TokenReview API)",
            ))
        }
        step => step,
    }
}

#[inline]
fn begin_login_checking_signature_with(
    mount: &KubernetesMount,
    request: &LoginRequest,
    discovered: Option<&KeySet>,
    check_signature: SignatureCheck<'_>,
) -> LoginStep {
    let mut trace = Trace::new(TraceMode::Full);
    let checked = match checked_locally(mount, request, discovered, check_signature, &mut trace) {
        Ok(checked) => checked,
        Err(result) => return LoginStep::Finished(result),
    };
    let reviewer = mount
        .config()
        .map(|c| c.token_reviewer_jwt.as_str())
        .filter(|j| !j.is_empty());
    let host = mount
        .config()
        .map(|c| c.kubernetes_host.as_str())
        .unwrap_or_default();
    LoginStep::NeedsTokenReview(Box::new(PendingTokenReview {
        request: token_review::build_request(
            host,
            &request.jwt,
            &checked.wanted_audiences,
            reviewer,
        ),
        wanted_audiences: checked.wanted_audiences,
        claims: checked.claims,
        success: checked.success,
        trace,
    }))
}

/// Every check before TokenReview, recorded in `trace`; a denial is the finished result.
#[inline]
fn checked_locally(
    mount: &KubernetesMount,
    request: &LoginRequest,
    discovered: Option<&KeySet>,
    check_signature: SignatureCheck<'_>,
    trace: &mut Trace,
) -> Result<Checked, LoginResult> {
    let keys = match discovered {
        Some(discovered) => {
            let mut keys = mount.keys().clone();
            keys.extend(discovered.clone());
            std::borrow::Cow::Owned(keys)
        }
        None => std::borrow::Cow::Borrowed(mount.keys()),
    };
    local_checks(mount, &keys, request, check_signature, trace).map_err(|denial| {
        trace.skip_rest(NOT_REACHED);
        LoginResult {
            outcome: LoginOutcome::Denied(denial),
            trace: std::mem::take(trace),
        }
    })
}

struct Checked {
    success: LoginSuccess,
    claims: ServiceAccountClaims,
    wanted_audiences: Vec<String>,
}

#[inline]
fn deny(
    trace: &mut Trace,
    check: CheckId,
    status: u16,
    message: &str,
    reason: impl Into<Reason>,
) -> Denial {
    trace.record(check, CheckStatus::Failed, reason);
    Denial {
        status,
        message: message.to_string(),
        check: Some(check),
    }
}

#[inline]
fn local_checks(
    mount: &KubernetesMount,
    keys: &KeySet,
    request: &LoginRequest,
    check_signature: SignatureCheck<'_>,
    trace: &mut Trace,
) -> Result<Checked, Denial> {
    let role = check_role(mount, request, trace)?;
    check_bound_cidrs(role, request.remote_addr.as_deref(), trace)?;
    let Some(config) = mount.config() else {
        return Err(Denial {
            status: 500,
            message: "could not load backend configuration".into(),
            check: None,
        });
    };
    let without_keys = if mount.verification().discovery_keys {
        // Only offline: the server fetches these keys before any check, or denies the login.
        "no keys given: the mount sets jwks_discovery, and podpass's server verifies the signature with the keys of the cluster's OIDC discovery"
    } else {
        "no pem_keys configured: Vault leaves the signature to the TokenReview API"
    };
    let claims = verified_claims(&request.jwt, keys, without_keys, check_signature, trace)?;
    check_issuer(config.expected_issuer(), &claims, trace)?;
    check_audience(role, &claims, trace)?;
    check_times(&claims, request.now, trace)?;
    check_name(role, &claims, trace)?;
    check_namespace(role, &claims, request.namespace_labels.as_ref(), trace)?;

    let success = build_success(mount, role, request, &claims)?;
    let wanted_audiences = if role.audience.is_empty() {
        claims.audiences.clone()
    } else {
        vec![role.audience.clone()]
    };
    Ok(Checked {
        success,
        claims,
        wanted_audiences,
    })
}

/// The request's shape (a role and a jwt) and the role it names.
#[inline]
fn check_role<'m>(
    mount: &'m KubernetesMount,
    request: &LoginRequest,
    trace: &mut Trace,
) -> Result<&'m Role, Denial> {
    if request.role.is_empty() {
        return Err(deny(
            trace,
            CheckId::RoleLookup,
            400,
            "missing role",
            "the request names no role",
        ));
    }
    if request.jwt.is_empty() {
        return Err(deny(
            trace,
            CheckId::RoleLookup,
            400,
            "missing jwt",
            "the request carries no jwt",
        ));
    }
    let Some(role) = mount.role(&request.role) else {
        let known: Vec<String> = mount.roles().keys().cloned().collect();
        return Err(deny(
            trace,
            CheckId::RoleLookup,
            400,
            &format!("invalid role name {:?}", request.role),
            format!(
                "no role `{}` on auth/{}/ (roles: {})",
                request.role,
                mount.path(),
                list(&known)
            ),
        ));
    };
    trace.passed(CheckId::RoleLookup, || {
        format!("role `{}` exists", role.name)
    });
    Ok(role)
}

/// `token_bound_cidrs`: the caller's address must be inside one of them, when there are any.
#[inline]
fn check_bound_cidrs(
    role: &Role,
    remote_addr: Option<&str>,
    trace: &mut Trace,
) -> Result<(), Denial> {
    let cidrs = &role.token.bound_cidrs;
    if cidrs.is_empty() {
        trace.record(
            CheckId::BoundCidrs,
            CheckStatus::Skipped,
            "role sets no token_bound_cidrs",
        );
        return Ok(());
    }
    let bound = list(&cidrs.as_strings());
    let refused = |trace: &mut Trace, reason: String| {
        deny(trace, CheckId::BoundCidrs, 403, PERMISSION_DENIED, reason)
    };
    let Some(addr) = remote_addr else {
        return Err(refused(
            trace,
            format!("role binds logins to {bound} but the caller's address is unknown"),
        ));
    };
    match cidrs.allows(addr) {
        Ok(true) => {
            trace.passed(CheckId::BoundCidrs, || format!("{addr} is inside {bound}"));
            Ok(())
        }
        Ok(false) => Err(refused(trace, format!("{addr} is outside {bound}"))),
        Err(e) => Err(refused(trace, format!("caller address: {e}"))),
    }
}

/// The signature, then the algorithm (cap/jwt's order: an unaccepted `alg` fails at the
/// signature), then the claims read as a service account's. Without keys the signature is
/// left to TokenReview, as in Vault.
#[inline]
fn verified_claims(
    jwt: &str,
    keys: &KeySet,
    without_keys: &'static str,
    check_signature: SignatureCheck<'_>,
    trace: &mut Trace,
) -> Result<ServiceAccountClaims, Denial> {
    use CheckId as C;
    let unreadable = |trace: &mut Trace, e: jwt::JwtError| {
        deny(
            trace,
            C::Signature,
            403,
            PERMISSION_DENIED,
            format!("cannot read the token: {e}"),
        )
    };
    let raw = jwt::split(jwt).map_err(|e| unreadable(trace, e))?;
    let (alg_name, key_id) = raw
        .algorithm_and_key_id()
        .map_err(|e| unreadable(trace, e))?;
    let Some(algorithm) = SigningAlgorithm::from_name(&alg_name) else {
        let error = jwt::SignatureError::AlgorithmNotAccepted { alg: alg_name };
        return Err(deny(
            trace,
            C::Signature,
            403,
            PERMISSION_DENIED,
            error.to_string(),
        ));
    };
    let claims_json = raw.claims_json().map_err(|e| unreadable(trace, e))?;
    if keys.is_empty() {
        trace.record(C::Signature, CheckStatus::Skipped, without_keys);
    } else {
        match check_signature(&raw, algorithm, key_id.as_deref(), keys) {
            Ok(verified) => {
                trace.passed(C::Signature, || format!("verified with {}", verified.key))
            }
            Err(e) => {
                return Err(deny(
                    trace,
                    C::Signature,
                    403,
                    PERMISSION_DENIED,
                    e.to_string(),
                ));
            }
        }
    }
    trace.passed(C::Algorithm, || {
        format!("{algorithm} is an accepted algorithm")
    });

    match ServiceAccountClaims::from_json(&claims_json) {
        Ok(claims) => Ok(claims),
        Err(ClaimsJsonError::NotJsonObject(why)) => Err(deny(
            trace,
            C::Signature,
            403,
            PERMISSION_DENIED,
            format!("cannot read the token: token claims is not a JSON object: {why}"),
        )),
        Err(ClaimsJsonError::Claims(e)) => Err(deny(
            trace,
            check_for_claim(&e),
            403,
            &format!("invalid claims: {e}"),
            e.to_string(),
        )),
    }
}

#[inline]
fn check_for_claim(error: &ClaimsError) -> CheckId {
    match error.claim.as_str() {
        "iss" | "sub" => CheckId::Issuer,
        "aud" => CheckId::Audience,
        "nbf" => CheckId::NotBefore,
        "exp" => CheckId::Expiry,
        "iat" => CheckId::IssuedAt,
        claim if claim.contains("namespace") => CheckId::Namespace,
        _ => CheckId::ServiceAccountName,
    }
}

#[inline]
fn check_issuer(
    expected: Option<&str>,
    claims: &ServiceAccountClaims,
    trace: &mut Trace,
) -> Result<(), Denial> {
    let found = claims.issuer.as_deref().unwrap_or_default();
    match expected {
        None => {
            trace.record(
                CheckId::Issuer,
                CheckStatus::Skipped,
                "issuer not checked (disable_iss_validation is true or no issuer is configured)",
            );
            Ok(())
        }
        Some(expected) if expected == found => {
            trace.passed(CheckId::Issuer, || format!("iss is `{found}`"));
            Ok(())
        }
        Some(expected) => Err(deny(
            trace,
            CheckId::Issuer,
            403,
            "invalid issuer (iss) claim",
            format!("iss is `{found}`, config expects `{expected}`"),
        )),
    }
}

#[inline]
fn check_audience(
    role: &Role,
    claims: &ServiceAccountClaims,
    trace: &mut Trace,
) -> Result<(), Denial> {
    if role.audience.is_empty() {
        trace.record(
            CheckId::Audience,
            CheckStatus::Skipped,
            "role sets no audience",
        );
        return Ok(());
    }
    if claims.audiences.contains(&role.audience) {
        trace.passed(CheckId::Audience, || {
            format!(
                "aud {} contains `{}`",
                list(&claims.audiences),
                role.audience
            )
        });
        return Ok(());
    }
    Err(deny(
        trace,
        CheckId::Audience,
        403,
        "invalid audience (aud) claim: audience claim does not match any expected audience",
        format!(
            "aud {} does not contain `{}`",
            list(&claims.audiences),
            role.audience
        ),
    ))
}

/// cap/jwt's time rules with missing claims allowed: with none of the three there is no check;
/// a missing `exp` becomes the later of `iat`/`nbf` plus 150 s, a missing `nbf` becomes `iat`
/// (or `exp` minus 150 s). A claim of 0 counts as missing.
#[inline]
fn check_times(claims: &ServiceAccountClaims, now: i64, trace: &mut Trace) -> Result<(), Denial> {
    let present = |v: Option<i64>| v.filter(|t| *t != 0);
    let (exp, nbf, iat) = (
        present(claims.expires_at),
        present(claims.not_before),
        present(claims.issued_at),
    );
    if exp.is_none() && nbf.is_none() && iat.is_none() {
        for id in [CheckId::NotBefore, CheckId::Expiry, CheckId::IssuedAt] {
            trace.record(
                id,
                CheckStatus::Skipped,
                "token has no exp, nbf or iat (a legacy token): Vault checks no times",
            );
        }
        return Ok(());
    }
    let leeway = CLOCK_SKEW_LEEWAY_SECONDS;
    let effective_exp = exp.unwrap_or_else(|| {
        iat.unwrap_or(0)
            .max(nbf.unwrap_or(0))
            .saturating_add(MISSING_EXPIRY_LEEWAY_SECONDS)
    });
    let effective_nbf = nbf
        .or(iat)
        .unwrap_or(effective_exp.saturating_sub(MISSING_EXPIRY_LEEWAY_SECONDS));
    let nbf_source = if nbf.is_some() {
        "nbf"
    } else if iat.is_some() {
        "nbf missing, iat used:"
    } else {
        "nbf missing, exp - 150s:"
    };
    let time = |source, verb, at, beyond_leeway| TimeReason {
        source,
        verb,
        at,
        now,
        beyond_leeway,
    };
    // Claims and "now" can be any i64 (a token's claims are the caller's): saturate, never wrap.
    if now.saturating_add(leeway) < effective_nbf {
        return Err(deny(
            trace,
            CheckId::NotBefore,
            403,
            "invalid not before (nbf) claim: token not yet valid",
            time(nbf_source, "valid from", effective_nbf, true),
        ));
    }
    trace.record(
        CheckId::NotBefore,
        CheckStatus::Passed,
        time(nbf_source, "valid from", effective_nbf, false),
    );
    let exp_source = if exp.is_some() {
        "exp"
    } else {
        "exp missing, iat/nbf + 150s:"
    };
    if now.saturating_sub(leeway) > effective_exp {
        return Err(deny(
            trace,
            CheckId::Expiry,
            403,
            "invalid expiration time (exp) claim: token is expired",
            time(exp_source, "expired", effective_exp, true),
        ));
    }
    trace.record(
        CheckId::Expiry,
        CheckStatus::Passed,
        time(exp_source, "expires", effective_exp, false),
    );
    match iat {
        None => trace.record(CheckId::IssuedAt, CheckStatus::Passed, "no iat claim"),
        Some(iat) if now.saturating_add(leeway) < iat => {
            return Err(deny(
                trace,
                CheckId::IssuedAt,
                403,
                "invalid issued at (iat) claim: token issued in the future",
                time("", "issued", iat, true),
            ));
        }
        Some(iat) => trace.record(
            CheckId::IssuedAt,
            CheckStatus::Passed,
            time("", "issued", iat, false),
        ),
    }
    Ok(())
}

/// The three time checks alone (not before, expiry, issued at), as a login at `now` runs them:
/// for faces that show whether a token is expired or not yet valid before any role is chosen or
/// the login reaches them. The checks stop at the first failure, as in a login.
#[inline]
pub fn time_checks(claims: &ServiceAccountClaims, now: i64) -> Trace {
    let mut trace = Trace::new(TraceMode::Full);
    // The failure is recorded in the trace; the denial itself is what a login would answer.
    let _denied = check_times(claims, now, &mut trace);
    trace
}

#[inline]
fn check_name(role: &Role, claims: &ServiceAccountClaims, trace: &mut Trace) -> Result<(), Denial> {
    let names = &role.bound_service_account_names;
    if role.allows_service_account_name(&claims.name) {
        trace.passed(CheckId::ServiceAccountName, || {
            if role.admits_any_service_account_name() {
                format!(
                    "role allows any service account name (*); token's is `{}`",
                    claims.name
                )
            } else {
                format!("service account `{}` is in {}", claims.name, list(names))
            }
        });
        return Ok(());
    }
    Err(deny(
        trace,
        CheckId::ServiceAccountName,
        403,
        "service account name not authorized",
        format!(
            "service account `{}` is not in {}",
            claims.name,
            list(names)
        ),
    ))
}

#[inline]
fn check_namespace(
    role: &Role,
    claims: &ServiceAccountClaims,
    labels: Option<&BTreeMap<String, String>>,
    trace: &mut Trace,
) -> Result<(), Denial> {
    let namespaces = &role.bound_service_account_namespaces;
    let ns = &claims.namespace;
    if role.namespace_in_list(ns) {
        trace.passed(CheckId::Namespace, || {
            if role.admits_any_namespace_in_list() {
                format!("role allows every namespace (*); token's is `{ns}`")
            } else {
                format!("namespace `{ns}` is in {}", list(namespaces))
            }
        });
        return Ok(());
    }
    let listed = if namespaces.is_empty() {
        "the role lists no namespaces".to_string()
    } else {
        format!("namespace `{ns}` is not in {}", list(namespaces))
    };
    let Some(selector) = &role.namespace_selector else {
        return Err(deny(
            trace,
            CheckId::Namespace,
            403,
            "namespace not authorized",
            listed,
        ));
    };
    let Some(labels) = labels else {
        return Err(deny(
            trace,
            CheckId::Namespace,
            403,
            "namespace not authorized",
            format!(
                "{listed}, and the selector {} needs the namespace's labels, which were not supplied",
                selector.describe()
            ),
        ));
    };
    let shown: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if selector.matches(labels) {
        trace.passed(CheckId::Namespace, || {
            format!(
                "namespace `{ns}` labels {} match the selector {}",
                list(&shown),
                selector.describe()
            )
        });
        return Ok(());
    }
    Err(deny(
        trace,
        CheckId::Namespace,
        403,
        "namespace not authorized",
        format!(
            "{listed}, and its labels {} do not match the selector {}",
            list(&shown),
            selector.describe()
        ),
    ))
}

/// Vault's policyutil.SanitizePolicies: trimmed, lowercased, empties dropped, `root` alone wins,
/// `default` added unless refused, deduplicated and sorted.
#[inline]
pub fn sanitize_policies(policies: &[String], add_default: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(policies.len() + 1);
    for policy in policies {
        let policy = crate::policy::normalize_name(policy);
        if policy.is_empty() {
            continue;
        }
        if policy == "root" {
            return vec!["root".to_string()];
        }
        out.push(policy);
    }
    if add_default && !out.iter().any(|p| p == "default") {
        out.push("default".to_string());
    }
    crate::order::sort(&mut out);
    out.dedup();
    out
}

#[inline]
fn build_success(
    mount: &KubernetesMount,
    role: &Role,
    request: &LoginRequest,
    claims: &ServiceAccountClaims,
) -> Result<LoginSuccess, Denial> {
    let internal = |message: &str| Denial {
        status: 500,
        message: message.to_string(),
        check: None,
    };
    let alias_name = match role.alias_name_source {
        AliasNameSource::ServiceAccountUid => claims.uid.clone(),
        AliasNameSource::ServiceAccountName => {
            if claims.namespace.is_empty() || claims.name.is_empty() {
                return Err(internal("service account namespace and name must be set"));
            }
            [claims.namespace.as_str(), "/", &claims.name].concat()
        }
    };
    if claims.uid.is_empty() {
        return Err(internal("could not parse UID from claims"));
    }
    // Inserted one by one: collecting into a map would compile a sort of its own.
    let mut sa_metadata = BTreeMap::new();
    for (key, value) in [
        ("service_account_name", &claims.name),
        ("service_account_namespace", &claims.namespace),
        ("service_account_secret_name", &claims.secret_name),
        ("service_account_uid", &claims.uid),
    ] {
        sa_metadata.insert(key.to_string(), value.clone());
    }
    let mut metadata = sa_metadata.clone();
    metadata.insert("role".to_string(), request.role.clone());

    let policies = sanitize_policies(&role.token.policies, !role.token.no_default_policy);
    if policies.iter().any(|p| p == "root") {
        return Err(Denial {
            status: 400,
            message: "auth methods cannot create root tokens".into(),
            check: None,
        });
    }
    let ttl_settings = TtlSettings {
        backend_ttl: role.token.ttl,
        backend_max_ttl: role.token.max_ttl,
        period: role.token.period,
        explicit_max_ttl: role.token.explicit_max_ttl,
        mount_default_ttl: mount.ttls().default_lease_ttl,
        mount_max_ttl: mount.ttls().max_lease_ttl,
    };
    let ttl = ttl_settings
        .calculate(0, request.now, request.now)
        .map_err(|e| internal(&e.to_string()))?;

    // Joined and encoded without `format!`: every login runs this, and the formatting
    // machinery is several times slower in wasm.
    let entity_id = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        ["podpass:entity:", mount.accessor(), ":", &alias_name]
            .concat()
            .as_bytes(),
    )
    .hyphenated()
    .encode_lower(&mut uuid::Uuid::encode_buffer())
    .to_string();
    let identity = Identity {
        entity_name: ["entity_", &entity_id[..8]].concat(),
        entity_id,
        aliases: vec![EntityAlias {
            mount_accessor: mount.accessor().to_string(),
            name: alias_name,
            metadata: sa_metadata,
        }],
    };
    let batch = role.token.token_type == TokenType::Batch;
    Ok(LoginSuccess {
        role: request.role.clone(),
        token_policies: policies.clone(),
        policies,
        metadata,
        display_name: [
            &mount.path().replace('/', "-"),
            "-",
            &claims.namespace,
            "-",
            &claims.name,
        ]
        .concat(),
        lease_duration: ttl.ttl,
        max_ttl: ttl.effective_max_ttl,
        explicit_max_ttl: role.token.explicit_max_ttl,
        period: role.token.period,
        renewable: !batch,
        token_type: if batch {
            TokenType::Batch
        } else {
            TokenType::Service
        },
        num_uses: role.token.num_uses,
        bound_cidrs: role.token.bound_cidrs.clone(),
        orphan: true,
        warnings: ttl.warnings,
        identity,
        ttl_settings,
    })
}
