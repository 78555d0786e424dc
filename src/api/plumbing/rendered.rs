//! Wire text already rendered, by object id, stored version and rendering.
//!
//! A stored version never changes (a write makes a new one), so the text
//! rendered from it stays right for as long as the rendering's other inputs
//! do: the API version and, for a session, whether it has lapsed at `now`
//! (each entry carries the span of times it holds for). A read of an object
//! read before (a session its page and its merchant poll, a list's first
//! page) then skips decoding the document and serializing it again, which
//! were about a quarter of a retrieve's CPU and half of a list's.
//!
//! An entry is keyed by the object's row (`seq`, which no other object,
//! in any account or mode, ever has: ids are unique only within a scope)
//! and its version, and is asked for only after the scoped read has
//! returned both: it is never shown to another account or mode, and never
//! outlives its version. It holds no secret that the rendering would not
//! show to the same caller. Its size is bounded by `KASSA_RENDER_CACHE_MIB`
//! (0 turns it off).

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use prometheus::{IntCounter, Registry};
use quick_cache::sync::Cache;
use quick_cache::{Equivalent, Weighter};

/// Which rendering of which object version: the object's row
/// (`StoredObject::seq`) and version, the API version's text (empty when the
/// object's wire form does not depend on it), and whether a session's line
/// items are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Of<'a> {
    pub seq: i64,
    pub version: i64,
    pub api: &'a str,
    pub lines: bool,
}

/// `Of`, owned, as the cache keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    seq: i64,
    version: i64,
    api: Box<str>,
    lines: bool,
}

// `Of` and `Key` hash the same fields the same way, so a lookup by `Of`
// needs no owned key.
impl Hash for Of<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (self.seq, self.version, self.api, self.lines).hash(h);
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (self.seq, self.version, &*self.api, self.lines).hash(h);
    }
}

impl Equivalent<Key> for Of<'_> {
    fn equivalent(&self, k: &Key) -> bool {
        self.seq == k.seq && self.version == k.version && self.lines == k.lines && self.api == &*k.api
    }
}

/// A rendering and the times it holds for: `from <= now < until`.
#[derive(Debug, Clone)]
struct Entry {
    text: Arc<str>,
    from: i64,
    until: i64,
}

/// An entry weighs its bytes, and a little for the cache's own bookkeeping.
#[derive(Debug, Clone)]
struct Bytes;

const OVERHEAD: u64 = 96;

impl Weighter<Key, Entry> for Bytes {
    fn weight(&self, k: &Key, e: &Entry) -> u64 {
        (e.text.len() + k.api.len()) as u64 + OVERHEAD
    }
}

/// The cache, with its hit and miss counters (`/metrics`).
pub struct Rendered {
    cache: Option<Cache<Key, Entry, Bytes>>,
    hits: IntCounter,
    misses: IntCounter,
}

/// The span of a rendering that does not depend on the time.
pub const ALWAYS: (i64, i64) = (i64::MIN, i64::MAX);

/// What a typical rendering weighs, to size the cache's table.
const TYPICAL_BYTES: u64 = 2048;

impl Rendered {
    /// A cache of at most `bytes` of renderings; none at all when 0.
    pub fn new(bytes: u64) -> Self {
        let cache = (bytes > 0).then(|| {
            let items = usize::try_from(bytes / TYPICAL_BYTES).unwrap_or(usize::MAX).max(16);
            Cache::with_weighter(items, bytes, Bytes)
        });
        // Constant definitions: these cannot fail.
        let counter = |name: &str, help: &str| IntCounter::new(name, help).unwrap_or_else(|_| unreachable!());
        Self {
            cache,
            hits: counter("kassa_render_cache_hits_total", "Reads answered with wire text rendered before"),
            misses: counter("kassa_render_cache_misses_total", "Reads that rendered an object version anew"),
        }
    }

    /// Puts the hit and miss counters on `/metrics`.
    pub fn register(&self, registry: &Registry) {
        let _ = registry.register(Box::new(self.hits.clone()));
        let _ = registry.register(Box::new(self.misses.clone()));
    }

    /// The text rendered before for `of`, if it still holds at `now`.
    fn get(&self, of: &Of<'_>, now: i64) -> Option<String> {
        let cache = self.cache.as_ref()?;
        match cache.get(of) {
            Some(e) if e.from <= now && now < e.until => {
                self.hits.inc();
                Some(e.text.to_string())
            }
            _ => {
                self.misses.inc();
                None
            }
        }
    }

    /// Keeps `text`, rendered for `of`, as holding for `from <= now < until`.
    fn put(&self, of: &Of<'_>, text: &str, (from, until): (i64, i64)) {
        if let Some(cache) = &self.cache {
            let key = Key { seq: of.seq, version: of.version, api: of.api.into(), lines: of.lines };
            cache.insert(key, Entry { text: text.into(), from, until });
        }
    }

    /// `get`, or else `render` (kept when it succeeds, with the span it
    /// holds for).
    pub fn get_or_render<E>(
        &self,
        of: &Of<'_>,
        now: i64,
        render: impl FnOnce() -> Result<(String, (i64, i64)), E>,
    ) -> Result<String, E> {
        if let Some(text) = self.get(of, now) {
            return Ok(text);
        }
        let (text, span) = render()?;
        self.put(of, &text, span);
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(seq: i64, version: i64) -> Of<'static> {
        Of { seq, version, api: "2025-03-31.basil", lines: false }
    }

    #[test]
    fn a_rendering_is_found_by_its_id_version_and_variant_only() {
        let r = Rendered::new(1 << 20);
        r.put(&of(1, 1), "{\"v\":1}", ALWAYS);
        assert_eq!(r.get(&of(1, 1), 0).as_deref(), Some("{\"v\":1}"));
        assert_eq!(r.get(&of(1, 2), 0), None, "another version");
        assert_eq!(r.get(&of(2, 1), 0), None, "another row: another object, or the same id in another scope");
        assert_eq!(r.get(&Of { lines: true, ..of(1, 1) }, 0), None, "with line items");
        assert_eq!(r.get(&Of { api: "2024-06-20", ..of(1, 1) }, 0), None, "another API version");
        assert_eq!((r.hits.get(), r.misses.get()), (1, 4));
    }

    #[test]
    fn a_rendering_holds_only_for_its_span() {
        let r = Rendered::new(1 << 20);
        r.put(&of(1, 1), "open", (i64::MIN, 100));
        assert_eq!(r.get(&of(1, 1), 99).as_deref(), Some("open"));
        assert_eq!(r.get(&of(1, 1), 100), None, "lapsed at 100");
        r.put(&of(1, 1), "expired", (100, i64::MAX));
        assert_eq!(r.get(&of(1, 1), 5_000).as_deref(), Some("expired"));
        assert_eq!(r.get(&of(1, 1), 99), None, "a clock set back sees it open again");
    }

    #[test]
    fn render_runs_once_and_errors_are_not_kept() {
        let r = Rendered::new(1 << 20);
        let mut calls = 0;
        let mut render = |ok: bool| {
            r.get_or_render(&of(1, 1), 0, || {
                calls += 1;
                if ok {
                    Ok(("{}".to_owned(), ALWAYS))
                } else {
                    Err("failed")
                }
            })
        };
        assert_eq!(render(false), Err("failed"));
        assert_eq!(render(true).as_deref(), Ok("{}"));
        assert_eq!(render(true).as_deref(), Ok("{}"));
        assert_eq!(calls, 2, "the third read was a hit");
    }

    #[test]
    fn the_cache_stays_within_its_bytes_and_zero_turns_it_off() {
        let r = Rendered::new(64 * 1024);
        let text = "x".repeat(2000);
        for v in 0..1000 {
            r.put(&of(1, v), &text, ALWAYS);
        }
        let cache = r.cache.as_ref().unwrap();
        assert!(cache.weight() <= 64 * 1024, "weight {}", cache.weight());
        let off = Rendered::new(0);
        off.put(&of(1, 1), "{}", ALWAYS);
        assert_eq!(off.get(&of(1, 1), 0), None);
    }
}
