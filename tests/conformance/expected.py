"""Differences from OpenBao 2.7.2 that are deliberate. Each pin names the corpus case and the
JSON path of the answer (fnmatch patterns; `openbao`, when given, must equal OpenBao's
normalised value) and says why; each is listed in docs/compatibility.md. A difference not
pinned here fails the run, and so does a pin that no longer matches anything."""

VAULT_PLUGIN = "hashicorp/vault-plugin-auth-kubernetes v0.24.1"

PINS = [
    # --- podpass dev explains denials (podpass's purpose); production servers do not.
    {"case": "*", "path": "$.body.warnings", "openbao": "<absent>",
     "reason": "podpass dev adds the reason of a denial as a warning (serve --explain-denials)"},
    # --- Kubernetes auth: where Vault and OpenBao 2.7.2 disagree, podpass follows Vault.
    {"case": "*config*read", "path": "$.body.data.use_annotations_as_alias_metadata",
     "reason": f"Vault reads it back ({VAULT_PLUGIN} path_config.go); OpenBao dropped the field"},
    {"case": "*config*key*", "path": "$.body.errors*",
     "reason": f"Vault's words ({VAULT_PLUGIN} path_config.go); OpenBao reworded them"},
    {"case": "config/write-no-ca", "path": "$.*",
     "reason": f"Vault uses the system's roots when no CA is given ({VAULT_PLUGIN} path_config.go); "
               "OpenBao requires kubernetes_ca_cert with disable_local_ca_jwt"},
    {"case": "role/write/*", "path": "$.*",
     "reason": f"Vault warns about a role without audience ({VAULT_PLUGIN} path_role.go); OpenBao does not"},
    *({"case": f"odd/partial/{case}", "path": "$.*",
       "reason": f"Vault warns about a role without audience ({VAULT_PLUGIN} path_role.go); OpenBao does not"}
      for case in ("audience-empty", "null-ttl")),
    {"case": "role/invalid/typo-field", "path": "$.*",
     "reason": f"Vault's no-audience warning ({VAULT_PLUGIN} path_role.go), which the ignored parameters join"},
    {"case": "role/read/*", "path": "$.body.data.alias_metadata",
     "reason": "Vault 1.21's token field alias_metadata, which OpenBao 2.7.2 lacks"},
    {"case": "role/read/*", "path": "$.body.data.token_strictly_bind_ip",
     "reason": "an OpenBao-only token field"},
    {"case": "role/invalid/negative-ttl", "path": "$.body.errors*",
     "reason": "the field error in the words of Vault's framework (it echoes the input and says "
               "'Field validation failed'); OpenBao's framework words it differently"},
    {"case": "login/grade-api/ps*", "path": "$.*",
     "reason": f"Vault accepts PS256/384/512 ({VAULT_PLUGIN} path_login.go allowedSigningAlgs); "
               "OpenBao refuses them"},
    {"case": "login/*/aud-string", "path": "$.*",
     "reason": "a string aud is valid (RFC 7519 4.1.3); Vault and OpenBao fail with a 500 decode error"},
    {"case": "role/read/selector*", "path": "$.body.data.bound_service_account_namespaces",
     "reason": "a list never set reads as [] rather than null (docs/compatibility.md, roles and field input)"},
    {"case": "login/selector*", "path": "$.body.errors*",
     "reason": "when a namespace's labels cannot be read, podpass logs the API's answer and says only "
               "'namespace not authorized'; Vault appends the error to the message"},
    # --- ACL policies
    {"case": "policy/read/*", "path": "$.body.data.*",
     "reason": "OpenBao-only policy fields (version, modified, cas_required, identity template options)"},
    *({"case": case, "path": f"$.body.*{field}",
       "reason": "OpenBao-only policy fields (version, modified, cas_required, identity template options)"}
      for case in ("policy/legacy/read", "odd/header/*", "odd/policy-write/* read")
      for field in ("version", "modified", "cas_required", "_identity_templates")),
    {"case": "odd/policy-write/policy-number", "path": "$.body.errors*",
     "reason": "podpass reads HCL1 with its own positions (line and column) and hints (docs/compatibility.md, ACL policies)"},
    {"case": "policy/write-bad-hcl", "path": "$.body.errors*",
     "reason": "podpass reads HCL1 with its own positions (line and column) and hints (docs/compatibility.md, ACL policies)"},
    {"case": "hcl1/write/*", "path": "$.body.errors*",
     "reason": "podpass reads HCL1 with its own positions (line and column) and hints (docs/compatibility.md, ACL policies)"},
    {"case": "unknown/root/*", "path": "$.body.warnings*",
     "reason": "KV's warning names the Vault CLI ('vault kv get'); OpenBao's names its own ('bao kv get')"},
    # --- request bodies and fields
    *({"case": f"odd/body/{label} *", "path": "$.body.errors*",
       "reason": "Vault's prefix (failed to parse JSON input, http/util.go; OpenBao says 'decode'), then "
                 "serde_json's account of the syntax error instead of Go's encoding/json's"}
      for label in ("not-json", "truncated")),
    *({"case": f"odd/body/{label} *", "path": "$.body.errors*",
       "reason": "Vault's prefix (failed to parse JSON input, http/util.go); OpenBao says 'failed to decode'"}
      for label in ("array", "string")),
    {"case": "odd/token-create/meta-not-map", "path": "$.body.errors*",
     "reason": "Vault's TypeKVPairs words (invalid key pair \"x\", framework/field_data.go); OpenBao reworded them"},
    {"case": "odd/auth/enable-bad-type", "path": "$.body.errors*",
     "reason": "podpass adds which auth method it serves to Vault's 'plugin not found in the catalog'"},
    # --- status and mount listings
    *({"case": f"odd/read*/sys/{endpoint}*", "path": "$.body.*",
       "reason": "Vault's fields for the server's status (enterprise, echo_duration_ms, clock_skew_ms, "
                 "performance_standby, the leader's addresses); OpenBao 2.7.2 has fewer; storage_type and the "
                 "build fields name podpass's own"}
      for endpoint in ("seal-status", "leader", "health")),
    *({"case": f"odd/read/sys/{listing}", "path": "$.body.*",
       "reason": "the mount table's plugin-catalog and bookkeeping fields (uuid, running_plugin_version, "
                 "running_sha256, deprecation_status, seal_wrap, passthrough headers) and the cubbyhole and "
                 "identity mounts, which podpass does not have; its mounts are listed with Vault's field names"}
      for listing in ("auth", "auth/kubernetes", "mounts", "internal/ui/mounts/secret/foo")),
    *({"case": f"odd/read/sys/internal/ui/mounts/{path}", "path": "$.*",
       "reason": "podpass answers sys/internal/ui/mounts for the KV mount only (what the vault kv commands ask) "
                 "and does not run Vault's preflight check of the token's access under the mount"}
      for path in ("nothing", "auth/kubernetes")),
    # --- tokens
    {"case": "odd/token-create-more/id-*", "path": "$.body.warnings",
     "reason": "Vault warns that a custom id is stored under a weaker SHA-1 hash; podpass stores every token "
               "under the same keyed hash, so the warning would not be true"},
    *({"case": "odd/token-lookup/token-missing", "path": f"$.body.data.{field}",
       "reason": "without a token, lookup answers for the caller: the dev root token, created differently by each"}
      for field in ("display_name", "path")),
    *({"case": case, "path": "$.body.errors*",
       "reason": "the field error in the words of Vault's framework (it echoes the input); OpenBao's does not"}
      for case in ("odd/config/[hd]*", "odd/accessor/* accessor-list", "odd/renew-self/*",
                   "odd/policy-write/policy-list")),
    {"case": "odd/tune/ttl-negative", "path": "$.*",
     "reason": "a negative TTL is refused (docs/compatibility.md, mount tuning); Vault and OpenBao store it"},
    {"case": "odd/role-write/*", "path": "$.body.errors*",
     "reason": "the field error in the words of Vault's framework (it echoes the input and says "
               "'Field validation failed'); OpenBao's framework words it differently"},
    {"case": "token/lookup*/[rn]o*", "path": "$.body.data.display_name",
     "reason": "bao -dev creates its root token through token create; podpass's dev root token is a root token's"},
    {"case": "token/lookup*/[rn]o*", "path": "$.body.data.path",
     "reason": "bao -dev creates its root token through token create; podpass's dev root token is a root token's"},
    # --- KV v2
    {"case": "odd/kv-config/read", "path": "$.body.data.metadata_cas_required",
     "reason": "an OpenBao-only KV field; Vault has none"},
    {"case": "kv*", "path": "$.body.data.metadata_cas_required",
     "reason": "an OpenBao-only KV field; Vault has none"},
    {"case": "kv-engine/* GET secret/config/", "path": "$.body.warnings*",
     "reason": "KV's warning names the Vault CLI ('vault kv get'); OpenBao's names its own ('bao kv get')"},
]
