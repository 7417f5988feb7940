//! The lookup tables built once per policy.
//!
//! The tables are filled from configuration only and never grow afterwards,
//! so a request can make a lookup slower only up to the longest chain the
//! configuration itself built: a fast unkeyed hash is safe here and saves
//! most of the cost of SipHash on short keys.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// A word-at-a-time multiplicative hash (the "Fx" hash).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.add(word(rest));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// Builds [`FxHasher`]s.
pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;
/// A set of strings compared byte for byte.
pub(crate) type StrSet = HashSet<Box<str>, FxBuild>;
/// A set of strings looked up by bytes: a lookup gives back the stored
/// string, so a request's bytes found in it need no UTF-8 check.
///
/// A policy usually lists a few origins and methods: while there are at
/// most [`FEW`], they are compared one by one, most of them told apart by
/// length, which costs less than hashing the key; a larger set is hashed.
#[derive(Debug, Clone, Default)]
pub(crate) struct ByteKeyedSet {
    few: Vec<Box<str>>,
    hashed: HashSet<ByteKeyed, FxBuild>,
}

/// Up to how many strings a [`ByteKeyedSet`] is searched one by one.
const FEW: usize = 8;

impl ByteKeyedSet {
    /// Adds a string; returns whether it was new.
    pub(crate) fn insert(&mut self, text: &str) -> bool {
        if !self.hashed.insert(ByteKeyed(text.into())) {
            return false;
        }
        if self.hashed.len() <= FEW {
            self.few.push(text.into());
        } else {
            self.few = Vec::new();
        }
        true
    }

    /// The stored string equal to `bytes`, if there is one.
    #[inline]
    pub(crate) fn get(&self, bytes: &[u8]) -> Option<&str> {
        if self.hashed.len() <= FEW {
            return self
                .few
                .iter()
                .find(|stored| stored.as_bytes() == bytes)
                .map(|stored| &**stored);
        }
        self.hashed.get(bytes).map(|stored| &*stored.0)
    }

    /// How many strings there are.
    pub(crate) fn len(&self) -> usize {
        self.hashed.len()
    }

    /// The strings, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        self.hashed.iter().map(|stored| &*stored.0)
    }
}

/// A string hashed and compared as its bytes, so that a set of them can be
/// looked up with a `&[u8]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ByteKeyed(Box<str>);

impl std::hash::Hash for ByteKeyed {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As `[u8]` hashes, which `Borrow<[u8]>` requires.
        self.0.as_bytes().hash(state);
    }
}

impl std::borrow::Borrow<[u8]> for ByteKeyed {
    fn borrow(&self) -> &[u8] {
        self.0.as_bytes()
    }
}
/// A map keyed by strings compared byte for byte.
pub(crate) type StrMap<V> = HashMap<Box<str>, V, FxBuild>;

/// A set of names compared ASCII-case-insensitively, looked up without
/// allocating: names are stored in lower case and a key is compared with
/// them eight bytes at a time, as if lower-cased.
///
/// A policy's header names are usually a dozen or fewer (the safelisted
/// ones among them): those are compared one by one, most of them rejected
/// by their length alone, which costs less than hashing the key. A larger
/// set is hashed (the key as if lower-cased).
#[derive(Debug, Clone, Default)]
pub(crate) struct CaseInsensitiveSet {
    names: Vec<Box<str>>,
    buckets: HashMap<u64, Vec<Box<str>>, FxBuild>,
}

/// Up to how many names a [`CaseInsensitiveSet`] is searched one by one.
const SCANNED: usize = 16;

impl CaseInsensitiveSet {
    /// Adds a name; returns whether it was new.
    pub(crate) fn insert(&mut self, name: &str) -> bool {
        if self.contains(name.as_bytes()) {
            return false;
        }
        let lower: Box<str> = name.to_ascii_lowercase().into();
        self.names.push(lower.clone());
        if self.names.len() == SCANNED + 1 {
            for name in &self.names {
                self.buckets
                    .entry(fold_hash(name.as_bytes()))
                    .or_default()
                    .push(name.clone());
            }
        } else if self.names.len() > SCANNED {
            self.buckets
                .entry(fold_hash(lower.as_bytes()))
                .or_default()
                .push(lower);
        }
        true
    }

    /// Whether `name` is in the set, in any case.
    #[inline]
    pub(crate) fn contains(&self, name: &[u8]) -> bool {
        if self.names.len() <= SCANNED {
            return self.names.iter().any(|n| is_folded(n.as_bytes(), name));
        }
        self.buckets
            .get(&fold_hash(name))
            .is_some_and(|bucket| bucket.iter().any(|n| is_folded(n.as_bytes(), name)))
    }

    /// The names, in lower case, in the order they were added.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }
}

/// The hash of `bytes` lower-cased, eight bytes at a time.
#[inline]
fn fold_hash(bytes: &[u8]) -> u64 {
    let mut hasher = FxHasher::default();
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        hasher.add(lower_ascii(word(chunk)));
    }
    hasher.add(lower_ascii(word(chunks.remainder())) ^ bytes.len() as u64);
    hasher.finish()
}

/// Whether `name`, lower-cased, is `lower` (a name already in lower case):
/// `eq_ignore_ascii_case` for that case, eight bytes at a time.
#[inline]
fn is_folded(lower: &[u8], name: &[u8]) -> bool {
    if lower.len() != name.len() {
        return false;
    }
    let mut stored = lower.chunks_exact(8);
    let mut given = name.chunks_exact(8);
    for (stored, given) in (&mut stored).zip(&mut given) {
        if word(stored) != lower_ascii(word(given)) {
            return false;
        }
    }
    word(stored.remainder()) == lower_ascii(word(given.remainder()))
}

/// Up to eight bytes as a little-endian word, zero-padded.
///
/// Built from two loads that may overlap (their common bytes are the same)
/// rather than by copying into a zeroed array: a copy of a length known
/// only at run time is a call to `memcpy`, dearer than the hashing itself.
#[inline]
fn word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    match n {
        8.. => u64::from_le_bytes([
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
        ]),
        4..=7 => {
            let low = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
            let high = u32::from_le_bytes([bytes[n - 4], bytes[n - 3], bytes[n - 2], bytes[n - 1]]);
            u64::from(low) | u64::from(high) << (8 * (n - 4))
        }
        2..=3 => {
            let low = u16::from_le_bytes([bytes[0], bytes[1]]);
            let high = u16::from_le_bytes([bytes[n - 2], bytes[n - 1]]);
            u64::from(low) | u64::from(high) << (8 * (n - 2))
        }
        1 => u64::from(bytes[0]),
        0 => 0,
    }
}

/// Each byte of `word` lower-cased as [`u8::to_ascii_lowercase`] does,
/// all eight at once: `0x20` is set in the bytes from `A` to `Z`.
#[inline]
fn lower_ascii(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Below 0x80 in every byte, so the additions never carry into the
    // next byte; each sets its byte's top bit where the byte is at least
    // `A` (resp. beyond `Z`).
    let low7 = word & (0x7f * ONES);
    let from_a = low7 + (0x80 - u64::from(b'A')) * ONES;
    let beyond_z = low7 + (0x80 - u64::from(b'Z') - 1) * ONES;
    let upper = from_a & !beyond_z & !word & (0x80 * ONES);
    word | (upper >> 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_ascii_is_to_ascii_lowercase_on_every_byte() {
        for b in 0..=255u8 {
            // The byte in every position, among bytes that are and are
            // not letters.
            for position in 0..8 {
                let mut bytes = *b"aZ@[`{\x7f\xc1";
                bytes[position] = b;
                let expected = bytes.map(|b| b.to_ascii_lowercase());
                assert_eq!(
                    lower_ascii(u64::from_le_bytes(bytes)),
                    u64::from_le_bytes(expected),
                    "{bytes:?}"
                );
            }
        }
    }

    #[test]
    fn word_is_the_bytes_zero_padded_at_every_length() {
        let bytes = *b"\x01\x23\x45\x67\x89\xab\xcd\xef";
        for len in 0..=8 {
            let mut padded = [0; 8];
            padded[..len].copy_from_slice(&bytes[..len]);
            assert_eq!(word(&bytes[..len]), u64::from_le_bytes(padded), "{len}");
        }
    }

    #[test]
    fn case_insensitive_set() {
        let mut set = CaseInsensitiveSet::default();
        assert!(set.insert("X-Request-Id"));
        assert!(!set.insert("x-request-id"));
        assert!(set.insert("authorization"));
        assert!(set.contains(b"x-request-id"));
        assert!(set.contains(b"X-REQUEST-ID"));
        assert!(set.contains(b"Authorization"));
        assert!(!set.contains(b"x-request"));
        assert!(!set.contains(b"x-request-id-2"));
        assert!(!set.contains(b""));
        let mut names: Vec<_> = set.iter().collect();
        names.sort_unstable();
        assert_eq!(names, ["authorization", "x-request-id"]);
    }

    #[test]
    fn case_insensitive_set_answers_alike_scanned_and_hashed() {
        // Every size from empty to well past `SCANNED`: the set must
        // answer as a set of lower-cased names does, on either side of
        // the switch to hashing.
        let names: Vec<String> = (0..3 * SCANNED).map(|i| format!("X-Name-{i}")).collect();
        let mut set = CaseInsensitiveSet::default();
        for (len, name) in names.iter().enumerate() {
            assert!(set.insert(name));
            assert!(!set.insert(&name.to_ascii_uppercase()), "{name}");
            for (i, probe) in names.iter().enumerate() {
                let inside = i <= len;
                assert_eq!(set.contains(probe.as_bytes()), inside, "{len} {probe}");
                assert_eq!(
                    set.contains(probe.to_ascii_lowercase().as_bytes()),
                    inside,
                    "{len} {probe}"
                );
                assert!(!set.contains(format!("{probe}-").as_bytes()));
            }
            let listed: Vec<String> = set.iter().map(str::to_owned).collect();
            let expected: Vec<String> = names[..=len]
                .iter()
                .map(|n| n.to_ascii_lowercase())
                .collect();
            assert_eq!(listed, expected);
        }
    }

    #[test]
    fn byte_keyed_set_answers_alike_scanned_and_hashed() {
        // Every size from one to well past `FEW`, each string given twice:
        // each one added is found, as the stored text, and nothing else
        // is, on either side of the switch to hashing.
        let texts: Vec<String> = (0..3 * FEW)
            .map(|i| format!("https://app{i}.example"))
            .collect();
        let mut set = ByteKeyedSet::default();
        for (len, text) in texts.iter().enumerate() {
            assert!(set.insert(text));
            assert!(!set.insert(text));
            assert_eq!(set.len(), len + 1);
            for (i, probe) in texts.iter().enumerate() {
                let bytes = probe.as_bytes();
                assert_eq!(
                    set.get(bytes),
                    (i <= len).then_some(probe.as_str()),
                    "{len} {probe}"
                );
                assert_eq!(set.get(&bytes[..bytes.len() - 1]), None);
                assert_eq!(set.get(format!("{probe}:1").as_bytes()), None);
            }
            let mut listed: Vec<&str> = set.iter().collect();
            listed.sort_unstable();
            let mut expected: Vec<&str> = texts[..=len].iter().map(String::as_str).collect();
            expected.sort_unstable();
            assert_eq!(listed, expected);
        }
    }

    #[test]
    fn fold_hash_ignores_case_only() {
        assert_eq!(
            fold_hash(b"Content-Type-Long"),
            fold_hash(b"content-type-long")
        );
        assert_ne!(fold_hash(b"a"), fold_hash(b"a\0"));
    }

    #[test]
    fn is_folded_is_eq_ignore_ascii_case_against_a_lower_case_name() {
        let names = strings(b"aZ-\xc1", 4);
        for lower in names.iter().map(|n| n.to_ascii_lowercase()) {
            for long in [false, true] {
                let pad = |n: &[u8]| {
                    if long {
                        [&b"X-Long-Prefix-"[..], n].concat()
                    } else {
                        n.to_vec()
                    }
                };
                let lower = pad(&lower).to_ascii_lowercase();
                for name in &names {
                    let name = pad(name);
                    assert_eq!(
                        is_folded(&lower, &name),
                        lower.eq_ignore_ascii_case(&name),
                        "{lower:?} {name:?}"
                    );
                }
            }
        }
    }

    /// Every string of the bytes `chars`, of at most `max` bytes.
    fn strings(chars: &[u8], max: usize) -> Vec<Vec<u8>> {
        let mut all: Vec<Vec<u8>> = vec![Vec::new()];
        let mut last = all.clone();
        for _ in 0..max {
            last = last
                .iter()
                .flat_map(|s| {
                    chars.iter().map(move |&c| {
                        let mut longer = s.clone();
                        longer.push(c);
                        longer
                    })
                })
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    fn fx(write: impl FnOnce(&mut FxHasher)) -> u64 {
        let mut hasher = FxHasher::default();
        write(&mut hasher);
        hasher.finish()
    }

    #[test]
    fn fx_hash_spreads_distinct_keys() {
        // The tables stay fast only if distinct keys get distinct hashes:
        // every byte counts, the last partial word included, and so does
        // every integer written.
        let tails = strings(b"abcxyz-.:0", 3);
        let mut seen = HashSet::new();
        for tail in &tails {
            for head in [&b""[..], b"https://", b"https://app.example"] {
                let key = [head, tail].concat();
                seen.insert(fx(|h| h.write(&key)));
            }
        }
        assert_eq!(seen.len(), 3 * tails.len());

        let distinct = |hashes: Vec<u64>| hashes.iter().collect::<HashSet<_>>().len();
        assert_eq!(
            distinct((0..=u8::MAX).map(|n| fx(|h| h.write_u8(n))).collect()),
            256
        );
        assert_eq!(
            distinct((0..4096).map(|n| fx(|h| h.write_u64(n))).collect()),
            4096
        );
        assert_eq!(
            distinct((0..4096).map(|n| fx(|h| h.write_usize(n))).collect()),
            4096
        );
    }

    #[test]
    fn fold_hash_spreads_names_that_differ_other_than_in_case() {
        let names = strings(b"abcz09-_", 4);
        let mut seen = HashSet::new();
        for name in &names {
            assert_eq!(fold_hash(name), fold_hash(&name.to_ascii_uppercase()));
            seen.insert(fold_hash(name));
            seen.insert(fold_hash(&[&b"x-custom-"[..], name].concat()));
        }
        // Only the empty name is counted twice.
        assert_eq!(seen.len(), 2 * names.len());
    }
}
