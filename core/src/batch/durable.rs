//! The Worker's durability rules (contract §4.1), which replace the reference's loop limits
//! for a batch the gateway keeps across cron runs: upstream is the clock, a failed poll or
//! download is retried with backoff, and the gateway ends a batch on its own only when
//! upstream says it does not exist, after hours of unbroken failure, or when upstream keeps
//! it open far past its window (then it cancels it upstream and still collects).

use serde::{Deserialize, Serialize};

const MINUTE_MS: f64 = 60_000.0;
const HOUR_MS: f64 = 60.0 * MINUTE_MS;

/// Failing polls (or downloads) without a break this long end the batch.
pub const TROUBLE_LIMIT_MS: f64 = 6.0 * HOUR_MS;
/// A batch still open upstream this long after its window (24 h) is cancelled upstream.
pub const PAST_WINDOW_MS: f64 = 6.0 * HOUR_MS;
/// After that cancel, upstream has this long to end the batch before the gateway gives up.
pub const CANCEL_GRACE_MS: f64 = 6.0 * HOUR_MS;
/// A create that has not recorded its upstream batch this long after it began is looked
/// for upstream (its answer was lost: the isolate died, KV failed, the client went away).
/// Longer than any create takes, so a create still in flight is not second-guessed.
pub const RECONCILE_AFTER_MS: f64 = 10.0 * MINUTE_MS;
/// An intent whose batch is still not found upstream this long after the create began was
/// never created.
pub const GIVE_UP_CREATE_MS: f64 = HOUR_MS;
/// Upstream's `retry-after` is honoured up to this (a hostile value cannot park a batch).
const MAX_RETRY_AFTER_MS: f64 = HOUR_MS;
/// Looking for a lost create again: every few minutes, not every cron run.
const RECONCILE_EVERY_MS: f64 = 5.0 * MINUTE_MS;

/// A problem that has lasted since `since_ms`: polls, downloads or the create's lookup
/// failing without a break. Readers see it as `lastError`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trouble {
    pub since_ms: f64,
    /// Failed attempts so far.
    pub attempts: u32,
    /// The latest failure, as the contract words it.
    pub message: String,
    /// Not before this.
    pub retry_at_ms: f64,
}

impl Trouble {
    /// The streak after one more failure at `now`: `previous` continues, or one starts.
    /// The wait doubles from the schedule's longest interval (120 s → 2, 4, 8, 16, 32 min)
    /// and is at least what upstream asked for.
    pub fn after(
        previous: Option<&Trouble>,
        now: f64,
        message: String,
        max_poll_interval_ms: f64,
        retry_after_ms: Option<u64>,
    ) -> Trouble {
        let attempts = previous.map_or(0, |t| t.attempts).saturating_add(1);
        let backoff = max_poll_interval_ms.max(1.0) * 2f64.powi(attempts.min(5) as i32 - 1);
        let asked = retry_after_ms.map_or(0.0, |ms| (ms as f64).min(MAX_RETRY_AFTER_MS));
        Trouble {
            since_ms: previous.map_or(now, |t| t.since_ms),
            attempts,
            message,
            retry_at_ms: now + backoff.max(asked),
        }
    }

    /// A lost create not found upstream yet: look again in a few minutes.
    pub fn lookup(previous: Option<&Trouble>, now: f64, message: String) -> Trouble {
        Trouble {
            since_ms: previous.map_or(now, |t| t.since_ms),
            attempts: previous.map_or(0, |t| t.attempts).saturating_add(1),
            message,
            retry_at_ms: now + RECONCILE_EVERY_MS,
        }
    }

    /// Whether the streak has lasted long enough to end the batch.
    pub fn is_hopeless(&self, now: f64) -> bool {
        now - self.since_ms >= TROUBLE_LIMIT_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_the_longest_interval_and_honour_retry_after() {
        let mut t: Option<Trouble> = None;
        let mut waits = vec![];
        for _ in 0..7 {
            let next = Trouble::after(t.as_ref(), 1000.0, "x".into(), 120_000.0, None);
            waits.push((next.retry_at_ms - 1000.0) / 60_000.0);
            t = Some(next);
        }
        assert_eq!(waits, [2.0, 4.0, 8.0, 16.0, 32.0, 32.0, 32.0]);
        let t = t.unwrap();
        assert_eq!((t.since_ms, t.attempts), (1000.0, 7));
        let asked = Trouble::after(None, 0.0, "x".into(), 1.0, Some(30_000));
        assert_eq!(asked.retry_at_ms, 30_000.0);
        let hostile = Trouble::after(None, 0.0, "x".into(), 1.0, Some(u64::MAX));
        assert_eq!(hostile.retry_at_ms, HOUR_MS);
    }

    #[test]
    fn six_hours_without_a_break_is_hopeless() {
        let t = Trouble::after(None, 0.0, "x".into(), 1.0, None);
        assert!(!t.is_hopeless(TROUBLE_LIMIT_MS - 1.0));
        assert!(t.is_hopeless(TROUBLE_LIMIT_MS));
    }
}
