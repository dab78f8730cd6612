//! KV key names and when keys expire. Every key of a batch is named by the gateway's own
//! batch id (never by anything upstream sends, which could be anything) and expires at the
//! same moment, so a batch leaves nothing behind.

use edge_llm_core::Provider;

/// How long finished batches and their results stay readable.
pub const RETENTION_SECONDS: u64 = 30 * 24 * 3600;
/// From creation to stored results at most: upstream's 24 h window, the 6 h the gateway
/// waits past it before cancelling, 6 h more for upstream to end it, and slack to collect.
const LIFETIME_SECONDS: u64 = 3 * 24 * 3600;
/// KV refuses an expiration less than 60 s ahead.
const MIN_AHEAD_SECONDS: u64 = 60;

/// When every key of a batch created at `created_at_ms` expires (seconds since the epoch).
pub fn expires_at(created_at_ms: f64) -> u64 {
    (created_at_ms / 1000.0) as u64 + LIFETIME_SECONDS + RETENTION_SECONDS
}

/// [`expires_at`], or `None` when that is too close (or past) to write a key that expires
/// then: the batch's retention is over.
pub fn writable_until(created_at_ms: f64, now_ms: f64) -> Option<u64> {
    let at = expires_at(created_at_ms);
    (at >= (now_ms / 1000.0) as u64 + MIN_AHEAD_SECONDS).then_some(at)
}

/// Ids the gateway hands out (`eb_` + 24 hex digits) and those of earlier versions, which
/// were upstream's (`batch_…`, `msgbatch_…`, `sync_…`): 1–128 of `[A-Za-z0-9_-]`. Anything
/// that reaches a key is one of these.
pub fn is_batch_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

pub fn record(id: &str) -> String {
    format!("batch:{id}")
}

/// The request ids of one page of input, in input order.
pub fn ids(id: &str, page: u32) -> String {
    format!("batch:{id}:ids:{page}")
}

/// Fragment `n` of a page of results, written under one collecting run's `attempt`.
pub fn fragment(id: &str, attempt: &str, page: u32, n: u32) -> String {
    format!("batch:{id}:results:{attempt}:{page}:{n}")
}

/// Open-index keys sort by creation time (zero-padded ms), so listing is oldest first.
pub const OPEN_PREFIX: &str = "open:";

pub fn open(created_at_ms: f64, id: &str) -> String {
    format!("{OPEN_PREFIX}{:015}:{id}", created_at_ms as u64)
}

/// `(created_at_ms, id)` of an open-index key.
pub fn parse_open(key: &str) -> Option<(f64, String)> {
    let rest = key.strip_prefix(OPEN_PREFIX)?;
    let (created, id) = rest.split_once(':')?;
    let created = created.parse::<u64>().ok()? as f64;
    is_batch_id(id).then(|| (created, id.to_string()))
}

/// Which gateway batch an upstream batch belongs to (a lost create is matched against these).
pub fn claim(provider: Provider, upstream_id: &str) -> Option<String> {
    is_batch_id(upstream_id).then(|| format!("claim:{}:{upstream_id}", provider.id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_keys_sort_by_time_and_read_back() {
        let (a, b) = (open(999.0, "eb_1"), open(1_000.0, "eb_0"));
        assert!(a < b);
        assert_eq!(parse_open(&b), Some((1_000.0, "eb_0".to_string())));
        assert_eq!(parse_open("open:x:eb_1"), None);
        assert_eq!(parse_open("open:000000000000001:bad id"), None);
    }

    #[test]
    fn only_well_formed_ids_reach_keys() {
        assert!(is_batch_id("eb_0123456789abcdef01234567"));
        assert!(is_batch_id("msgbatch_01ABC-x"));
        for bad in ["", "a/b", "a:b", "ü", &"x".repeat(129)] {
            assert!(!is_batch_id(bad), "{bad}");
            assert_eq!(claim(Provider::OpenAI, bad), None);
        }
    }

    #[test]
    fn an_expired_batch_is_not_written_again() {
        let day = 86_400_000.0;
        assert_eq!(writable_until(0.0, day), Some(expires_at(0.0)));
        assert_eq!(writable_until(0.0, 33.0 * day + 1.0), None);
    }
}
