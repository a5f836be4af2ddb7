# The Vault tutorial's Kubernetes-auth scenario, as the commands a reader pastes into a shell.
# pem_keys holds podpass's throwaway demo key (see podpass_core::demo): never trust it in a real Vault.
vault auth enable kubernetes

vault write auth/kubernetes/config \
    kubernetes_host="https://kubernetes.default.svc:443" \
    pem_keys="-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEJuTSAwlhtZwc8roebYPFsbPS2ET4
196VNxsbAQ+/KCVfiPX1hl7G2seeYgt+cRzcWs5tYQnZPtKdHSejBGOpaQ==
-----END PUBLIC KEY-----"

vault policy write grade-api - <<EOT
# Read the grade-api team's KV v2 secrets, and list them.
path "secret/data/grade-api/*" {
  capabilities = ["read"]
}

path "secret/metadata/grade-api/*" {
  capabilities = ["list"]
}
EOT

vault policy write payment-api - <<EOT
# Read the payment team's KV v2 secrets, and list them.
path "secret/data/payment/*" {
  capabilities = ["read"]
}

path "secret/metadata/payment/*" {
  capabilities = ["list"]
}
EOT

vault policy write shared-reader - <<EOT
# Configuration shared by every team.
path "secret/data/shared/*" {
  capabilities = ["read"]
}
EOT

vault write auth/kubernetes/role/grade-api \
    bound_service_account_names=grade-api-sa \
    bound_service_account_namespaces=grade-api \
    policies=grade-api \
    ttl=1h

vault write auth/kubernetes/role/payment-api \
    bound_service_account_names=payment-sa \
    bound_service_account_namespaces=payment \
    policies=payment-api \
    ttl=1h

vault write auth/kubernetes/role/shared-reader \
    bound_service_account_names=grade-api-sa,analytics-sa \
    bound_service_account_namespaces=grade-api,analytics \
    policies=shared-reader \
    ttl=1h

# Blast radius: any service account in the grade-api namespace.
vault write auth/kubernetes/role/namespace-wide \
    bound_service_account_names="*" \
    bound_service_account_namespaces=grade-api \
    policies=grade-api \
    ttl=1h

# Blast radius: one service account name, in every namespace.
vault write auth/kubernetes/role/any-ns \
    bound_service_account_names=vault-reader \
    bound_service_account_namespaces="*" \
    policies=shared-reader \
    ttl=30m
