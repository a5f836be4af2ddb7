//! Ready-made scenarios for newcomers: the Vault tutorial's roles (and exercise 3's
//! cross-namespace denial), a legacy token and an audience mismatch. Tokens are minted when a
//! preset is chosen, relative to "now", so a preset never shows a stale token.

use podpass_core::demo::DEMO_SCENARIO_COMMANDS;
use podpass_core::mint::TokenSpec;

use crate::minting::{ISSUED_BEFORE_NOW_SECONDS, TokenToSign, with_demo_key};
use crate::state::{KeyChoice, MintForm, PlaygroundState};

/// A preset as the picker lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    /// Stable id (used by the picker and the tests).
    pub id: &'static str,
    /// The picker's label.
    pub title: &'static str,
    /// What it shows, in one sentence.
    pub lesson: &'static str,
    role: &'static str,
    namespace: &'static str,
    service_account: &'static str,
    audience: Option<&'static str>,
    legacy: bool,
    path: &'static str,
}

/// The role the audience preset adds to the tutorial scenario.
const AUDIENCE_ROLE_COMMAND: &str = "
# Added by the audience preset: this role only accepts tokens minted for Vault.
vault write auth/kubernetes/role/grade-api-vault-aud \\
    bound_service_account_names=grade-api-sa \\
    bound_service_account_namespaces=grade-api \\
    audience=vault \\
    policies=grade-api \\
    ttl=1h
";

/// Every preset, tutorial first.
pub const PRESETS: &[Preset] = &[
    Preset {
        id: "tutorial",
        title: "Tutorial: grade-api logs in",
        lesson: "The grade-api pod's token logs in to its own role and gets [default, grade-api] for 1h.",
        role: "grade-api",
        namespace: "grade-api",
        service_account: "grade-api-sa",
        audience: None,
        legacy: false,
        path: "secret/data/grade-api/config",
    },
    Preset {
        id: "cross-namespace",
        title: "Exercise 3: a token from another namespace",
        lesson: "The payment namespace's token asks for the grade-api role: namespace not authorized.",
        role: "grade-api",
        namespace: "payment",
        service_account: "grade-api-sa",
        audience: None,
        legacy: false,
        path: "secret/data/grade-api/config",
    },
    Preset {
        id: "payment-api",
        title: "payment-api reads its own secrets",
        lesson: "Each team's role binds one service account in one namespace.",
        role: "payment-api",
        namespace: "payment",
        service_account: "payment-sa",
        audience: None,
        legacy: false,
        path: "secret/data/payment/db",
    },
    Preset {
        id: "shared-reader",
        title: "shared-reader: two namespaces, one role",
        lesson: "A role may bind several service accounts and namespaces; any pair of them logs in.",
        role: "shared-reader",
        namespace: "analytics",
        service_account: "analytics-sa",
        audience: None,
        legacy: false,
        path: "secret/data/shared/config",
    },
    Preset {
        id: "namespace-wide",
        title: "Blast radius: any service account in a namespace",
        lesson: "bound_service_account_names=\"*\" lets every pod in grade-api log in, a debug pod included.",
        role: "namespace-wide",
        namespace: "grade-api",
        service_account: "debug-shell",
        audience: None,
        legacy: false,
        path: "secret/data/grade-api/config",
    },
    Preset {
        id: "any-ns",
        title: "Blast radius: one name in every namespace",
        lesson: "bound_service_account_namespaces=\"*\" trusts whoever creates a vault-reader account anywhere.",
        role: "any-ns",
        namespace: "sandbox",
        service_account: "vault-reader",
        audience: None,
        legacy: false,
        path: "secret/data/shared/config",
    },
    Preset {
        id: "legacy-token",
        title: "A legacy (secret-based) token",
        lesson: "Legacy tokens carry no exp, nbf or iat: Vault checks no times and they never expire.",
        role: "grade-api",
        namespace: "grade-api",
        service_account: "grade-api-sa",
        audience: None,
        legacy: true,
        path: "secret/data/grade-api/config",
    },
    Preset {
        id: "audience",
        title: "Audience: a token minted for the API server",
        lesson: "The role wants aud=vault; a token minted for the API server is refused. Mint one with audience vault to fix it.",
        role: "grade-api-vault-aud",
        namespace: "grade-api",
        service_account: "grade-api-sa",
        audience: Some("https://kubernetes.default.svc.cluster.local"),
        legacy: false,
        path: "secret/data/grade-api/config",
    },
];

/// The preset with this id.
pub fn find(id: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.id == id)
}

impl Preset {
    /// The playground's state for this preset, without its token, and that token, minted at
    /// `now`, to be signed with the demo key.
    pub fn state(&self, now: i64) -> Result<(PlaygroundState, TokenToSign), String> {
        let mut config = DEMO_SCENARIO_COMMANDS.to_string();
        if self.audience.is_some() {
            config.push_str(AUDIENCE_ROLE_COMMAND);
        }
        let mut spec = if self.legacy {
            TokenSpec::legacy(self.namespace, self.service_account)
        } else {
            TokenSpec::projected(
                self.namespace,
                self.service_account,
                now - ISSUED_BEFORE_NOW_SECONDS,
            )
        };
        spec.audiences = self.audience.map(str::to_string).into_iter().collect();
        let token = with_demo_key(&spec)?;
        let state = PlaygroundState {
            config,
            role: self.role.to_string(),
            path: self.path.to_string(),
            operation: "read".to_string(),
            mint: MintForm {
                namespace: self.namespace.to_string(),
                service_account: self.service_account.to_string(),
                audience: self.audience.unwrap_or_default().to_string(),
                ttl: "1h".to_string(),
                key: KeyChoice::Demo,
            },
            ..PlaygroundState::default()
        };
        Ok((state, token))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use podpass_core::configuration::{Configuration, NoFiles};
    use podpass_core::login::{LoginRequest, LoginResult};

    const NOW: i64 = 1_780_000_000;

    /// The preset's state with its token signed natively.
    fn signed_state(id: &str) -> PlaygroundState {
        let (mut state, token) = find(id).unwrap().state(NOW).unwrap();
        state.token = token.sign_in_engine().unwrap();
        state
    }

    fn login(id: &str) -> LoginResult {
        let state = signed_state(id);
        let configuration = Configuration::import(&state.config, "config", None, &NoFiles)
            .unwrap()
            .configuration;
        let request = LoginRequest {
            role: state.role,
            jwt: state.token,
            now: NOW,
            ..LoginRequest::default()
        };
        configuration.login("kubernetes", &request).unwrap()
    }

    #[test]
    fn ids_are_unique() {
        let ids: std::collections::BTreeSet<&str> = PRESETS.iter().map(|p| p.id).collect();
        assert_eq!(ids.len(), PRESETS.len());
        assert_eq!(PRESETS[0].id, "tutorial");
    }

    #[test]
    fn each_preset_shows_what_it_says() {
        let tutorial = login("tutorial");
        let success = tutorial.success().unwrap();
        assert_eq!(success.policies, ["default", "grade-api"]);
        assert_eq!(success.lease_duration, 3600);

        let cross = login("cross-namespace");
        assert_eq!(cross.denial().unwrap().message, "namespace not authorized");

        for allowed in ["payment-api", "shared-reader", "namespace-wide", "any-ns"] {
            assert!(login(allowed).success().is_some(), "{allowed} logs in");
        }

        let legacy = login("legacy-token");
        assert!(legacy.success().is_some());
        let decoded = podpass_core::jwt::decode(&signed_state("legacy-token").token).unwrap();
        assert!(decoded.claims.get("exp").is_none());

        let audience = login("audience");
        let denial = audience.denial().unwrap();
        assert!(denial.message.contains("aud"), "{}", denial.message);
    }

    #[test]
    fn tokens_are_minted_at_the_time_given() {
        let state = signed_state("tutorial");
        let decoded = podpass_core::jwt::decode(&state.token).unwrap();
        assert_eq!(decoded.claims["iat"], NOW - ISSUED_BEFORE_NOW_SECONDS);
        assert_eq!(state.mint.namespace, "grade-api");
    }
}
