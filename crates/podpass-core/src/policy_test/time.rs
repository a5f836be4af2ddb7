//! Reading the instants a test file may pin (`now`, `issued`): RFC 3339 text, read by the
//! parser every face shares.

pub use crate::timestamp::parse_rfc3339;
