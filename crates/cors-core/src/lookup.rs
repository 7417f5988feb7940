//! Running an application's origin lookup for an adapter (feature
//! `lookup`).
//!
//! The engine never calls a lookup: [`Policy::evaluate_with_lookup`]
//! returns a decision that asks about one origin, and the adapter answers
//! it with [`Policy::resolve_lookup`]. Between the two, every adapter does
//! the same things, so they live here, once:
//!
//! - answer from the [`VerdictCache`] when it knows the origin (no await, no
//!   allocation);
//! - otherwise call the application's async function once, with a
//!   deadline, catching a panic, and fail closed: an error, a timeout or a
//!   panic refuses the origin ([`Verdict::Failed`] says why, for the log);
//! - with a cache, make concurrent requests for one origin share one call.
//!
//! There is no runtime here: the adapter passes its runtime's `sleep`.
//!
//! [`Policy::evaluate_with_lookup`]: crate::Policy::evaluate_with_lookup
//! [`Policy::resolve_lookup`]: crate::Policy::resolve_lookup

use std::any::Any;
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use quick_cache::sync::{Cache, EntryAction, EntryResult};

use crate::OriginQuery;

/// The request a lookup is asked about, owned so that the lookup's future
/// can outlive the borrowed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupRequest {
    /// The request's method (`OPTIONS` for a preflight).
    pub method: String,
    /// The request's path.
    pub path: String,
}

type BoxedAnswer = Pin<Box<dyn Future<Output = Result<bool, String>> + Send>>;
type AskFn = dyn Fn(String, LookupRequest) -> BoxedAnswer + Send + Sync;

/// An application's async origin lookup, with its timeout and an optional
/// verdict cache. Cloning it shares the function and the cache.
///
/// ```
/// use std::time::Duration;
/// use cors_core::{OriginLookup, Policy, RequestParts, Verdict, VerdictCache};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let lookup = OriginLookup::new(|origin: String, _request| async move {
///     // e.g. SELECT 1 FROM tenants WHERE origin = $1
///     Ok::<_, std::io::Error>(origin == "https://tenant.example")
/// })
/// .timeout(Duration::from_millis(500))
/// .cache(VerdictCache::new(10_000));
///
/// let policy = Policy::builder().allow_origin_lookup(true).build().unwrap();
/// let mut request = RequestParts::new("GET").with_path("/api");
/// request.add_header("origin", b"https://tenant.example");
/// let decision = policy.evaluate_with_lookup(&request);
/// let query = decision.lookup().unwrap();
///
/// let verdict = lookup.decide(query, tokio::time::sleep).await;
/// assert_eq!(verdict, Verdict::Allowed);
/// assert!(policy.resolve_lookup(&request, verdict.is_allowed()).is_allowed());
/// // Now cached: answered without a call.
/// assert_eq!(lookup.cached("https://tenant.example"), Some(Verdict::Allowed));
/// # }
/// ```
#[derive(Clone)]
pub struct OriginLookup {
    ask: Arc<AskFn>,
    timeout: Duration,
    cache: Option<Arc<VerdictCache>>,
}

impl OriginLookup {
    /// The default time a lookup may take before the origin is refused.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

    /// Wraps `lookup`: given the serialized origin and the request, whether
    /// to allow the origin. An `Err` refuses it (and is logged by the
    /// adapter).
    pub fn new<F, Fut, E>(lookup: F) -> Self
    where
        F: Fn(String, LookupRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<bool, E>> + Send + 'static,
        E: fmt::Display,
    {
        let ask = move |origin: String, request: LookupRequest| -> BoxedAnswer {
            let answer = lookup(origin, request);
            Box::pin(async move { answer.await.map_err(|e| e.to_string()) })
        };
        OriginLookup {
            ask: Arc::new(ask),
            timeout: Self::DEFAULT_TIMEOUT,
            cache: None,
        }
    }

    /// How long a lookup may take; after that the origin is refused.
    /// Default: [`DEFAULT_TIMEOUT`](OriginLookup::DEFAULT_TIMEOUT), one
    /// second.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Remembers verdicts in `cache`.
    #[must_use]
    pub fn cache(mut self, cache: VerdictCache) -> Self {
        self.cache = Some(Arc::new(cache));
        self
    }

    /// The lookup's timeout.
    pub fn timeout_duration(&self) -> Duration {
        self.timeout
    }

    /// The cached verdict for `origin`, if the cache has a live one:
    /// synchronous and allocation-free, for an adapter's fast path.
    pub fn cached(&self, origin: &str) -> Option<Verdict> {
        let cache = self.cache.as_ref()?;
        let entry = cache.entries.get(origin)?;
        cache
            .is_live(&entry, Instant::now())
            .then(|| entry.verdict())
    }

    /// The verdict on `query`'s origin: from the cache, or by calling the
    /// lookup once, bounded by the timeout (`sleep` is the runtime's timer,
    /// e.g. `tokio::time::sleep`). With a cache, concurrent calls for one
    /// origin share one lookup.
    pub async fn decide<S, Sl>(&self, query: OriginQuery<'_>, sleep: S) -> Verdict
    where
        S: FnOnce(Duration) -> Sl,
        Sl: Future<Output = ()>,
    {
        let Some(cache) = &self.cache else {
            return self.ask(query, sleep).await;
        };
        let now = Instant::now();
        let result = cache
            .entries
            .entry_async(query.origin(), |_, entry| {
                if cache.is_live(entry, now) {
                    EntryAction::Retain(entry.verdict())
                } else {
                    EntryAction::ReplaceWithGuard
                }
            })
            .await;
        let guard = match result {
            EntryResult::Retained(verdict) => return verdict,
            EntryResult::Replaced(guard, _) | EntryResult::Vacant(guard) => guard,
            EntryResult::Removed(..) | EntryResult::Timeout => {
                // Neither is asked for (no `Remove`, no timeout).
                return self.ask(query, sleep).await;
            }
        };
        let verdict = self.ask(query, sleep).await;
        let entry = match &verdict {
            Verdict::Allowed => Cached::Allowed,
            Verdict::Refused => Cached::Refused,
            Verdict::Failed(_) => Cached::Failed,
        };
        let _ = guard.insert(Entry {
            cached: entry,
            at: Instant::now(),
        });
        verdict
    }

    /// Calls the lookup once, with the deadline, catching a panic.
    async fn ask<S, Sl>(&self, query: OriginQuery<'_>, sleep: S) -> Verdict
    where
        S: FnOnce(Duration) -> Sl,
        Sl: Future<Output = ()>,
    {
        let request = LookupRequest {
            method: query.method().to_owned(),
            path: query.path().to_owned(),
        };
        let origin = query.origin().to_owned();
        let mut answer = match catch_unwind(AssertUnwindSafe(|| (self.ask)(origin, request))) {
            Ok(answer) => answer,
            Err(payload) => return Verdict::Failed(LookupError::Panic(panic_message(&*payload))),
        };
        let mut deadline = pin!(sleep(self.timeout));
        poll_fn(|cx| {
            match catch_unwind(AssertUnwindSafe(|| answer.as_mut().poll(cx))) {
                Ok(Poll::Ready(Ok(true))) => return Poll::Ready(Verdict::Allowed),
                Ok(Poll::Ready(Ok(false))) => return Poll::Ready(Verdict::Refused),
                Ok(Poll::Ready(Err(message))) => {
                    return Poll::Ready(Verdict::Failed(LookupError::Error(message)));
                }
                Err(payload) => {
                    return Poll::Ready(Verdict::Failed(LookupError::Panic(panic_message(
                        &*payload,
                    ))));
                }
                Ok(Poll::Pending) => {}
            }
            match deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Verdict::Failed(LookupError::Timeout(self.timeout))),
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }
}

impl fmt::Debug for OriginLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OriginLookup")
            .field("timeout", &self.timeout)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// What the lookup decided about an origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The lookup allowed the origin.
    Allowed,
    /// The lookup refused the origin.
    Refused,
    /// The lookup failed, so the origin is refused (fail closed).
    Failed(LookupError),
}

impl Verdict {
    /// Whether the origin is allowed: only when the lookup said so.
    pub fn is_allowed(&self) -> bool {
        *self == Verdict::Allowed
    }
}

/// Why a lookup gave no verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookupError {
    /// The lookup returned an error (its text).
    Error(String),
    /// The lookup took longer than its timeout.
    Timeout(Duration),
    /// The lookup panicked (the panic's message).
    Panic(String),
    /// The lookup failed for this origin moments ago; it is not asked again
    /// until [`VerdictCache::FAILURE_LIFETIME`] has passed.
    Recent,
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupError::Error(message) => write!(f, "the origin lookup failed: {message}"),
            LookupError::Timeout(after) => {
                write!(f, "the origin lookup timed out after {after:?}")
            }
            LookupError::Panic(message) => write!(f, "the origin lookup panicked: {message}"),
            LookupError::Recent => f.write_str("the origin lookup failed moments ago"),
        }
    }
}

impl std::error::Error for LookupError {}

/// Remembers the lookup's verdicts, bounded in entries and in time:
/// allowed and refused verdicts each live for their own lifetime, and a
/// failure briefly (so that a burst does not hammer a failing backend).
///
/// ```
/// use std::time::Duration;
/// use cors_core::VerdictCache;
///
/// let cache = VerdictCache::new(10_000)
///     .allowed_for(Duration::from_secs(300))
///     .refused_for(Duration::from_secs(30));
/// # drop(cache);
/// ```
pub struct VerdictCache {
    entries: Cache<String, Entry>,
    allowed_for: Duration,
    refused_for: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cached {
    Allowed,
    Refused,
    Failed,
}

#[derive(Debug, Clone)]
struct Entry {
    cached: Cached,
    at: Instant,
}

impl Entry {
    fn verdict(&self) -> Verdict {
        match self.cached {
            Cached::Allowed => Verdict::Allowed,
            Cached::Refused => Verdict::Refused,
            Cached::Failed => Verdict::Failed(LookupError::Recent),
        }
    }
}

impl VerdictCache {
    /// How long a failure is remembered (at most; never longer than
    /// refused verdicts).
    pub const FAILURE_LIFETIME: Duration = Duration::from_secs(1);

    /// A cache of at most `max_entries` origins; verdicts live 60 s
    /// (allowed) and 10 s (refused) unless set otherwise.
    pub fn new(max_entries: usize) -> Self {
        VerdictCache {
            entries: Cache::new(max_entries.max(1)),
            allowed_for: Duration::from_secs(60),
            refused_for: Duration::from_secs(10),
        }
    }

    /// How long an allowed verdict is used.
    #[must_use]
    pub fn allowed_for(mut self, lifetime: Duration) -> Self {
        self.allowed_for = lifetime;
        self
    }

    /// How long a refused verdict is used.
    #[must_use]
    pub fn refused_for(mut self, lifetime: Duration) -> Self {
        self.refused_for = lifetime;
        self
    }

    fn is_live(&self, entry: &Entry, now: Instant) -> bool {
        let lifetime = match entry.cached {
            Cached::Allowed => self.allowed_for,
            Cached::Refused => self.refused_for,
            Cached::Failed => Self::FAILURE_LIFETIME.min(self.refused_for),
        };
        now.saturating_duration_since(entry.at) < lifetime
    }
}

impl fmt::Debug for VerdictCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerdictCache")
            .field("entries", &self.entries.len())
            .field("capacity", &self.entries.capacity())
            .field("allowed_for", &self.allowed_for)
            .field("refused_for", &self.refused_for)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::{Policy, RequestParts};

    fn policy() -> Policy {
        Policy::builder().allow_origin_lookup(true).build().unwrap()
    }

    fn counting(calls: &Arc<AtomicUsize>, answer: Result<bool, &'static str>) -> OriginLookup {
        let calls = calls.clone();
        OriginLookup::new(move |_origin, _request| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move { answer }
        })
    }

    async fn decide(lookup: &OriginLookup, origin: &'static str) -> Verdict {
        let policy = policy();
        let mut request = RequestParts::new("GET").with_path("/p");
        request.add_header("origin", origin.as_bytes());
        let decision = policy.evaluate_with_lookup(&request);
        lookup
            .decide(decision.lookup().expect("asks"), tokio::time::sleep)
            .await
    }

    #[tokio::test]
    async fn verdicts_errors_timeouts_and_panics() {
        let calls = Arc::new(AtomicUsize::new(0));
        assert_eq!(
            decide(&counting(&calls, Ok(true)), "https://a.example").await,
            Verdict::Allowed
        );
        assert_eq!(
            decide(&counting(&calls, Ok(false)), "https://a.example").await,
            Verdict::Refused
        );
        assert_eq!(
            decide(&counting(&calls, Err("db down")), "https://a.example").await,
            Verdict::Failed(LookupError::Error("db down".into()))
        );
        let slow = OriginLookup::new(|_, _| async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok::<_, String>(true)
        })
        .timeout(Duration::from_millis(20));
        assert_eq!(
            decide(&slow, "https://a.example").await,
            Verdict::Failed(LookupError::Timeout(Duration::from_millis(20)))
        );
        let panics_in_future = OriginLookup::new(|_, _| async {
            if true {
                panic!("boom");
            }
            Ok::<_, String>(true)
        });
        assert_eq!(
            decide(&panics_in_future, "https://a.example").await,
            Verdict::Failed(LookupError::Panic("boom".into()))
        );
        let panics_in_call = OriginLookup::new(
            |origin: String, _| -> std::future::Ready<Result<bool, String>> {
                panic!("no {origin}")
            },
        );
        assert_eq!(
            decide(&panics_in_call, "https://a.example").await,
            Verdict::Failed(LookupError::Panic("no https://a.example".into()))
        );
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn the_lookup_sees_origin_method_and_path() {
        let lookup = OriginLookup::new(|origin: String, request: LookupRequest| async move {
            Ok::<_, String>(
                origin == "https://a.example" && request.method == "GET" && request.path == "/p",
            )
        });
        assert_eq!(decide(&lookup, "https://a.example").await, Verdict::Allowed);
        assert_eq!(decide(&lookup, "https://b.example").await, Verdict::Refused);
    }

    #[tokio::test]
    async fn cache_answers_within_each_lifetime() {
        let calls = Arc::new(AtomicUsize::new(0));
        let allowed = counting(&calls, Ok(true)).cache(
            VerdictCache::new(100)
                .allowed_for(Duration::from_millis(300))
                .refused_for(Duration::from_millis(0)),
        );
        assert_eq!(allowed.cached("https://a.example"), None);
        for _ in 0..50 {
            assert_eq!(
                decide(&allowed, "https://a.example").await,
                Verdict::Allowed
            );
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(allowed.cached("https://a.example"), Some(Verdict::Allowed));
        assert_eq!(allowed.cached("https://b.example"), None);
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(allowed.cached("https://a.example"), None);
        decide(&allowed, "https://a.example").await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);

        // Refused verdicts with a zero lifetime are never reused.
        let calls = Arc::new(AtomicUsize::new(0));
        let refused =
            counting(&calls, Ok(false)).cache(VerdictCache::new(100).refused_for(Duration::ZERO));
        decide(&refused, "https://a.example").await;
        decide(&refused, "https://a.example").await;
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(refused.cached("https://a.example"), None);
    }

    #[tokio::test]
    async fn failures_are_remembered_briefly() {
        let calls = Arc::new(AtomicUsize::new(0));
        let failing = counting(&calls, Err("db down")).cache(VerdictCache::new(100));
        decide(&failing, "https://a.example").await;
        assert_eq!(
            decide(&failing, "https://a.example").await,
            Verdict::Failed(LookupError::Recent)
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_burst_from_one_origin_makes_one_lookup() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let lookup = OriginLookup::new(move |_, _| {
            counted.fetch_add(1, Ordering::SeqCst);
            async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok::<_, String>(true)
            }
        })
        .cache(VerdictCache::new(100));
        let tasks: Vec<_> = (0..10_000)
            .map(|_| {
                let lookup = lookup.clone();
                tokio::spawn(async move { decide(&lookup, "https://a.example").await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), Verdict::Allowed);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_verdict_is_live_strictly_before_its_lifetime_ends() {
        // One instant for both ends, so no clock decides the outcome.
        let at = Instant::now();
        let entry = |cached| Entry { cached, at };
        let second = Duration::from_secs(1);
        let cache = VerdictCache::new(10)
            .allowed_for(second)
            .refused_for(2 * second);
        for (cached, lifetime) in [
            (Cached::Allowed, second),
            (Cached::Refused, 2 * second),
            (Cached::Failed, VerdictCache::FAILURE_LIFETIME),
        ] {
            assert!(cache.is_live(&entry(cached), at), "{cached:?}");
            let last = at + lifetime - Duration::from_nanos(1);
            assert!(cache.is_live(&entry(cached), last), "{cached:?}");
            assert!(!cache.is_live(&entry(cached), at + lifetime), "{cached:?}");
        }
        // A zero lifetime is never live, not even at the same instant.
        let never = VerdictCache::new(10)
            .allowed_for(Duration::ZERO)
            .refused_for(Duration::ZERO);
        for cached in [Cached::Allowed, Cached::Refused, Cached::Failed] {
            assert!(!never.is_live(&entry(cached), at), "{cached:?}");
        }
        // A failure lives no longer than a refusal.
        let short = VerdictCache::new(10).refused_for(Duration::from_millis(10));
        let failed = entry(Cached::Failed);
        assert!(short.is_live(&failed, at + Duration::from_millis(9)));
        assert!(!short.is_live(&failed, at + Duration::from_millis(10)));
    }
}
