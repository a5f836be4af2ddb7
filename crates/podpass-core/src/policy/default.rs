//! The built-in `default` policy: the same paths and capabilities as Vault's, our own words.

/// The text of the `default` policy attached to every token (unless `token_no_default_policy`).
pub const DEFAULT_POLICY_HCL: &str = r#"# The token may inspect, renew and revoke itself.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}

path "auth/token/renew-self" {
  capabilities = ["update"]
}

path "auth/token/revoke-self" {
  capabilities = ["update"]
}

# The token may ask what it is allowed to do.
path "sys/capabilities-self" {
  capabilities = ["update"]
}

# The token may read its own entity, by id or by name.
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}

path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}

# The UI reads the combined ACL of the token from here.
path "sys/internal/ui/resultant-acl" {
  capabilities = ["read"]
}

# Leases the token knows the id of may be renewed and looked up (old and new endpoints).
path "sys/renew" {
  capabilities = ["update"]
}

path "sys/leases/renew" {
  capabilities = ["update"]
}

path "sys/leases/lookup" {
  capabilities = ["update"]
}

# The token's private cubbyhole.
path "cubbyhole/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}

# Response wrapping: wrap, inspect and unwrap.
path "sys/wrapping/wrap" {
  capabilities = ["update"]
}

path "sys/wrapping/lookup" {
  capabilities = ["update"]
}

path "sys/wrapping/unwrap" {
  capabilities = ["update"]
}

# Hashing tools.
path "sys/tools/hash" {
  capabilities = ["update"]
}

path "sys/tools/hash/*" {
  capabilities = ["update"]
}

# The status of a control group request, given its accessor.
path "sys/control-group/request" {
  capabilities = ["update"]
}

# The authorization endpoint of OIDC providers.
path "identity/oidc/provider/+/authorize" {
  capabilities = ["read", "update"]
}
"#;
