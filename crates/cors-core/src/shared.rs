//! Policies replaced while serving.
//!
//! A [`SharedPolicy`] is a handle to the policy in force: every clone sees
//! [`replace`](SharedPolicy::replace) at once. Reading it takes no lock and
//! allocates nothing (an `arc-swap` load), and an adapter reads it once per
//! request and keeps what it read for the whole request, so a preflight's
//! answer, or an actual request's headers, always come from one policy.
//!
//! Adapters take a [`PolicySource`] wherever they take a policy: a fixed
//! [`Policy`] or a `SharedPolicy`, each converting with `into()`.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use arc_swap::{ArcSwap, Guard};

use crate::Policy;

/// A policy that can be replaced while requests are being served.
///
/// ```
/// use cors_core::{Policy, RequestParts, SharedPolicy};
///
/// let a = Policy::builder().allow_origins(["https://a.example"]).build()?;
/// let b = Policy::builder().allow_origins(["https://b.example"]).build()?;
/// let shared = SharedPolicy::new(a);
/// let serving = shared.clone(); // what an adapter holds
///
/// let mut request = RequestParts::new("GET");
/// request.add_header("origin", b"https://b.example");
/// assert!(!serving.load().evaluate(&request).is_allowed());
///
/// shared.replace(b); // e.g. after reading a changed file
/// assert!(serving.load().evaluate(&request).is_allowed());
/// # Ok::<(), cors_core::ConfigErrors>(())
/// ```
#[derive(Clone)]
pub struct SharedPolicy {
    current: Arc<ArcSwap<Policy>>,
}

impl SharedPolicy {
    /// A handle serving `policy` until it is replaced.
    pub fn new(policy: Policy) -> Self {
        SharedPolicy {
            current: Arc::new(ArcSwap::from_pointee(policy)),
        }
    }

    /// Makes `policy` the one in force, for every request that reads the
    /// handle after this call; requests already under way finish with the
    /// policy they read.
    pub fn replace(&self, policy: Policy) {
        self.current.store(Arc::new(policy));
    }

    /// The policy in force, borrowed: no lock, no allocation. Keep the
    /// guard only briefly (for one decision); to hold the policy across an
    /// await, use [`current`](SharedPolicy::current).
    #[inline]
    pub fn load(&self) -> PolicyGuard<'_> {
        PolicyGuard(GuardRepr::Shared(self.current.load()))
    }

    /// The policy in force, as an owned handle (a reference-count
    /// increment).
    #[inline]
    pub fn current(&self) -> Policy {
        Policy::clone(&self.current.load())
    }
}

impl fmt::Debug for SharedPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedPolicy")
            .field(&**self.current.load())
            .finish()
    }
}

impl From<Policy> for SharedPolicy {
    fn from(policy: Policy) -> Self {
        SharedPolicy::new(policy)
    }
}

/// Where an adapter reads the policy for each request: a fixed [`Policy`],
/// or a [`SharedPolicy`] that may be replaced while serving. Adapters take
/// `impl Into<PolicySource>`, so either can be passed as it is.
#[derive(Clone, Debug)]
pub struct PolicySource(SourceRepr);

#[derive(Clone, Debug)]
enum SourceRepr {
    Fixed(Policy),
    Shared(SharedPolicy),
}

impl PolicySource {
    /// The policy in force, borrowed for one decision.
    #[inline]
    pub fn load(&self) -> PolicyGuard<'_> {
        match &self.0 {
            SourceRepr::Fixed(policy) => PolicyGuard(GuardRepr::Fixed(policy)),
            SourceRepr::Shared(shared) => shared.load(),
        }
    }

    /// The policy in force, owned, to keep for a whole request.
    #[inline]
    pub fn current(&self) -> Policy {
        match &self.0 {
            SourceRepr::Fixed(policy) => policy.clone(),
            SourceRepr::Shared(shared) => shared.current(),
        }
    }

    /// The shared handle, when the source is one.
    pub fn shared(&self) -> Option<&SharedPolicy> {
        match &self.0 {
            SourceRepr::Fixed(_) => None,
            SourceRepr::Shared(shared) => Some(shared),
        }
    }
}

impl From<Policy> for PolicySource {
    fn from(policy: Policy) -> Self {
        PolicySource(SourceRepr::Fixed(policy))
    }
}

impl From<SharedPolicy> for PolicySource {
    fn from(shared: SharedPolicy) -> Self {
        PolicySource(SourceRepr::Shared(shared))
    }
}

impl From<&SharedPolicy> for PolicySource {
    fn from(shared: &SharedPolicy) -> Self {
        PolicySource(SourceRepr::Shared(shared.clone()))
    }
}

/// A borrowed policy, from [`PolicySource::load`] or
/// [`SharedPolicy::load`]; dereferences to [`Policy`].
pub struct PolicyGuard<'a>(GuardRepr<'a>);

enum GuardRepr<'a> {
    Fixed(&'a Policy),
    Shared(Guard<Arc<Policy>>),
}

impl Deref for PolicyGuard<'_> {
    type Target = Policy;

    #[inline]
    fn deref(&self) -> &Policy {
        match &self.0 {
            GuardRepr::Fixed(policy) => policy,
            GuardRepr::Shared(guard) => guard,
        }
    }
}

impl fmt::Debug for PolicyGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Policy::fmt(self, f)
    }
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync::<SharedPolicy>();
    assert_send_sync::<PolicySource>();
};
