//! Roles of the Kubernetes auth method (`auth/<mount>/role/<name>`): Vault's write-time
//! validation, update semantics, legacy field mapping and read representation.
//!
//! [`Role::write`] replays Vault's create/update handler step by step, including the order of
//! its checks, because the order decides which error a user sees:
//! 1. field conversion of every known body field (`Field validation failed: ...`);
//! 2. the `token_*` fields, validated as Vault's tokenutil does (`'token_ttl' cannot be greater
//!    than 'token_max_ttl'`, batch restrictions, ...);
//! 3. the legacy fields (`policies`, `ttl`, `max_ttl`, `period`, `num_uses`, `bound_cidrs`)
//!    copied onto their `token_*` twins unless the `token_*` field was sent too — *after* the
//!    tokenutil checks, so legacy values are only checked by the role's own rules below;
//! 4. `token_period` against the mount max, then `token ttl should not be greater than token
//!    max ttl`;
//! 5. the bound names, namespaces, selector, audience and alias source.
//!
//! Deliberate differences from Vault are listed on [`Role::write_with`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use thiserror::Error;

use crate::cidr::{BoundCidrs, CidrError};
use crate::duration::go_duration_string;
use crate::fields::{self, FieldError, go_quote};
use crate::glob::list_contains_glob;
use crate::names;
use crate::selector::{NamespaceSelector, SelectorError};
use crate::ttl::MountTtls;

/// The warning Vault adds when `token_max_ttl` exceeds the mount's max lease TTL.
pub const MAX_TTL_WARNING: &str = "max_ttl is greater than the system or backend mount's maximum TTL value; \
     issued tokens' max TTL value will be truncated";

/// The warning Vault adds to every role written without an audience (`name` as given in the
/// request path, not lowercased).
#[inline]
pub fn audience_warning(name: &str) -> String {
    format!(
        "Role {name} does not have an audience configured. While audiences are not required, \
         consider specifying one if your use case would benefit from additional JWT claim \
         verification."
    )
}

/// How the entity alias name is derived at login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AliasNameSource {
    /// The service account's UID (Vault's default, and the safer choice: names can be reused).
    #[default]
    #[serde(rename = "serviceaccount_uid")]
    ServiceAccountUid,
    /// `<namespace>/<service account name>`.
    #[serde(rename = "serviceaccount_name")]
    ServiceAccountName,
}

impl AliasNameSource {
    /// The API spelling: `serviceaccount_uid` or `serviceaccount_name`.
    #[inline]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ServiceAccountUid => "serviceaccount_uid",
            Self::ServiceAccountName => "serviceaccount_name",
        }
    }

    /// Reads the API spelling (exact, case-sensitive, as Vault does).
    #[inline]
    pub fn from_api(text: &str) -> Option<Self> {
        match text {
            "serviceaccount_uid" => Some(Self::ServiceAccountUid),
            "serviceaccount_name" => Some(Self::ServiceAccountName),
            _ => None,
        }
    }
}

/// The `token_type` of a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum TokenType {
    /// `default` (also what `""` means): the mount's default, which is a service token.
    #[default]
    Default,
    /// `service`: a persisted, renewable token.
    Service,
    /// `batch`: a lightweight token; cannot be periodic or use-limited.
    Batch,
}

impl TokenType {
    /// The role's setting as Vault reads it back: `default`, `service` or `batch`.
    #[inline]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "default",
            Self::Service => "service",
            Self::Batch => "batch",
        }
    }

    /// The type of the tokens actually issued: `service` or `batch`.
    #[inline]
    pub fn issued_name(self) -> &'static str {
        match self {
            Self::Default | Self::Service => "service",
            Self::Batch => "batch",
        }
    }
}

/// The `token_*` settings of a role (Vault's tokenutil parameters). Durations are seconds,
/// 0 meaning unset.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TokenSettings {
    /// `token_ttl`.
    pub ttl: i64,
    /// `token_max_ttl`.
    pub max_ttl: i64,
    /// `token_explicit_max_ttl`.
    pub explicit_max_ttl: i64,
    /// `token_period`.
    pub period: i64,
    /// `token_policies`, as given (trimmed; sanitised only when tokens are issued).
    pub policies: Vec<String>,
    /// `token_no_default_policy`.
    pub no_default_policy: bool,
    /// `token_num_uses` (0 = unlimited).
    pub num_uses: i64,
    /// `token_bound_cidrs`.
    pub bound_cidrs: BoundCidrs,
    /// `token_type`.
    pub token_type: TokenType,
}

/// The deprecated field names as Vault stores them, kept so reads show them exactly when Vault
/// would: only while the value was last set through the legacy name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LegacyTokenFields {
    /// `policies` (lowercased, deduplicated and sorted on write, as Vault does).
    pub policies: Vec<String>,
    /// `ttl` in seconds.
    pub ttl: i64,
    /// `max_ttl` in seconds.
    pub max_ttl: i64,
    /// `period` in seconds.
    pub period: i64,
    /// `num_uses`.
    pub num_uses: i64,
    /// `bound_cidrs`.
    pub bound_cidrs: BoundCidrs,
}

/// A Kubernetes auth role.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Role {
    /// The role name, lowercased (role names are case-insensitive).
    pub name: String,
    /// Service account names allowed to log in (globs; a lone `*` allows all).
    pub bound_service_account_names: Vec<String>,
    /// Namespaces allowed to log in (globs; a lone `*` allows all).
    pub bound_service_account_namespaces: Vec<String>,
    /// The selector text as written; `""` when unset.
    pub bound_service_account_namespace_selector: String,
    /// The parsed selector; `None` exactly when the text is `""`.
    pub namespace_selector: Option<NamespaceSelector>,
    /// The required JWT audience; `""` when unset.
    pub audience: String,
    /// How the entity alias is named.
    pub alias_name_source: AliasNameSource,
    /// The token settings.
    pub token: TokenSettings,
    /// Values set through the deprecated field names (for reads).
    pub legacy: LegacyTokenFields,
    /// `alias_metadata` (Vault 1.21+; stored and shown, not applied at login — in Vault it is
    /// an Enterprise feature).
    pub alias_metadata: BTreeMap<String, String>,
}

/// The outcome of a successful write: the role to store and Vault's warnings, in Vault's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleWrite {
    /// The new state of the role.
    pub role: Role,
    /// Warnings for the response's `warnings` array.
    pub warnings: Vec<String>,
}

/// Opt-in departures from Vault's role-write behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteOptions {
    /// Accept `matchExpressions` in the namespace selector (a podpass extension; Vault refuses
    /// the role with `invalid "bound_service_account_namespace_selector" configured`).
    pub allow_match_expressions: bool,
    /// Reproduce Vault exactly on updates: a write that omits
    /// `bound_service_account_namespace_selector` clears the stored selector. podpass keeps it
    /// by default, like every other omitted field.
    pub clear_omitted_selector: bool,
}

/// Why a role write was refused. `Display` is Vault's error text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RoleError {
    /// The name does not match Vault's role path pattern, so Vault has no such route (404).
    #[error("unsupported path")]
    UnsupportedPath,
    /// A field value could not be converted to its type.
    #[error("Field validation failed: {0}")]
    Field(#[from] FieldError),
    /// `token_bound_cidrs` / `bound_cidrs` contains an unreadable entry.
    #[error(transparent)]
    BoundCidrs(#[from] CidrError),
    /// A `token_*` value (or stored legacy value) is negative.
    #[error("'{field}' cannot be negative")]
    Negative {
        /// `token_ttl`, `token_max_ttl`, `token_period` or `token_num_uses`.
        field: &'static str,
    },
    /// `token_type` is not `default`, `service` or `batch`.
    #[error("invalid 'token_type' value {}", go_quote(.0))]
    InvalidTokenType(String),
    /// A batch role with a period.
    #[error(
        "'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens"
    )]
    BatchPeriodic,
    /// A batch role with a use limit.
    #[error(
        "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count"
    )]
    BatchNumUses,
    /// tokenutil's check, for `token_ttl` sent with (or against a stored) `token_max_ttl`.
    #[error("'token_ttl' cannot be greater than 'token_max_ttl'")]
    TokenTtlAboveTokenMaxTtl,
    /// `token_period` above the mount's max lease TTL (durations in Go's `1h0m0s` form).
    #[error(
        "token period of '\"{}\"' is greater than the backend's maximum lease TTL of '\"{}\"'",
        go_duration_string(*.period),
        go_duration_string(*.max)
    )]
    PeriodAboveMountMax {
        /// The role's period in seconds.
        period: i64,
        /// The mount's max lease TTL in seconds.
        max: i64,
    },
    /// The role's own TTL check (reached by the legacy `ttl`/`max_ttl` names).
    #[error("token ttl should not be greater than token max ttl")]
    TtlAboveMaxTtl,
    /// No service account names.
    #[error("\"bound_service_account_names\" can not be empty")]
    NamesEmpty,
    /// Neither namespaces nor a selector.
    #[error(
        "\"bound_service_account_namespaces\" can not be empty if \"bound_service_account_namespace_selector\" is not set"
    )]
    NamespacesEmpty,
    /// `*` listed together with other names or namespaces.
    #[error("can not mix \"*\" with values")]
    MixedWildcard,
    /// The selector text is not a usable label selector; the cause is kept as the source (and
    /// said, when it is this build's missing YAML reader rather than the text).
    #[error(
        "invalid \"bound_service_account_namespace_selector\" configured{}",
        if matches!(.0, SelectorError::YamlNotBuilt) { format!(": {}", .0) } else { String::new() }
    )]
    InvalidSelector(#[source] SelectorError),
    /// `alias_name_source` is not one of the two accepted values.
    #[error("invalid alias_name_source, must be one of: serviceaccount_uid, serviceaccount_name")]
    InvalidAliasNameSource,
}

impl RoleError {
    /// The HTTP status Vault answers with: 404 for an invalid name, 400 for everything else.
    #[inline]
    pub fn status_code(&self) -> u16 {
        match self {
            Self::UnsupportedPath => 404,
            _ => 400,
        }
    }
}

/// The body fields of a role write, converted the way Vault's framework converts them before
/// the handler runs. `None` means "not sent" (Vault's `GetOk` returning false).
#[derive(Default)]
struct RoleInput {
    names: Option<Vec<String>>,
    namespaces: Option<Vec<String>>,
    selector: Option<String>,
    audience: Option<String>,
    alias_name_source: Option<String>,
    alias_metadata: Option<BTreeMap<String, String>>,
    policies: Option<Vec<String>>,
    num_uses: Option<i64>,
    ttl: Option<i64>,
    max_ttl: Option<i64>,
    period: Option<i64>,
    bound_cidrs: Option<Vec<String>>,
    token_bound_cidrs: Option<Vec<String>>,
    token_explicit_max_ttl: Option<i64>,
    token_max_ttl: Option<i64>,
    token_no_default_policy: Option<bool>,
    token_period: Option<i64>,
    token_policies: Option<Vec<String>>,
    token_type: Option<String>,
    token_ttl: Option<i64>,
    token_num_uses: Option<i64>,
    /// Body keys outside the schema, sorted.
    ignored: Vec<String>,
    /// Whether the body carried a non-null `name` (the path's name always wins).
    name_replaced: bool,
}

impl RoleInput {
    #[inline]
    fn parse(body: &Map<String, Value>) -> Result<RoleInput, FieldError> {
        // A null duration counts as "not sent" in Vault; every other null converts to the
        // type's zero value and counts as sent.
        #[inline]
        fn duration(key: &str, value: &Value) -> Result<Option<i64>, FieldError> {
            if value.is_null() {
                return Ok(None);
            }
            fields::duration_seconds(key, value).map(Some)
        }
        let list = |key: &str, value: &Value| fields::comma_string_slice(key, value).map(Some);
        let text = |key: &str, value: &Value| fields::string(key, value).map(Some);
        let int = |key: &str, value: &Value| fields::integer(key, value).map(Some);

        let mut input = RoleInput::default();
        // serde_json's map iterates in key order, so the first reported error is deterministic
        // (Vault's own order is random when several fields are bad).
        for (key, value) in body {
            match key.as_str() {
                "name" => input.name_replaced = !value.is_null(),
                "bound_service_account_names" => input.names = list(key, value)?,
                "bound_service_account_namespaces" => input.namespaces = list(key, value)?,
                "bound_service_account_namespace_selector" => input.selector = text(key, value)?,
                "audience" => input.audience = text(key, value)?,
                "alias_name_source" => input.alias_name_source = text(key, value)?,
                "alias_metadata" => input.alias_metadata = Some(fields::kv_pairs(key, value)?),
                "policies" => input.policies = list(key, value)?,
                "num_uses" => input.num_uses = int(key, value)?,
                "ttl" => input.ttl = duration(key, value)?,
                "max_ttl" => input.max_ttl = duration(key, value)?,
                "period" => input.period = duration(key, value)?,
                "bound_cidrs" => input.bound_cidrs = list(key, value)?,
                "token_bound_cidrs" => input.token_bound_cidrs = list(key, value)?,
                "token_explicit_max_ttl" => input.token_explicit_max_ttl = duration(key, value)?,
                "token_max_ttl" => input.token_max_ttl = duration(key, value)?,
                "token_no_default_policy" => {
                    input.token_no_default_policy = Some(fields::boolean(key, value)?);
                }
                "token_period" => input.token_period = duration(key, value)?,
                "token_policies" => input.token_policies = list(key, value)?,
                "token_type" => input.token_type = text(key, value)?,
                "token_ttl" => input.token_ttl = duration(key, value)?,
                "token_num_uses" => input.token_num_uses = int(key, value)?,
                _ => input.ignored.push(key.clone()),
            }
        }
        crate::order::sort(&mut input.ignored);
        Ok(input)
    }
}

/// Vault's `tokenutil.UpgradeValue` for one legacy/new pair: the new field wins and, when the
/// legacy name was not sent alongside it, the legacy value is cleared (so reads stop showing
/// it); a legacy value sent alone is copied to the new field.
#[inline]
fn upgrade<T: Clone + Default>(new_sent: bool, old_sent: Option<T>, legacy: &mut T, token: &mut T) {
    if new_sent {
        *legacy = if old_sent.is_some() {
            token.clone()
        } else {
            T::default()
        };
    } else if let Some(value) = old_sent {
        *legacy = value;
        *token = legacy.clone();
    }
}

/// Vault's `policyutil.ParsePolicies` on the legacy `policies` field: trimmed, lowercased,
/// empties dropped, deduplicated, sorted; `root` anywhere means only `root`.
#[inline]
fn sanitize_legacy_policies(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let policy = crate::policy::normalize_name(item);
        if policy.is_empty() {
            continue;
        }
        if policy == "root" {
            return vec![policy];
        }
        out.push(policy);
    }
    crate::order::sort(&mut out);
    out.dedup();
    out
}

#[inline]
fn mixes_wildcard(items: &[String]) -> bool {
    items.len() > 1 && items.iter().any(|item| item == "*")
}

#[inline]
fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

impl Role {
    /// Whether `name` is a valid role name: Vault's `\w(([\w-.]+)?\w)?` (ASCII word
    /// characters, with `-` and `.` allowed inside).
    #[inline]
    pub fn is_valid_name(name: &str) -> bool {
        let bytes = name.as_bytes();
        match (bytes.first(), bytes.last()) {
            (Some(&first), Some(&last)) => {
                is_word_byte(first)
                    && is_word_byte(last)
                    && bytes
                        .iter()
                        .all(|b| is_word_byte(*b) || *b == b'-' || *b == b'.')
            }
            _ => false,
        }
    }

    /// Vault's role create/update: `existing` is the stored role (update) or `None` (create).
    /// Equivalent to [`Role::write_with`] with default [`WriteOptions`].
    #[inline]
    pub fn write(
        name: &str,
        body: &Map<String, Value>,
        existing: Option<&Role>,
        mount: &MountTtls,
    ) -> Result<RoleWrite, RoleError> {
        Self::write_with(name, body, existing, mount, &WriteOptions::default())
    }

    /// Vault's role create/update with explicit options.
    ///
    /// Differences from Vault, by design:
    /// - On update, an omitted `bound_service_account_namespace_selector` keeps the stored
    ///   selector (Vault clears it, so a partial update of a selector-only role fails with the
    ///   "can not be empty" error). Set [`WriteOptions::clear_omitted_selector`] for Vault's
    ///   behaviour.
    /// - The `Endpoint ignored these unrecognized parameters` warning is always returned; Vault
    ///   drops it when the write produced no other warning (its response is then empty).
    /// - When several fields fail conversion, the first in alphabetical order is reported
    ///   (Vault's choice is random).
    #[inline]
    pub fn write_with(
        name: &str,
        body: &Map<String, Value>,
        existing: Option<&Role>,
        mount: &MountTtls,
        options: &WriteOptions,
    ) -> Result<RoleWrite, RoleError> {
        if !Self::is_valid_name(name) {
            return Err(RoleError::UnsupportedPath);
        }
        let input = RoleInput::parse(body)?;
        let creating = existing.is_none();
        let mut role = existing.cloned().unwrap_or_default();
        role.name = names::lowercase(name);

        role.apply_token_fields(&input)?;
        role.apply_legacy_fields(&input)?;

        let token = &role.token;
        if token.period > mount.max_lease_ttl {
            return Err(RoleError::PeriodAboveMountMax {
                period: token.period,
                max: mount.max_lease_ttl,
            });
        }
        if token.max_ttl > 0 && token.ttl > token.max_ttl {
            return Err(RoleError::TtlAboveMaxTtl);
        }
        let mut warnings = Vec::new();
        if token.max_ttl > mount.max_lease_ttl {
            warnings.push(MAX_TTL_WARNING.to_string());
        }

        if let Some(names) = &input.names {
            role.bound_service_account_names = names.clone();
        } else if creating {
            role.bound_service_account_names = Vec::new();
        }
        if role.bound_service_account_names.is_empty() {
            return Err(RoleError::NamesEmpty);
        }
        if mixes_wildcard(&role.bound_service_account_names) {
            return Err(RoleError::MixedWildcard);
        }

        if let Some(namespaces) = &input.namespaces {
            role.bound_service_account_namespaces = namespaces.clone();
        }
        if let Some(selector) = &input.selector {
            role.bound_service_account_namespace_selector = selector.clone();
        } else if creating || options.clear_omitted_selector {
            role.bound_service_account_namespace_selector = String::new();
        }
        if role.bound_service_account_namespaces.is_empty()
            && role.bound_service_account_namespace_selector.is_empty()
        {
            return Err(RoleError::NamespacesEmpty);
        }
        role.namespace_selector = if role.bound_service_account_namespace_selector.is_empty() {
            None
        } else {
            let text = &role.bound_service_account_namespace_selector;
            let parsed = if options.allow_match_expressions {
                NamespaceSelector::parse(text)
            } else {
                NamespaceSelector::parse_vault(text)
            };
            Some(parsed.map_err(RoleError::InvalidSelector)?)
        };
        if mixes_wildcard(&role.bound_service_account_namespaces) {
            return Err(RoleError::MixedWildcard);
        }

        if let Some(audience) = &input.audience {
            role.audience = audience.clone();
        }
        if role.audience.trim().is_empty() {
            warnings.push(audience_warning(name));
        }

        role.alias_name_source = match input.alias_name_source.as_deref() {
            // A new role has no source yet, and Vault migrates "unset" to the default.
            Some("") | None if creating => AliasNameSource::default(),
            Some(text) => {
                AliasNameSource::from_api(text).ok_or(RoleError::InvalidAliasNameSource)?
            }
            None => role.alias_name_source,
        };
        if let Some(metadata) = &input.alias_metadata {
            role.alias_metadata = metadata.clone();
        }

        warnings.extend(crate::fields::ignored_parameters_warning(
            input.ignored.iter().map(String::as_str),
        ));
        if input.name_replaced {
            warnings.push(
                "Endpoint replaced the value of these parameters with the values captured from \
                 the endpoint's path: [name]"
                    .to_string(),
            );
        }
        Ok(RoleWrite { role, warnings })
    }

    /// Vault's tokenutil `ParseTokenFields`, in its order, on top of the stored values.
    #[inline]
    fn apply_token_fields(&mut self, input: &RoleInput) -> Result<(), RoleError> {
        let token = &mut self.token;
        if let Some(items) = &input.token_bound_cidrs {
            token.bound_cidrs = BoundCidrs::parse(items)?;
        }
        if let Some(value) = input.token_explicit_max_ttl {
            token.explicit_max_ttl = value;
        }
        if let Some(value) = input.token_max_ttl {
            token.max_ttl = value;
        }
        if token.max_ttl < 0 {
            return Err(RoleError::Negative {
                field: "token_max_ttl",
            });
        }
        if let Some(value) = input.token_no_default_policy {
            token.no_default_policy = value;
        }
        if let Some(value) = input.token_period {
            token.period = value;
        }
        if token.period < 0 {
            return Err(RoleError::Negative {
                field: "token_period",
            });
        }
        if let Some(policies) = &input.token_policies {
            token.policies = policies.clone();
        }
        if let Some(kind) = &input.token_type {
            token.token_type = match kind.as_str() {
                "" | "default" => TokenType::Default,
                "service" => TokenType::Service,
                "batch" => TokenType::Batch,
                other => return Err(RoleError::InvalidTokenType(other.to_string())),
            };
        }
        if let Some(value) = input.token_num_uses {
            token.num_uses = value;
        }
        if token.num_uses < 0 {
            return Err(RoleError::Negative {
                field: "token_num_uses",
            });
        }
        if token.token_type == TokenType::Batch {
            if token.period != 0 {
                return Err(RoleError::BatchPeriodic);
            }
            if token.num_uses != 0 {
                return Err(RoleError::BatchNumUses);
            }
        }
        if let Some(value) = input.token_ttl {
            token.ttl = value;
        }
        if token.ttl < 0 {
            return Err(RoleError::Negative { field: "token_ttl" });
        }
        if token.ttl > 0 && token.max_ttl > 0 && token.ttl > token.max_ttl {
            return Err(RoleError::TokenTtlAboveTokenMaxTtl);
        }
        Ok(())
    }

    /// The legacy names, mapped after the tokenutil checks exactly as Vault orders it.
    #[inline]
    fn apply_legacy_fields(&mut self, input: &RoleInput) -> Result<(), RoleError> {
        let legacy = &mut self.legacy;
        let token = &mut self.token;
        let policies = input.policies.as_deref().map(sanitize_legacy_policies);
        upgrade(
            input.token_policies.is_some(),
            policies,
            &mut legacy.policies,
            &mut token.policies,
        );
        let cidrs = match (&input.token_bound_cidrs, &input.bound_cidrs) {
            (None, Some(items)) => Some(BoundCidrs::parse(items)?),
            (_, Some(_)) => Some(BoundCidrs::default()),
            (_, None) => None,
        };
        upgrade(
            input.token_bound_cidrs.is_some(),
            cidrs,
            &mut legacy.bound_cidrs,
            &mut token.bound_cidrs,
        );
        upgrade(
            input.token_num_uses.is_some(),
            input.num_uses,
            &mut legacy.num_uses,
            &mut token.num_uses,
        );
        upgrade(
            input.token_ttl.is_some(),
            input.ttl,
            &mut legacy.ttl,
            &mut token.ttl,
        );
        upgrade(
            input.token_max_ttl.is_some(),
            input.max_ttl,
            &mut legacy.max_ttl,
            &mut token.max_ttl,
        );
        upgrade(
            input.token_period.is_some(),
            input.period,
            &mut legacy.period,
            &mut token.period,
        );
        Ok(())
    }

    /// Vault's role read (`data` of `GET auth/<mount>/role/<name>`).
    #[inline]
    pub fn to_read_json(&self) -> Value {
        let token = &self.token;
        let mut data = Map::new();
        data.insert(
            "bound_service_account_names".into(),
            json!(self.bound_service_account_names),
        );
        data.insert(
            "bound_service_account_namespaces".into(),
            json!(self.bound_service_account_namespaces),
        );
        data.insert(
            "bound_service_account_namespace_selector".into(),
            json!(self.bound_service_account_namespace_selector),
        );
        if !self.audience.is_empty() {
            data.insert("audience".into(), json!(self.audience));
        }
        let cidrs = token.bound_cidrs.as_strings();
        data.insert("token_bound_cidrs".into(), json!(cidrs));
        data.insert(
            "token_explicit_max_ttl".into(),
            json!(token.explicit_max_ttl),
        );
        data.insert("token_max_ttl".into(), json!(token.max_ttl));
        data.insert(
            "token_no_default_policy".into(),
            json!(token.no_default_policy),
        );
        data.insert("token_period".into(), json!(token.period));
        data.insert("token_policies".into(), json!(token.policies));
        data.insert("token_type".into(), json!(token.token_type.as_str()));
        data.insert("token_ttl".into(), json!(token.ttl));
        data.insert("token_num_uses".into(), json!(token.num_uses));
        data.insert("alias_metadata".into(), json!(self.alias_metadata));
        // Legacy names appear only while set through them; the list-valued ones echo the
        // token_* value, the numeric ones their own stored value, as in Vault.
        if !self.legacy.policies.is_empty() {
            data.insert("policies".into(), json!(token.policies));
        }
        if !self.legacy.bound_cidrs.is_empty() {
            data.insert("bound_cidrs".into(), json!(cidrs));
        }
        for (key, value) in [
            ("ttl", self.legacy.ttl),
            ("max_ttl", self.legacy.max_ttl),
            ("period", self.legacy.period),
            ("num_uses", self.legacy.num_uses),
        ] {
            if value > 0 {
                data.insert(key.into(), json!(value));
            }
        }
        data.insert(
            "alias_name_source".into(),
            json!(self.alias_name_source.as_str()),
        );
        Value::Object(data)
    }

    /// Whether `bound_service_account_names` is Vault's lone `*`, which admits every name.
    #[inline]
    pub fn admits_any_service_account_name(&self) -> bool {
        let names = &self.bound_service_account_names;
        names.len() == 1 && names[0] == "*"
    }

    /// Whether `bound_service_account_namespaces` starts with `*`: Vault honours a `*` only in
    /// first position (mixing it with values is refused at write), and then admits every
    /// namespace without looking at the selector.
    #[inline]
    pub fn admits_any_namespace_in_list(&self) -> bool {
        self.bound_service_account_namespaces
            .first()
            .is_some_and(|first| first == "*")
    }

    /// Vault's login check of the service account name: a lone `*` admits every name,
    /// otherwise some entry must glob-match.
    #[inline]
    pub fn allows_service_account_name(&self, name: &str) -> bool {
        self.admits_any_service_account_name()
            || list_contains_glob(&self.bound_service_account_names, name)
    }

    /// Vault's login check of the namespace against the namespace list (a first entry `*`
    /// admits all). When this is false Vault falls back to the selector, if one is set.
    #[inline]
    pub fn namespace_in_list(&self, namespace: &str) -> bool {
        self.admits_any_namespace_in_list()
            || list_contains_glob(&self.bound_service_account_namespaces, namespace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn create(value: Value) -> Result<RoleWrite, RoleError> {
        Role::write("test", &body(value), None, &MountTtls::default())
    }

    fn base() -> Value {
        json!({
            "bound_service_account_names": "name",
            "bound_service_account_namespaces": "namespace",
            "audience": "vault"
        })
    }

    fn with(mut value: Value, extra: Value) -> Value {
        if let (Value::Object(target), Value::Object(extra)) = (&mut value, extra) {
            target.extend(extra);
        }
        value
    }

    fn create_err(value: Value) -> String {
        create(value).unwrap_err().to_string()
    }

    #[test]
    fn valid_names() {
        for good in ["a", "grade-api", "a.b", "A_1", "x-.y", "9"] {
            assert!(Role::is_valid_name(good), "{good}");
        }
        for bad in ["", "-a", "a-", ".a", "a.", "a b", "a/b", "é", "a*"] {
            assert!(!Role::is_valid_name(bad), "{bad}");
        }
        let err = Role::write("bad/name", &body(base()), None, &MountTtls::default()).unwrap_err();
        assert_eq!(err, RoleError::UnsupportedPath);
        assert_eq!(err.status_code(), 404);
    }

    #[test]
    fn vault_default_create_case() {
        let written = create(json!({
            "bound_service_account_names": "name",
            "bound_service_account_namespaces": "namespace",
            "policies": "test",
            "period": "3s",
            "ttl": "1s",
            "num_uses": 12,
            "max_ttl": "5s",
            "alias_name_source": "serviceaccount_uid"
        }))
        .unwrap();
        let role = written.role;
        assert_eq!(role.token.policies, ["test"]);
        assert_eq!(
            (role.token.period, role.token.ttl, role.token.max_ttl),
            (3, 1, 5)
        );
        assert_eq!(role.token.num_uses, 12);
        assert_eq!(role.legacy.policies, ["test"]);
        assert_eq!(
            (
                role.legacy.period,
                role.legacy.ttl,
                role.legacy.max_ttl,
                role.legacy.num_uses
            ),
            (3, 1, 5, 12)
        );
        assert_eq!(role.alias_name_source, AliasNameSource::ServiceAccountUid);
        assert_eq!(written.warnings, [audience_warning("test")]);
    }

    #[test]
    fn vault_read_shape() {
        let role = create(json!({
            "bound_service_account_names": "name",
            "bound_service_account_namespaces": "namespace",
            "bound_service_account_namespace_selector": "{\"matchLabels\": {\"stage\": \"prod\"}}",
            "policies": "test",
            "period": "3s",
            "ttl": "1s",
            "num_uses": 12,
            "max_ttl": "5s"
        }))
        .unwrap()
        .role;
        assert_eq!(
            role.to_read_json(),
            json!({
                "bound_service_account_names": ["name"],
                "bound_service_account_namespaces": ["namespace"],
                "bound_service_account_namespace_selector": "{\"matchLabels\": {\"stage\": \"prod\"}}",
                "token_policies": ["test"],
                "policies": ["test"],
                "token_period": 3,
                "period": 3,
                "token_ttl": 1,
                "ttl": 1,
                "token_num_uses": 12,
                "num_uses": 12,
                "token_max_ttl": 5,
                "max_ttl": 5,
                "token_bound_cidrs": [],
                "token_type": "default",
                "token_explicit_max_ttl": 0,
                "token_no_default_policy": false,
                "alias_name_source": "serviceaccount_uid",
                "alias_metadata": {}
            })
        );
    }

    #[test]
    fn every_write_error_message() {
        let cases: Vec<(Value, &str)> = vec![
            (
                json!({"policies": "test"}),
                "\"bound_service_account_names\" can not be empty",
            ),
            (
                json!({"bound_service_account_names": "name", "policies": "test"}),
                "\"bound_service_account_namespaces\" can not be empty if \"bound_service_account_namespace_selector\" is not set",
            ),
            (
                json!({"bound_service_account_names": "*, test", "bound_service_account_namespaces": "*"}),
                "can not mix \"*\" with values",
            ),
            (
                json!({"bound_service_account_names": "a", "bound_service_account_namespaces": ["*", "ns"]}),
                "can not mix \"*\" with values",
            ),
            (
                with(base(), json!({"alias_name_source": "_invalid_"})),
                "invalid alias_name_source, must be one of: serviceaccount_uid, serviceaccount_name",
            ),
            (
                json!({"bound_service_account_names": "a", "bound_service_account_namespace_selector": "{\"matchLabels\": \"stage\"}"}),
                "invalid \"bound_service_account_namespace_selector\" configured",
            ),
            (
                json!({"bound_service_account_names": "a", "bound_service_account_namespace_selector": "matchLabels:\n- stage: prod\n"}),
                "invalid \"bound_service_account_namespace_selector\" configured",
            ),
            (
                json!({"bound_service_account_names": "a", "bound_service_account_namespace_selector": "{\"matchExpressions\": []}"}),
                "invalid \"bound_service_account_namespace_selector\" configured",
            ),
            (
                with(base(), json!({"ttl": "2h", "max_ttl": "1h"})),
                "token ttl should not be greater than token max ttl",
            ),
            (
                with(base(), json!({"token_ttl": "2h", "token_max_ttl": "1h"})),
                "'token_ttl' cannot be greater than 'token_max_ttl'",
            ),
            (
                with(base(), json!({"token_num_uses": -1})),
                "'token_num_uses' cannot be negative",
            ),
            (
                with(base(), json!({"token_type": "x"})),
                "invalid 'token_type' value \"x\"",
            ),
            (
                with(base(), json!({"token_type": "batch", "token_period": "1h"})),
                "'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens",
            ),
            (
                with(base(), json!({"token_type": "batch", "token_num_uses": 3})),
                "'token_type' cannot be 'batch' or 'default_batch' when set to generate tokens with limited use count",
            ),
            (
                with(base(), json!({"token_period": "800h"})),
                "token period of '\"800h0m0s\"' is greater than the backend's maximum lease TTL of '\"768h0m0s\"'",
            ),
            (
                with(base(), json!({"token_ttl": "abc"})),
                "Field validation failed: error converting input abc for field \"token_ttl\": time: invalid duration \"abc\"",
            ),
            (
                with(base(), json!({"token_ttl": -5})),
                "Field validation failed: error converting input -5 for field \"token_ttl\": cannot provide negative value '-5'",
            ),
            (
                with(base(), json!({"token_num_uses": "many"})),
                "Field validation failed: error converting input many for field \"token_num_uses\": cannot parse '' as int: strconv.ParseInt: parsing \"many\": invalid syntax",
            ),
            (
                with(base(), json!({"token_bound_cidrs": "10.0.0.0/8, nope"})),
                "error parsing address \"nope\": Unable to convert \"nope\" to an IPv4 or IPv6 address, or a UNIX Socket",
            ),
            (
                with(base(), json!({"bound_cidrs": ["x"]})),
                "error parsing address \"x\": Unable to convert \"x\" to an IPv4 or IPv6 address, or a UNIX Socket",
            ),
        ];
        for (input, message) in cases {
            let err = create(input.clone()).unwrap_err();
            assert_eq!(err.to_string(), message, "{input}");
            assert_eq!(err.status_code(), 400);
        }
    }

    #[test]
    fn negative_stored_values_are_caught() {
        let mut stored = create(base()).unwrap().role;
        for (field, setter) in [
            (
                "token_ttl",
                (|r: &mut Role| r.token.ttl = -1) as fn(&mut Role),
            ),
            ("token_max_ttl", |r: &mut Role| r.token.max_ttl = -1),
            ("token_period", |r: &mut Role| r.token.period = -1),
            ("token_num_uses", |r: &mut Role| r.token.num_uses = -1),
        ] {
            let mut broken = stored.clone();
            setter(&mut broken);
            let err =
                Role::write("test", &Map::new(), Some(&broken), &MountTtls::default()).unwrap_err();
            assert_eq!(err, RoleError::Negative { field });
            assert_eq!(err.to_string(), format!("'{field}' cannot be negative"));
        }
        stored.token.ttl = 10;
        assert!(Role::write("test", &Map::new(), Some(&stored), &MountTtls::default()).is_ok());
    }

    #[test]
    fn tokenutil_checks_come_before_the_role_checks() {
        // Both checks apply; tokenutil's wording wins because it runs first.
        let err = create(with(
            base(),
            json!({"token_ttl": "2h", "token_max_ttl": "1h", "token_period": "900h"}),
        ));
        assert_eq!(err.unwrap_err(), RoleError::TokenTtlAboveTokenMaxTtl);
        // Legacy values skip tokenutil, so a batch role may get a legacy period, as in Vault.
        let batch = create(with(base(), json!({"token_type": "batch", "period": "1h"}))).unwrap();
        assert_eq!(batch.role.token.period, 3600);
        // The period check runs before the TTL one.
        let err = create(with(
            base(),
            json!({"period": "900h", "ttl": "2h", "max_ttl": "1h"}),
        ))
        .unwrap_err();
        assert!(matches!(err, RoleError::PeriodAboveMountMax { .. }));
        // Field conversion runs before everything.
        let err = create(json!({"token_ttl": "bad"})).unwrap_err();
        assert!(matches!(err, RoleError::Field(_)));
    }

    #[test]
    fn stored_max_ttl_constrains_later_updates() {
        let stored = create(with(base(), json!({"token_max_ttl": "1h"})))
            .unwrap()
            .role;
        let err = Role::write(
            "test",
            &body(json!({"token_ttl": "2h"})),
            Some(&stored),
            &MountTtls::default(),
        )
        .unwrap_err();
        assert_eq!(err, RoleError::TokenTtlAboveTokenMaxTtl);
    }

    #[test]
    fn warnings_in_vault_order() {
        let written = create(json!({
            "bound_service_account_names": "a",
            "bound_service_account_namespaces": "b",
            "token_max_ttl": "800h",
            "zeta": 1,
            "alpha": "x",
            "name": "other"
        }))
        .unwrap();
        assert_eq!(
            written.warnings,
            [
                MAX_TTL_WARNING.to_string(),
                audience_warning("test"),
                "Endpoint ignored these unrecognized parameters: [alpha zeta]".to_string(),
                "Endpoint replaced the value of these parameters with the values captured from the endpoint's path: [name]".to_string(),
            ]
        );
        assert_eq!(
            audience_warning("My-Role"),
            "Role My-Role does not have an audience configured. While audiences are not required, \
             consider specifying one if your use case would benefit from additional JWT claim verification."
        );
        assert_eq!(
            MAX_TTL_WARNING,
            "max_ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated"
        );
        // With an audience and nothing odd, there is no warning at all.
        assert!(create(base()).unwrap().warnings.is_empty());
        // A blank audience still warns, and is stored as sent.
        let blank = create(with(base(), json!({"audience": "  "}))).unwrap();
        assert_eq!(blank.warnings, [audience_warning("test")]);
        assert_eq!(blank.role.to_read_json()["audience"], json!("  "));
    }

    #[test]
    fn names_are_lowercased_but_warnings_use_the_path() {
        let written = Role::write(
            "Grade-API",
            &body(json!({"bound_service_account_names": "a", "bound_service_account_namespaces": "b"})),
            None,
            &MountTtls::default(),
        )
        .unwrap();
        assert_eq!(written.role.name, "grade-api");
        assert_eq!(written.warnings, [audience_warning("Grade-API")]);
    }

    #[test]
    fn update_keeps_unsent_fields() {
        let stored = create(with(
            base(),
            json!({
                "bound_service_account_namespace_selector": "matchLabels:\n  team: a\n",
                "token_policies": ["p1"],
                "token_ttl": "1h",
                "token_bound_cidrs": "10.0.0.0/8",
                "alias_name_source": "serviceaccount_name"
            }),
        ))
        .unwrap()
        .role;
        let updated = Role::write(
            "test",
            &body(json!({"token_max_ttl": "2h"})),
            Some(&stored),
            &MountTtls::default(),
        )
        .unwrap()
        .role;
        assert_eq!(updated.bound_service_account_names, ["name"]);
        assert_eq!(updated.bound_service_account_namespaces, ["namespace"]);
        assert_eq!(updated.audience, "vault");
        assert_eq!(updated.token.policies, ["p1"]);
        assert_eq!(updated.token.ttl, 3600);
        assert_eq!(updated.token.max_ttl, 7200);
        assert_eq!(updated.token.bound_cidrs.as_strings(), ["10.0.0.0/8"]);
        assert_eq!(
            updated.alias_name_source,
            AliasNameSource::ServiceAccountName
        );
        assert_eq!(
            updated.bound_service_account_namespace_selector,
            "matchLabels:\n  team: a\n"
        );
        assert!(updated.namespace_selector.is_some());
    }

    #[test]
    fn omitted_selector_on_update() {
        let stored = create(json!({
            "bound_service_account_names": "a",
            "bound_service_account_namespace_selector": "{\"matchLabels\": {\"team\": \"a\"}}",
            "audience": "x"
        }))
        .unwrap()
        .role;
        let update = body(json!({"token_ttl": "1h"}));
        let kept = Role::write("test", &update, Some(&stored), &MountTtls::default()).unwrap();
        assert_eq!(kept.role.namespace_selector, stored.namespace_selector);
        let vault_exact = WriteOptions {
            clear_omitted_selector: true,
            ..WriteOptions::default()
        };
        let err = Role::write_with(
            "test",
            &update,
            Some(&stored),
            &MountTtls::default(),
            &vault_exact,
        )
        .unwrap_err();
        assert_eq!(err, RoleError::NamespacesEmpty);
        let cleared = Role::write_with(
            "test",
            &body(json!({"bound_service_account_namespaces": "ns"})),
            Some(&stored),
            &MountTtls::default(),
            &vault_exact,
        )
        .unwrap()
        .role;
        assert_eq!(cleared.bound_service_account_namespace_selector, "");
        assert_eq!(cleared.namespace_selector, None);
    }

    #[test]
    fn selector_only_roles_and_extension() {
        let role = create(json!({
            "bound_service_account_names": "a",
            "bound_service_account_namespace_selector": "{}",
            "audience": "x"
        }))
        .unwrap()
        .role;
        assert!(role.bound_service_account_namespaces.is_empty());
        assert!(
            role.namespace_selector
                .as_ref()
                .is_some_and(NamespaceSelector::is_empty)
        );
        assert_eq!(
            role.to_read_json()["bound_service_account_namespaces"],
            json!([])
        );

        let expressions = json!({
            "bound_service_account_names": "a",
            "bound_service_account_namespace_selector": "matchExpressions:\n- {key: env, operator: In, values: [prod]}\n"
        });
        let err = create(expressions.clone()).unwrap_err();
        assert_eq!(
            err,
            RoleError::InvalidSelector(SelectorError::MatchExpressionsUnsupported)
        );
        assert_eq!(
            std::error::Error::source(&err).map(ToString::to_string),
            Some("label selector match expressions are not supported".to_string())
        );
        let extended = WriteOptions {
            allow_match_expressions: true,
            ..WriteOptions::default()
        };
        let role = Role::write_with(
            "test",
            &body(expressions),
            None,
            &MountTtls::default(),
            &extended,
        )
        .unwrap()
        .role;
        assert_eq!(
            role.namespace_selector.map(|s| s.describe()),
            Some("env in (prod)".to_string())
        );
    }

    #[test]
    fn legacy_fields_map_onto_token_fields() {
        let role = create(with(
            base(),
            json!({"policies": "B, a,a, ,", "ttl": "1h", "max_ttl": "2h", "period": 0, "num_uses": 3, "bound_cidrs": "10.0.0.1/32"}),
        ))
        .unwrap()
        .role;
        assert_eq!(role.token.policies, ["a", "b"]);
        assert_eq!(role.legacy.policies, ["a", "b"]);
        assert_eq!(
            (role.token.ttl, role.token.max_ttl, role.token.num_uses),
            (3600, 7200, 3)
        );
        assert_eq!(role.token.bound_cidrs.as_strings(), ["10.0.0.1"]);
        let read = role.to_read_json();
        assert_eq!(read["policies"], json!(["a", "b"]));
        assert_eq!(read["bound_cidrs"], json!(["10.0.0.1"]));
        assert_eq!(read["ttl"], json!(3600));
        assert_eq!(read["max_ttl"], json!(7200));
        assert_eq!(read["num_uses"], json!(3));
        assert!(read.get("period").is_none());
    }

    #[test]
    fn legacy_root_policy_swallows_the_rest() {
        let role = create(with(base(), json!({"policies": "dev, ROOT, ops"})))
            .unwrap()
            .role;
        assert_eq!(role.token.policies, ["root"]);
    }

    #[test]
    fn token_fields_win_over_legacy_and_keep_their_form() {
        let role = create(with(
            base(),
            json!({"policies": "legacy", "token_policies": "Mixed, Case", "ttl": "5h", "token_ttl": "1h"}),
        ))
        .unwrap()
        .role;
        assert_eq!(role.token.policies, ["Mixed", "Case"]);
        // Both names were sent: the legacy copy mirrors the token value, so reads show both.
        assert_eq!(role.legacy.policies, ["Mixed", "Case"]);
        assert_eq!(role.legacy.ttl, 3600);
        let read = role.to_read_json();
        assert_eq!(read["policies"], json!(["Mixed", "Case"]));
        assert_eq!(read["ttl"], json!(3600));
        assert_eq!(read["token_ttl"], json!(3600));
    }

    #[test]
    fn token_field_update_retires_the_legacy_name() {
        let stored = create(with(
            base(),
            json!({"policies": "a", "ttl": "1h", "bound_cidrs": "10.0.0.0/8"}),
        ))
        .unwrap()
        .role;
        assert!(stored.to_read_json().get("policies").is_some());
        let updated = Role::write(
            "test",
            &body(json!({"token_policies": "b", "token_ttl": "2h", "token_bound_cidrs": ""})),
            Some(&stored),
            &MountTtls::default(),
        )
        .unwrap()
        .role;
        let read = updated.to_read_json();
        assert_eq!(read["token_policies"], json!(["b"]));
        assert_eq!(read["token_ttl"], json!(7200));
        assert_eq!(read["token_bound_cidrs"], json!([]));
        for legacy in ["policies", "ttl", "bound_cidrs"] {
            assert!(read.get(legacy).is_none(), "{legacy} should be gone");
        }
        // Unrelated legacy values survive an update that does not touch them.
        let stored = create(with(base(), json!({"num_uses": 4}))).unwrap().role;
        let updated = Role::write(
            "test",
            &body(json!({"audience": "y"})),
            Some(&stored),
            &MountTtls::default(),
        )
        .unwrap()
        .role;
        assert_eq!(updated.to_read_json()["num_uses"], json!(4));
    }

    #[test]
    fn token_type_and_flags() {
        let role = create(with(
            base(),
            json!({"token_type": "batch", "token_no_default_policy": "true", "token_explicit_max_ttl": "10m"}),
        ))
        .unwrap()
        .role;
        assert_eq!(role.token.token_type, TokenType::Batch);
        assert_eq!(role.token.token_type.issued_name(), "batch");
        assert!(role.token.no_default_policy);
        assert_eq!(role.token.explicit_max_ttl, 600);
        assert_eq!(role.to_read_json()["token_type"], json!("batch"));
        for (text, kind) in [
            ("", TokenType::Default),
            ("default", TokenType::Default),
            ("service", TokenType::Service),
        ] {
            let role = create(with(base(), json!({"token_type": text})))
                .unwrap()
                .role;
            assert_eq!(role.token.token_type, kind);
            assert_eq!(kind.issued_name(), "service");
        }
        assert_eq!(TokenType::Default.as_str(), "default");
    }

    #[test]
    fn alias_name_source_rules() {
        let role = create(with(base(), json!({"alias_name_source": ""})))
            .unwrap()
            .role;
        assert_eq!(role.alias_name_source, AliasNameSource::ServiceAccountUid);
        let role = create(with(
            base(),
            json!({"alias_name_source": "serviceaccount_name"}),
        ))
        .unwrap()
        .role;
        assert_eq!(role.alias_name_source, AliasNameSource::ServiceAccountName);
        assert_eq!(
            role.to_read_json()["alias_name_source"],
            json!("serviceaccount_name")
        );
        // An update may not blank the source of an existing role.
        let err = Role::write(
            "test",
            &body(json!({"alias_name_source": ""})),
            Some(&role),
            &MountTtls::default(),
        )
        .unwrap_err();
        assert_eq!(err, RoleError::InvalidAliasNameSource);
        assert!(
            create(with(
                base(),
                json!({"alias_name_source": "ServiceAccount_UID"})
            ))
            .is_err()
        );
    }

    #[test]
    fn null_values() {
        // A null duration is "not sent"; a null list is an empty list.
        let role = create(with(base(), json!({"token_ttl": null, "ttl": "1h"})))
            .unwrap()
            .role;
        assert_eq!(role.token.ttl, 3600);
        assert_eq!(
            create_err(
                json!({"bound_service_account_names": null, "bound_service_account_namespaces": "a"})
            ),
            "\"bound_service_account_names\" can not be empty"
        );
        let role = create(with(base(), json!({"name": null}))).unwrap();
        assert!(role.warnings.is_empty());
    }

    #[test]
    fn lists_keep_vault_trimming_semantics() {
        let role = create(json!({
            "bound_service_account_names": " web-* , api ",
            "bound_service_account_namespaces": ["prod", " staging "],
            "audience": "a"
        }))
        .unwrap()
        .role;
        assert_eq!(role.bound_service_account_names, ["web-*", "api"]);
        assert_eq!(role.bound_service_account_namespaces, ["prod", "staging"]);
        // A blank name list is a list with one empty name, which Vault accepts.
        let role = create(
            json!({"bound_service_account_names": " ", "bound_service_account_namespaces": "a"}),
        )
        .unwrap()
        .role;
        assert_eq!(role.bound_service_account_names, [""]);
    }

    #[test]
    fn login_side_checks() {
        let role = create(json!({
            "bound_service_account_names": "web-*, api",
            "bound_service_account_namespaces": "team-*",
            "audience": "a"
        }))
        .unwrap()
        .role;
        assert!(role.allows_service_account_name("web-1"));
        assert!(role.allows_service_account_name("api"));
        assert!(!role.allows_service_account_name("API"));
        assert!(role.namespace_in_list("team-payments"));
        assert!(!role.namespace_in_list("payments"));
        let any = create(
            json!({"bound_service_account_names": "*", "bound_service_account_namespaces": "*"}),
        )
        .unwrap()
        .role;
        assert!(any.allows_service_account_name("whatever"));
        assert!(any.namespace_in_list("anything"));
        let selector_only = create(json!({
            "bound_service_account_names": "a",
            "bound_service_account_namespace_selector": "{}"
        }))
        .unwrap()
        .role;
        assert!(!selector_only.namespace_in_list("x"));
    }

    #[test]
    fn alias_metadata_is_kept() {
        let role = create(with(
            base(),
            json!({"alias_metadata": {"team": "payments"}}),
        ))
        .unwrap();
        assert!(role.warnings.is_empty());
        assert_eq!(
            role.role.to_read_json()["alias_metadata"],
            json!({"team": "payments"})
        );
    }

    #[test]
    fn storage_round_trip() {
        let role = create(with(
            base(),
            json!({"bound_service_account_namespace_selector": "matchLabels: {a: b}", "token_bound_cidrs": "10.0.0.0/8", "policies": "p"}),
        ))
        .unwrap()
        .role;
        let stored = serde_json::to_string(&role).unwrap();
        let back: Role = serde_json::from_slice(stored.as_bytes()).unwrap();
        assert_eq!(back, role);
        assert_eq!(
            serde_json::to_value(AliasNameSource::ServiceAccountName).unwrap(),
            json!("serviceaccount_name")
        );
        assert_eq!(
            serde_json::to_value(TokenType::Batch).unwrap(),
            json!("batch")
        );
    }
}
