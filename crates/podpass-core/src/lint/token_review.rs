//! Mounts that decide logins without asking the cluster.

use super::{Context, Finding, Severity};

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Finding>) {
    for (path, mount) in context.config.mounts() {
        let Some(config) = mount.config() else {
            continue;
        };
        if !config.disable_token_review {
            continue;
        }
        let keys = if config.jwks_discovery {
            "the cluster's published keys"
        } else {
            "pem_keys"
        };
        out.push(Finding {
            rule: "token-review-disabled",
            severity: Severity::Warning,
            message: format!(
                "auth/{path}/ sets disable_token_review: logins are decided by the signature ({keys}) alone, so the token of a deleted pod or a recreated service account keeps logging in until it expires (Vault would ask the TokenReview API at each login)"
            ),
            origin: context
                .config
                .config_origin(path)
                .cloned()
                .unwrap_or_default(),
            subject: format!("auth/{path}/config"),
            hint: "remove disable_token_review where podpass can reach the API server; otherwise keep service-account tokens short-lived and set each role's audience".to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::configuration::{Configuration, Origin};
    use crate::lint::{Severity, lint};

    fn with_config(extra: &str) -> Configuration {
        let text = format!(
            "vault auth enable kubernetes\nvault write auth/kubernetes/config kubernetes_host=https://k8s:443 pem_keys=\"{}\" {extra}\n",
            crate::policy_test::TEST_PUBLIC_KEY_PEM
        );
        Configuration::import(&text, "setup.sh", None, &crate::configuration::NoFiles)
            .expect("imports")
            .configuration
    }

    #[test]
    fn says_what_skipping_token_review_gives_up() {
        let findings = lint(&with_config("disable_token_review=true"));
        let found: Vec<_> = findings
            .iter()
            .filter(|f| f.rule == "token-review-disabled")
            .collect();
        assert_eq!(found.len(), 1, "{findings:?}");
        assert_eq!(found[0].severity, Severity::Warning);
        assert_eq!(found[0].subject, "auth/kubernetes/config");
        assert!(found[0].message.contains("deleted pod"));
        assert_eq!(found[0].origin, Origin::new("setup.sh", 2));
        assert!(
            !lint(&with_config(""))
                .iter()
                .any(|f| f.rule == "token-review-disabled")
        );
    }
}
