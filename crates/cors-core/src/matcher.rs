//! Deciding whether an origin is allowed.
//!
//! The cost of a lookup does not depend on how many origins are configured:
//! exact origins are one hash lookup on the whole value; `:*` port
//! wildcards one lookup on `scheme://host`; subdomain patterns one lookup per
//! parent domain of the request's host (bounded by the longest configured
//! parent); regexes, compiled together into one fully built DFA (which,
//! unlike the `regex` crate's lazy engines, needs no cache and so never
//! allocates while matching), run only when nothing cheaper matched; the
//! predicate last of all.
//!
//! Parent domains are found at label boundaries only, so `*.foo.com` can
//! never let in `barfoo.com`, and every pattern is compared against the
//! request's serialized origin, so a regex never sees a value a browser
//! would not send.

use std::fmt;
use std::sync::Arc;

use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::nfa::thompson;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input};
use regex_syntax::hir::{Hir, Look};

use crate::origin::{Origin, Port};
use crate::request::RequestParts;
use crate::set::{ByteKeyedSet, StrMap, StrSet};

/// A user-supplied origin check: given the request's serialized origin and
/// the request, whether to allow it.
pub type OriginPredicate = Arc<dyn Fn(&str, &RequestParts<'_>) -> bool + Send + Sync>;

/// Which port a subdomain pattern allows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PortRule {
    Default,
    Number(Box<str>),
    Any,
}

impl PortRule {
    fn from_port(port: Port<'_>) -> Self {
        match port {
            Port::Default => PortRule::Default,
            Port::Number(n) => PortRule::Number(n.into()),
            Port::Any => PortRule::Any,
        }
    }

    fn allows(&self, port: Port<'_>) -> bool {
        match (self, port) {
            (PortRule::Any, _) => true,
            (PortRule::Default, Port::Default) => true,
            (PortRule::Number(n), Port::Number(p)) => **n == *p,
            _ => false,
        }
    }
}

/// The compiled origin rules of a policy (all but `*`).
#[derive(Default, Clone)]
pub(crate) struct OriginMatcher {
    pub(crate) null: bool,
    /// Exact origins, as bytes, so a request's value is looked up before
    /// it is parsed.
    exact: ByteKeyedSet,
    /// The longest exact origin.
    longest_exact: usize,
    /// `scheme://host` of the `:*` patterns without a subdomain wildcard.
    any_port: StrSet,
    /// Parent domain to the (scheme, port) pairs allowed below it.
    subdomains: StrMap<Vec<(Box<str>, PortRule)>>,
    longest_parent: usize,
    regex: Option<OriginRegexes>,
    pub(crate) predicate: Option<OriginPredicate>,
}

impl OriginMatcher {
    /// Adds a parsed pattern.
    pub(crate) fn insert(&mut self, text: &str, pattern: Origin<'_>) {
        if pattern.any_subdomain {
            self.longest_parent = self.longest_parent.max(pattern.host.len());
            let rules = self.subdomains.entry(pattern.host.into()).or_default();
            let rule = (pattern.scheme.into(), PortRule::from_port(pattern.port));
            if !rules.contains(&rule) {
                rules.push(rule);
            }
        } else if pattern.port == Port::Any {
            self.any_port
                .insert(format!("{}://{}", pattern.scheme, pattern.host).into());
        } else {
            self.longest_exact = self.longest_exact.max(text.len());
            self.exact.insert(text);
        }
    }

    /// Sets the regexes.
    pub(crate) fn set_regex(&mut self, regexes: OriginRegexes) {
        self.regex = Some(regexes);
    }

    /// The exact origin `bytes` is, if it is one: the common case, tried
    /// before the value is parsed (a configured origin is a valid one, and
    /// the stored text needs no UTF-8 check).
    #[inline]
    pub(crate) fn exact(&self, bytes: &[u8]) -> Option<&str> {
        if bytes.len() > self.longest_exact {
            return None;
        }
        self.exact.get(bytes)
    }

    /// Whether a rule other than an exact origin allows a well-formed,
    /// non-`null` origin (exact origins are tried first, by the caller).
    /// Whether the exact list (and `null`) is all there is: no pattern,
    /// regex or predicate could allow an origin the list lacks.
    pub(crate) fn is_exact_only(&self) -> bool {
        self.any_port.is_empty()
            && self.subdomains.is_empty()
            && self.regex.is_none()
            && self.predicate.is_none()
    }

    pub(crate) fn allows(
        &self,
        text: &str,
        origin: &Origin<'_>,
        request: &RequestParts<'_>,
    ) -> bool {
        if !self.any_port.is_empty() {
            let without_port = match origin.port {
                Port::Number(p) => &text[..text.len() - p.len() - 1],
                _ => text,
            };
            if self.any_port.contains(without_port) {
                return true;
            }
        }
        if !self.subdomains.is_empty() && origin.is_domain && self.subdomain_allows(origin) {
            return true;
        }
        if self.regex.as_ref().is_some_and(|r| r.is_match(text)) {
            return true;
        }
        self.predicate.as_ref().is_some_and(|p| p(text, request))
    }

    fn subdomain_allows(&self, origin: &Origin<'_>) -> bool {
        let host = origin.host;
        // Each parent is what follows a dot; skip those longer than any
        // configured parent without hashing them.
        let mut parents = host
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'.')
            .map(|(i, _)| &host[i + 1..])
            .skip_while(|parent| parent.len() > self.longest_parent);
        parents.any(|parent| {
            self.subdomains.get(parent).is_some_and(|rules| {
                rules
                    .iter()
                    .any(|(scheme, port)| **scheme == *origin.scheme && port.allows(origin.port))
            })
        })
    }

    /// How many rules of each kind, for `Debug`.
    fn counts(&self) -> [usize; 4] {
        [
            self.exact.len(),
            self.any_port.len(),
            self.subdomains.values().map(Vec::len).sum(),
            self.regex.as_ref().map_or(0, |r| r.len),
        ]
    }
}

impl fmt::Debug for OriginMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [exact, any_port, subdomain, regex] = self.counts();
        f.debug_struct("OriginMatcher")
            .field("null", &self.null)
            .field("exact", &exact)
            .field("any_port", &any_port)
            .field("subdomain", &subdomain)
            .field("regex", &regex)
            .field("predicate", &self.predicate.is_some())
            .finish()
    }
}

/// The `allow_origin_regex` rules, compiled once into one multi-pattern DFA
/// that matches the whole origin.
///
/// Origins are ASCII by the time they reach it, so the patterns are
/// compiled without Unicode classes, which keeps the DFA small.
#[derive(Clone)]
pub(crate) struct OriginRegexes {
    dfa: dense::DFA<Vec<u32>>,
    len: usize,
}

/// The most memory the DFA may take, and its construction.
const DFA_SIZE_LIMIT: usize = 16 << 20;

impl OriginRegexes {
    /// Compiles the patterns, each anchored at both ends.
    ///
    /// The anchors are added to the parsed pattern, not to its text, so no
    /// pattern can escape them (a `(?x)` comment would swallow a textual
    /// `)$`).
    pub(crate) fn new(patterns: &[String]) -> Result<Self, String> {
        let hint = "origins are ASCII, so Unicode classes such as \\p{L} are not supported; \\w, \\d and [a-z] match ASCII";
        let syntax = syntax::Config::new().unicode(false).utf8(false);
        let mut anchored = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            let hir = syntax::parse_with(pattern, &syntax).map_err(|e| format!("{e} ({hint})"))?;
            anchored.push(Hir::concat(vec![
                Hir::look(Look::Start),
                hir,
                Hir::look(Look::End),
            ]));
        }
        let nfa = thompson::Compiler::new()
            .configure(thompson::Config::new().utf8(false))
            .build_many_from_hir(&anchored)
            .map_err(|e| e.to_string())?;
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .start_kind(StartKind::Anchored)
                    .dfa_size_limit(Some(DFA_SIZE_LIMIT))
                    .determinize_size_limit(Some(DFA_SIZE_LIMIT)),
            )
            .build_from_nfa(&nfa)
            .map_err(|e| e.to_string())?;
        Ok(OriginRegexes {
            dfa,
            len: patterns.len(),
        })
    }

    /// Whether some pattern matches the whole of `origin`.
    fn is_match(&self, origin: &str) -> bool {
        let input = Input::new(origin).anchored(Anchored::Yes).earliest(true);
        matches!(self.dfa.try_search_fwd(&input), Ok(Some(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regexes(patterns: &[&str]) -> OriginRegexes {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        OriginRegexes::new(&patterns).unwrap()
    }

    #[test]
    fn regexes_match_the_whole_origin() {
        let r = regexes(&[r"https://[a-z]+\.example\.com", r"http://localhost:\d+"]);
        assert!(r.is_match("https://api.example.com"));
        assert!(r.is_match("http://localhost:8080"));
        assert!(!r.is_match("https://api.example.com.evil.net"));
        assert!(!r.is_match("xhttps://api.example.com"));
        assert!(!r.is_match("http://localhost:8080/"));
        // Alternation binds inside the anchors.
        let r = regexes(&["https://a.example|https://b.example"]);
        assert!(r.is_match("https://a.example"));
        assert!(!r.is_match("https://a.example.evil"));
        assert!(!r.is_match("evil.https://b.example"));
    }

    #[test]
    fn a_comment_cannot_escape_the_anchors() {
        let r = regexes(&["(?x) https://a\\.example # the app"]);
        assert!(r.is_match("https://a.example"));
        assert!(!r.is_match("https://a.example.evil"));
    }

    #[test]
    fn unicode_classes_are_refused_with_a_hint() {
        let err = OriginRegexes::new(&[r"https://\p{L}+\.example".to_owned()])
            .err()
            .unwrap();
        assert!(err.contains("ASCII"), "{err}");
    }
}
