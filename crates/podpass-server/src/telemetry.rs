//! What the server reports about itself: [`Metrics`] always, an [`AuditLog`] when enabled.

use std::sync::OnceLock;

use crate::audit::AuditLog;
use crate::metrics::Metrics;

/// The server's metrics and, once enabled, its audit log.
#[derive(Debug, Default)]
pub struct Telemetry {
    /// Counters and histograms for `sys/metrics`.
    pub metrics: Metrics,
    audit: OnceLock<AuditLog>,
}

impl Telemetry {
    /// Starts auditing every request through `log`; a log already enabled stays, and `log`
    /// is handed back.
    pub fn enable_audit(&self, log: AuditLog) -> Result<(), AuditLog> {
        self.audit.set(log)
    }

    /// The audit log, when enabled.
    pub fn audit(&self) -> Option<&AuditLog> {
        self.audit.get()
    }
}
