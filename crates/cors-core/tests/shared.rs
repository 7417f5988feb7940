//! `SharedPolicy` and `PolicySource`: a replaced policy is seen by every
//! clone, and each decision comes whole from one policy.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

use cors_core::{
    Action, Decision, Policy, PolicySource, RequestParts, ResponseHeader, SharedPolicy, Vary,
};

/// Allows `https://a.example` only.
fn policy_a() -> Policy {
    Policy::builder()
        .allow_origins(["https://a.example"])
        .build()
        .unwrap()
}

/// Allows `https://b.example` only.
fn policy_b() -> Policy {
    Policy::builder()
        .allow_origins(["https://b.example"])
        .build()
        .unwrap()
}

fn actual(origin: &[u8]) -> RequestParts<'_> {
    let mut parts = RequestParts::new("GET").with_path("/p");
    parts.add_header("origin", origin);
    parts
}

fn allows(policy: &Policy, origin: &[u8]) -> bool {
    policy.evaluate(&actual(origin)).is_allowed()
}

#[test]
fn replace_is_seen_by_every_clone() {
    let shared = SharedPolicy::new(policy_a());
    let clone = shared.clone();
    let source = PolicySource::from(&shared);
    let owned_source = PolicySource::from(shared.clone());
    assert!(allows(&clone.load(), b"https://a.example"));
    assert!(!allows(&source.load(), b"https://b.example"));

    clone.replace(policy_b());
    for policy in [
        shared.load(),
        clone.load(),
        source.load(),
        owned_source.load(),
    ] {
        assert!(allows(&policy, b"https://b.example"));
        assert!(!allows(&policy, b"https://a.example"));
    }
    assert!(allows(&shared.current(), b"https://b.example"));
    assert!(allows(&source.current(), b"https://b.example"));
}

#[test]
fn what_was_read_stays_the_same_after_a_replace() {
    let shared = SharedPolicy::new(policy_a());
    let guard = shared.load();
    let owned = shared.current();
    shared.replace(policy_b());
    // A request under way finishes with the policy it read.
    assert!(allows(&guard, b"https://a.example"));
    assert!(allows(&owned, b"https://a.example"));
    assert!(!allows(&owned, b"https://b.example"));
    drop(guard);
    assert!(allows(&shared.load(), b"https://b.example"));
    assert!(allows(&owned, b"https://a.example"));
}

#[test]
fn a_source_from_a_policy_is_fixed() {
    let source = PolicySource::from(policy_a());
    assert!(source.shared().is_none());
    assert!(allows(&source.load(), b"https://a.example"));
    assert!(allows(&source.current(), b"https://a.example"));
    assert!(!allows(&source.load(), b"https://b.example"));
    let clone = source.clone();
    assert!(allows(&clone.load(), b"https://a.example"));
}

#[test]
fn a_source_from_a_shared_policy_follows_it() {
    let shared = SharedPolicy::new(policy_a());
    for source in [
        PolicySource::from(&shared),
        PolicySource::from(shared.clone()),
    ] {
        shared.replace(policy_a());
        assert!(allows(&source.load(), b"https://a.example"));
        // The handle it holds is the same one: replacing through it is seen
        // by the original.
        source
            .shared()
            .expect("a shared source")
            .replace(policy_b());
        assert!(allows(&shared.load(), b"https://b.example"));
        assert!(allows(&source.load(), b"https://b.example"));
        assert!(allows(&source.current(), b"https://b.example"));
    }
    let from: SharedPolicy = policy_a().into();
    assert!(allows(&from.load(), b"https://a.example"));
}

#[test]
fn debug_shows_the_policy_in_force() {
    let with_max_age = |seconds| Policy::builder().max_age(seconds).build().unwrap();
    let shared = SharedPolicy::new(with_max_age(111));
    assert!(format!("{shared:?}").contains("\"111\""), "{shared:?}");
    shared.replace(with_max_age(222));
    assert!(format!("{shared:?}").contains("\"222\""), "{shared:?}");
    assert!(format!("{:?}", shared.load()).contains("\"222\""));
}

// ---------------------------------------------------------------- concurrency

/// A decision, owned, to compare whole.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    action: Action,
    headers: Vec<(ResponseHeader, String)>,
    vary: Vary,
}

impl Answer {
    fn of(decision: &Decision<'_>) -> Answer {
        Answer {
            action: decision.action(),
            headers: decision
                .headers()
                .iter()
                .map(|(name, value)| (*name, (*value).to_owned()))
                .collect(),
            vary: decision.vary(),
        }
    }
}

/// Two policies that allow the same preflight with different answers in
/// every header, so that a decision mixing them would show.
fn concurrent_pair() -> (Policy, Policy) {
    let a = Policy::builder()
        .allow_origins(["https://app.example"])
        .allow_methods(["PUT"])
        .allow_headers(["x-a", "x-b"])
        .allow_credentials(true)
        .allow_private_network(true)
        .max_age(100)
        .preflight_status(204)
        .build()
        .unwrap();
    let b = Policy::builder()
        .allow_origins(["https://app.example", "https://other.example"])
        .allow_methods(["PUT", "DELETE"])
        .allow_headers(["*"])
        .max_age(200)
        .preflight_status(200)
        .build()
        .unwrap();
    (a, b)
}

fn concurrent_request() -> RequestParts<'static> {
    let mut parts = RequestParts::new("OPTIONS").with_path("/p");
    parts.add_header("origin", b"https://app.example");
    parts.add_header("access-control-request-method", b"PUT");
    parts.add_header("access-control-request-headers", b"x-a,x-b");
    parts
}

#[test]
fn readers_see_one_policy_or_the_other_never_a_mix() {
    const READERS: usize = 4;
    const REPLACEMENTS: usize = 1_000;

    let (a, b) = concurrent_pair();
    let request = concurrent_request();
    let answer_a = Answer::of(&a.evaluate(&request));
    let answer_b = Answer::of(&b.evaluate(&request));
    assert_ne!(answer_a, answer_b);
    for answer in [&answer_a, &answer_b] {
        assert!(matches!(
            answer.action,
            Action::Respond {
                status: 200 | 204,
                ..
            }
        ));
    }

    let shared = SharedPolicy::new(a.clone());
    let done = Arc::new(AtomicBool::new(false));
    // How many decisions were A's and B's, over every reader.
    let seen = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);

    let readers: Vec<_> = (0..READERS)
        .map(|reader| {
            // Half read through a `SharedPolicy` clone, half through a
            // `PolicySource`, as adapters do.
            let shared = shared.clone();
            let source = PolicySource::from(&shared);
            let (done, seen) = (done.clone(), seen.clone());
            let (answer_a, answer_b) = (answer_a.clone(), answer_b.clone());
            thread::spawn(move || {
                let request = concurrent_request();
                while !done.load(Ordering::Acquire) {
                    let answer = if reader % 2 == 0 {
                        Answer::of(&shared.load().evaluate(&request))
                    } else {
                        Answer::of(&source.load().evaluate(&request))
                    };
                    let which = if answer == answer_a {
                        0
                    } else if answer == answer_b {
                        1
                    } else {
                        panic!("a decision from neither policy: {answer:?}");
                    };
                    seen[which].fetch_add(1, Ordering::AcqRel);
                }
            })
        })
        .collect();

    // Each replacement waits until some reader answered with the new
    // policy, so that readers and replacements really interleave.
    'replacing: for i in 0..REPLACEMENTS {
        let (next, which) = if i % 2 == 0 { (&b, 1) } else { (&a, 0) };
        let before = seen[which].load(Ordering::Acquire);
        shared.replace(next.clone());
        while seen[which].load(Ordering::Acquire) == before {
            if readers.iter().any(|reader| reader.is_finished()) {
                // A reader failed: stop, and report it below.
                break 'replacing;
            }
            thread::yield_now();
        }
    }
    done.store(true, Ordering::Release);
    for reader in readers {
        reader.join().expect("no reader saw a mixed decision");
    }
    let (a_count, b_count) = (
        seen[0].load(Ordering::Acquire),
        seen[1].load(Ordering::Acquire),
    );
    assert!(
        a_count >= REPLACEMENTS / 2 && b_count >= REPLACEMENTS / 2,
        "{a_count} {b_count}"
    );
}

#[test]
fn answers_refused_actual_requests_follows_block_disallowed_origins() {
    use cors_core::RouteConfig;
    let plain = Policy::builder().allow_origins(["https://a.example"]);
    assert!(!plain.build().unwrap().answers_refused_actual_requests());
    let blocking = Policy::builder()
        .allow_origins(["https://a.example"])
        .block_disallowed_origins(true)
        .build()
        .unwrap();
    assert!(blocking.answers_refused_actual_requests());
    let in_a_route = Policy::builder()
        .allow_origins(["https://a.example"])
        .route(RouteConfig::new(["/x/*"]).block_disallowed_origins(true))
        .build()
        .unwrap();
    assert!(in_a_route.answers_refused_actual_requests());
}
