//! `cors`: checks a server's CORS answers as a browser would, and says why.
//!
//! The library behind the `cors` command. Its heart is [`fetch`]: the
//! browser side of CORS from the WHATWG Fetch standard (which requests
//! need a preflight, what the preflight carries, the checks on the
//! answers, the readable response headers, redirects), with no I/O and no
//! dependency on the `cors-core` engine, so that it can judge any server.
//!
//! ```
//! use cors_cli::fetch::{Fetch, Request, Stage};
//!
//! // A JSON POST needs a preflight: `application/json` is not one of the
//! // three safelisted `Content-Type`s.
//! let request = Request::new("https://app.example.com", "POST")
//!     .header("Content-Type", "application/json");
//! let fetch = Fetch::new("https://api.example.com/orders", request.clone())?;
//! assert!(fetch.needs_preflight());
//! let preflight = fetch.next_request();
//! assert_eq!(preflight.stage, Stage::Preflight);
//! assert_eq!(preflight.method, "OPTIONS");
//! assert_eq!(preflight.header("Access-Control-Request-Method"), Some("POST"));
//! assert_eq!(preflight.header("Access-Control-Request-Headers"), Some("content-type"));
//!
//! // A form POST does not.
//! let form = Request::new("https://app.example.com", "POST")
//!     .header("Content-Type", "application/x-www-form-urlencoded");
//! assert!(!Fetch::new("https://api.example.com/orders", form)?.needs_preflight());
//! # Ok::<(), cors_cli::fetch::InvalidRequest>(())
//! ```
//!
//! The other modules: [`client`] sends requests over HTTP(S), [`explain`]
//! runs a `cors-core` policy in place of a server, [`policy_file`] reads
//! and validates policy files, and [`cli`] is the command line.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod client;
pub mod explain;
pub mod fetch;
pub mod policy_file;
pub mod url;

// The registry README's examples are compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
