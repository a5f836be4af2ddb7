//! What several targets share: the fixed clock and the fields an input is split into.
#![allow(dead_code)] // each target uses its own part

use podpass_core::configuration::{Configuration, FileSource, NoFiles, SourceFormat};

/// A fixed clock, so a crash reproduces.
pub const NOW: i64 = 1_780_000_000;

/// The tutorial in podpass.hcl form, the configuration most targets judge input against.
pub const TUTORIAL: &str =
    include_str!("../../../tests/fixtures/configuration/tutorial.podpass.hcl");

/// Splits a fuzz input into fields on the unit separator (U+001F), the way the seeds are
/// written by scripts/fuzz.sh; missing fields are empty.
pub struct Fields<'a>(std::str::Split<'a, char>);

impl<'a> Fields<'a> {
    /// The fields of `text`.
    pub fn of(text: &'a str) -> Fields<'a> {
        Fields(text.split('\u{1f}'))
    }

    /// The next field, or "" after the last.
    pub fn next_field(&mut self) -> &'a str {
        self.0.next().unwrap_or_default()
    }
}

/// The files the tutorial's podpass.hcl refers to, built into the target.
struct TutorialFiles;

impl FileSource for TutorialFiles {
    fn read_file(&self, path: &str) -> Result<String, String> {
        let text = match path.rsplit('/').next().unwrap_or_default() {
            "grade-api.hcl" => {
                include_str!("../../../tests/fixtures/tutorial/policies/grade-api.hcl")
            }
            "payment-api.hcl" => {
                include_str!("../../../tests/fixtures/tutorial/policies/payment-api.hcl")
            }
            "shared-reader.hcl" => {
                include_str!("../../../tests/fixtures/tutorial/policies/shared-reader.hcl")
            }
            _ => return Err(format!("{path} is not one of the tutorial's files")),
        };
        Ok(text.to_string())
    }
}

/// The tutorial configuration. With `keys` it is the demo scenario (the tutorial on the
/// published demo key), so signatures are checked; without, the mount has no `pem_keys`, so
/// logins get past the signature to the claims checks and on to TokenReview.
pub fn tutorial(keys: bool) -> Configuration {
    let configuration = if keys {
        podpass_core::demo::configuration()
    } else {
        let keyless = TUTORIAL.replace(
            r#"pem_keys        = [file("../keys/rsa-2048.pub.pem")]"#,
            "",
        );
        Configuration::import(
            &keyless,
            "tutorial.podpass.hcl",
            Some(SourceFormat::PodpassHcl),
            &TutorialFiles,
        )
        .map(|imported| imported.configuration)
    };
    match configuration {
        Ok(configuration) => configuration,
        Err(error) => panic!("the tutorial fixture no longer imports: {error}"),
    }
}

/// Imports `text` in `format`, lints it, and requires every export of what imported to import
/// again: the three forms must carry whatever the readers accept.
pub fn import_and_export(text: &str, format: SourceFormat) {
    let Ok(imported) = Configuration::import(text, "fuzzed", Some(format), &NoFiles) else {
        return;
    };
    let configuration = imported.configuration;
    let _ = podpass_core::lint::lint(&configuration);
    let exports = [
        (
            SourceFormat::VaultCommands,
            configuration.to_vault_commands(),
        ),
        (SourceFormat::PodpassHcl, configuration.to_podpass_hcl()),
        (
            SourceFormat::ApiJson,
            configuration.to_api_json().to_string(),
        ),
    ];
    for (format, export) in exports {
        if let Err(error) = Configuration::import(&export, "export", Some(format), &NoFiles) {
            // A known limit (docs/compatibility.md): the HCL readers count brackets inside
            // strings too, so a value holding more than 32 unclosed ones does not come back
            // from podpass.hcl.
            if error.to_string().contains("brackets nest deeper than") {
                continue;
            }
            panic!(
                "the {format} export does not import ({error}):\n{text}\n--- export ---\n{export}"
            );
        }
    }
}
