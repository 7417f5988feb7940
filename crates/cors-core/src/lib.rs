//! A sans-IO CORS policy engine, correct by the WHATWG Fetch standard.
//!
//! A [`Policy`] is built once, in code or from a configuration file, and
//! validated before it serves anything. It then answers
//! [`Policy::evaluate`] for every request with a [`Decision`]: whether to
//! answer now (a preflight, or a refusal) or run the handler, which headers
//! to set, and what to add to `Vary`. There is no I/O, no async and no
//! framework type here; the adapters (`cors-axum`, `cors-actix`,
//! `cors-rocket`, `cors-warp`) only translate.
//!
//! ```
//! use cors_core::{Action, Policy, RequestParts, ResponseHeader};
//!
//! let policy = Policy::builder()
//!     .allow_origins(["https://app.example.com", "https://*.example.org"])
//!     .allow_methods(["GET", "POST", "PUT"])
//!     .allow_headers(["authorization", "x-request-id"])
//!     .expose_headers(["x-request-id"])
//!     .allow_credentials(true)
//!     .build()?;
//!
//! // A preflight: the engine answers it, the handler never runs.
//! let mut request = RequestParts::new("OPTIONS");
//! request.add_header("Origin", b"https://app.example.com");
//! request.add_header("Access-Control-Request-Method", b"PUT");
//! request.add_header("Access-Control-Request-Headers", b"authorization,content-type");
//! let decision = policy.evaluate(&request);
//! assert_eq!(decision.action(), Action::Respond { status: 204, body: "" });
//! assert_eq!(decision.header(ResponseHeader::AllowOrigin), Some("https://app.example.com"));
//! assert_eq!(decision.header(ResponseHeader::AllowHeaders), Some("authorization,content-type"));
//!
//! // An actual request from a subdomain: the handler runs, then the
//! // headers are added to its response.
//! let mut request = RequestParts::new("GET");
//! request.add_header("Origin", b"https://eu.example.org");
//! let decision = policy.evaluate(&request);
//! assert_eq!(decision.action(), Action::Forward);
//! assert_eq!(decision.header(ResponseHeader::AllowCredentials), Some("true"));
//! assert_eq!(decision.vary().as_str(), "Origin");
//!
//! // A refused origin gets no CORS header, and the reason can be logged.
//! let mut request = RequestParts::new("GET");
//! request.add_header("Origin", b"https://evil.example");
//! let decision = policy.evaluate(&request);
//! assert!(decision.headers().is_empty());
//! assert_eq!(decision.refusal().unwrap().to_string(), "origin \"https://evil.example\" not allowed");
//! # Ok::<(), cors_core::ConfigErrors>(())
//! ```
//!
//! # Applying a decision
//!
//! An adapter does the same four things in every framework:
//!
//! 1. Build [`RequestParts`] from the request (with the `http` feature,
//!    [`RequestParts::from_http`]).
//! 2. If [`Decision::action`] is [`Action::Respond`], answer with that
//!    status and body and the decision's headers; the handler never runs.
//! 3. Otherwise run the handler, remove any CORS headers its response
//!    carries ([`ResponseHeader::CORS`]), and append every pair of
//!    [`Decision::headers`], on error responses too.
//! 4. Append [`Vary::merge`]'s value to the response's `Vary`.
//!
//! With the `http` feature, [`Decision::apply_to_http`] and
//! [`Decision::to_http_response`] do steps 2 to 4 for `http` 1.x types.
//! With the `http02` feature, `RequestParts::from_http02_lookup` (or
//! `RequestParts::add_http02_header`, line by line) and
//! `Decision::http02_headers` convert to and from `http` 0.2 types.
//!
//! # Configuration
//!
//! The keys, their defaults and their rules are documented on
//! [`PolicyConfig`]. `Policy` implements `serde::Deserialize`, so a policy
//! can be read from TOML or JSON directly; the error then lists every
//! problem. [`PolicyConfig::build`] gives the same problems as typed
//! [`ConfigError`]s.
//!
//! # Cost
//!
//! [`Policy::evaluate`] never allocates, does not slow down as the number
//! of configured origins grows, and reads each request byte a bounded
//! number of times. That includes `allow_origin_regex`: the regexes are
//! compiled once, when the policy is built, into one fully determinized
//! DFA, which matches without the per-thread cache the `regex` crate's
//! lazy engines allocate.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod config;
mod decision;
mod error;
mod header_list;
#[cfg(feature = "http02")]
mod http02_support;
#[cfg(feature = "http")]
mod http_support;
#[cfg(feature = "lookup")]
mod lookup;
mod matcher;
mod origin;
mod policy;
mod request;
mod route;
mod set;
mod shared;
mod token;

pub use config::{PolicyConfig, RouteConfig};
pub use decision::{
    Action, Decision, Escaped, OriginQuery, Refusal, RequestKind, ResponseHeader, Vary,
};
pub use error::{ConfigError, ConfigErrors};
pub use header_list::MAX_REQUEST_HEADERS;
#[cfg(feature = "http")]
pub use http_support::ForwardHeaders;
#[cfg(feature = "http02")]
pub use http02_support::{ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK, ForwardHeaders02};
#[cfg(feature = "lookup")]
pub use lookup::{LookupError, LookupRequest, OriginLookup, Verdict, VerdictCache};
pub use matcher::OriginPredicate;
pub use origin::OriginProblem;
pub use policy::{Policy, PolicyBuilder, RouteMatch};
pub use request::{MAX_REQUEST_HEADER_LINES, RequestParts};
pub use route::{PathProblem, is_ambiguous as is_ambiguous_path};
pub use shared::{PolicyGuard, PolicySource, SharedPolicy};

// The registry README's examples are compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
