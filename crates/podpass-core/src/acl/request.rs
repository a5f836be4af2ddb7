//! What is asked of an ACL: an operation on a path, maybe with a body and a wrapping TTL.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::policy::Capability;

/// A logical operation, each checked against the capability of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum Operation {
    /// Write an item that does not exist yet.
    Create,
    /// Read.
    Read,
    /// Write an existing item (and most `POST`s to action endpoints).
    Update,
    /// `PATCH`.
    Patch,
    /// Delete.
    Delete,
    /// List keys under a path (the path ends in `/`).
    List,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 6] = [
        Operation::Create,
        Operation::Read,
        Operation::Update,
        Operation::Patch,
        Operation::Delete,
        Operation::List,
    ];

    /// The operation with this lowercase name (`read`, `list`, …).
    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.as_str() == name)
    }

    /// Maps an HTTP request to an operation as Vault does: `GET` reads (lists with `?list=true`),
    /// `LIST` lists, `POST`/`PUT` create when the item does not exist yet and update when it does,
    /// `PATCH` patches, `DELETE` deletes. The method is case-insensitive; others give None.
    pub fn from_http(method: &str, list_query: bool, item_exists: bool) -> Option<Operation> {
        let op = match method.to_ascii_uppercase().as_str() {
            "GET" if list_query => Operation::List,
            "GET" => Operation::Read,
            "LIST" => Operation::List,
            "POST" | "PUT" if item_exists => Operation::Update,
            "POST" | "PUT" => Operation::Create,
            "PATCH" => Operation::Patch,
            "DELETE" => Operation::Delete,
            _ => return None,
        };
        Some(op)
    }

    /// The capability the operation needs.
    pub const fn capability(self) -> Capability {
        match self {
            Operation::Create => Capability::Create,
            Operation::Read => Capability::Read,
            Operation::Update => Capability::Update,
            Operation::Patch => Capability::Patch,
            Operation::Delete => Capability::Delete,
            Operation::List => Capability::List,
        }
    }

    /// The lowercase name.
    pub const fn as_str(self) -> &'static str {
        self.capability().as_str()
    }

    /// Whether Vault checks parameter constraints for this operation.
    pub(crate) const fn checks_parameters(self) -> bool {
        matches!(
            self,
            Operation::Read | Operation::Create | Operation::Update | Operation::Patch
        )
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request to authorize.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// The operation.
    pub operation: Operation,
    /// The API path after `/v1/`, e.g. `secret/data/grade-api/db`. Leading `/`s are ignored; a
    /// `List` is always checked with a trailing `/`, as Vault adds one.
    pub path: String,
    /// The request body, for the parameter constraints.
    #[serde(default)]
    pub parameters: Option<Map<String, Value>>,
    /// The requested response-wrapping TTL in seconds (`X-Vault-Wrap-TTL`), if any.
    #[serde(default)]
    pub wrap_ttl: Option<u64>,
    /// Whether the endpoint is root-protected (needs `sudo`), which the caller knows from the
    /// endpoint (e.g. `sys/audit`, `auth/token/accessors`).
    #[serde(default)]
    pub root_protected: bool,
}

impl Request {
    /// A plain request without body, wrapping or root protection.
    pub fn new(operation: Operation, path: impl Into<String>) -> Request {
        Request {
            operation,
            path: path.into(),
            parameters: None,
            wrap_ttl: None,
            root_protected: false,
        }
    }

    /// With a request body.
    #[must_use]
    pub fn with_parameters(mut self, parameters: Map<String, Value>) -> Request {
        self.parameters = Some(parameters);
        self
    }

    /// With a response-wrapping TTL in seconds.
    #[must_use]
    pub fn with_wrap_ttl(mut self, seconds: u64) -> Request {
        self.wrap_ttl = Some(seconds);
        self
    }

    /// Marks the endpoint as root-protected.
    #[must_use]
    pub fn root_protected(mut self) -> Request {
        self.root_protected = true;
        self
    }
}
