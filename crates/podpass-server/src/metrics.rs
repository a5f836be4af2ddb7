//! Prometheus metrics at `sys/metrics?format=prometheus`: logins by result and role, request
//! latency by route kind, and live tokens.
//!
//! The exposition is prometheus-client's OpenMetrics text, which Prometheus scrapes natively.
//! Labels come from a closed set (route kinds, login results) or from the configuration (mount
//! paths, role names that exist), never from raw request input: a client inventing role names
//! or paths cannot grow the number of series.

use std::time::Duration;

use axum::http::StatusCode;
use podpass_core::acl::Operation;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::app::App;
use crate::error::ApiError;
use crate::request::{ApiRequest, ApiResponse};

/// The content type of the OpenMetrics text exposition.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The role label of a login on a role that does not exist (bounded cardinality).
pub const UNKNOWN_ROLE: &str = "<unknown>";

/// How a login ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoginOutcome {
    /// A token was issued.
    Granted,
    /// The core refused the login (a 4xx answer).
    Denied,
    /// The server failed (a 5xx answer).
    Error,
}

impl LoginOutcome {
    /// The `result` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            LoginOutcome::Granted => "granted",
            LoginOutcome::Denied => "denied",
            LoginOutcome::Error => "error",
        }
    }

    /// The outcome a login answer's status shows.
    pub fn from_status(status: StatusCode) -> LoginOutcome {
        if status.is_success() {
            LoginOutcome::Granted
        } else if status.is_server_error() {
            LoginOutcome::Error
        } else {
            LoginOutcome::Denied
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct LoginLabels {
    mount: String,
    role: String,
    result: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

/// 0.5 ms to about 16 s, doubling: logins verify a signature (sub-millisecond) or wait on a
/// TokenReview call (network-bound); writes wait for an fsync.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    logins: Family<LoginLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    live_tokens: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// Empty metrics, registered under the `podpass_` prefix.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("podpass");
        let logins = Family::<LoginLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let live_tokens = Gauge::default();
        registry.register(
            "logins",
            "Kubernetes auth logins by mount, role and result (granted, denied, error)",
            logins.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time to answer an API request, by route kind",
            latency.clone(),
        );
        registry.register(
            "tokens_live",
            "Service tokens currently live (batch tokens are not stored, so not counted)",
            live_tokens.clone(),
        );
        Metrics {
            registry,
            logins,
            latency,
            live_tokens,
        }
    }

    /// Counts a login on `role` (use [`UNKNOWN_ROLE`] for a role that does not exist).
    pub fn record_login(&self, mount: &str, role: &str, result: LoginOutcome) {
        self.logins
            .get_or_create(&LoginLabels {
                mount: mount.to_string(),
                role: role.to_string(),
                result: result.as_str(),
            })
            .inc();
    }

    /// How many logins were counted with these labels.
    pub fn logins(&self, mount: &str, role: &str, result: LoginOutcome) -> u64 {
        self.logins
            .get_or_create(&LoginLabels {
                mount: mount.to_string(),
                role: role.to_string(),
                result: result.as_str(),
            })
            .get()
    }

    /// Records how long a request of route kind `route` took.
    pub fn observe_request(&self, route: &'static str, elapsed: Duration) {
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(elapsed.as_secs_f64());
    }

    /// The OpenMetrics text exposition, with the live-token gauge set to `live_tokens`.
    pub fn exposition(&self, live_tokens: usize) -> Result<String, std::fmt::Error> {
        self.live_tokens
            .set(i64::try_from(live_tokens).unwrap_or(i64::MAX));
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// `sys/metrics`: read, with `format=prometheus` (the only format served; Vault's JSON form
/// is not implemented).
pub fn endpoint(
    app: &App,
    request: &ApiRequest,
    operation: Operation,
) -> Result<ApiResponse, ApiError> {
    if operation != Operation::Read {
        return Err(ApiError::unsupported_operation());
    }
    match request.query.get("format").map(String::as_str) {
        Some("prometheus") => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unsupported metrics format {other:?}: podpass serves format=prometheus only"
            )));
        }
        None => {
            return Err(ApiError::bad_request(
                "podpass serves metrics as format=prometheus only: add ?format=prometheus",
            ));
        }
    }
    let text = app
        .telemetry
        .metrics
        .exposition(app.tokens.live_count())
        .map_err(|e| ApiError::internal(&e))?;
    Ok(ApiResponse::Text {
        content_type: OPENMETRICS_CONTENT_TYPE,
        body: text,
    })
}
