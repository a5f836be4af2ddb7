//! Capturing the server's log in a test, with a subscriber scoped to the test's thread.

use tracing::Dispatch;
use tracing::subscriber::{DefaultGuard, NoSubscriber};

/// Makes `subscriber` this thread's default, so that it sees what the test's server logs.
///
/// tracing-core caches each callsite's interest when the callsite is first met, asking every
/// registered dispatcher — except when exactly one is registered: then it asks the default of
/// whichever thread met the callsite first. Other tests in the binary run servers on threads
/// without a subscriber, so with this test's subscriber the only one registered, a callsite
/// first met there would be cached as uninteresting and this test's log would miss it. A
/// second dispatcher, kept for the whole process, keeps the cache asking every subscriber;
/// re-reading the interests afterwards corrects any cached before this subscriber existed.
pub fn capture(subscriber: impl tracing::Subscriber + Send + Sync + 'static) -> DefaultGuard {
    static SECOND: std::sync::OnceLock<Dispatch> = std::sync::OnceLock::new();
    SECOND.get_or_init(|| Dispatch::new(NoSubscriber::default()));
    let guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();
    guard
}
