//! Share links: the whole state in the URL fragment, in the core's playground-link format (one
//! format for the playground and the server's explain endpoint).

pub use podpass_core::playground_link::{decode_fragment, encode_fragment};
