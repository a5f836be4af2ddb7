//! Configuration import of pasted `vault` commands, through the shell lexer:
//! what imports is linted and exported in every form, and each export must import again.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use podpass_core::configuration::SourceFormat;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        common::import_and_export(text, SourceFormat::VaultCommands);
    }
});
