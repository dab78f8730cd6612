//! The poll schedule of contract §2: before poll *n* (0-based) wait
//! `min(pollIntervalMs · 1.5ⁿ, maxPollIntervalMs)`; give up `timeoutMs` after polling starts.
//!
//! Poll times form a grid anchored at the last recorded poll, so a driver that does not
//! record every poll (the Worker's cron writes to KV only when something changed) still
//! polls on the same schedule: it asks whether a grid point fell between its previous run
//! and now.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollSchedule {
    pub poll_interval_ms: f64,
    pub max_poll_interval_ms: f64,
    pub timeout_ms: f64,
}

impl Default for PollSchedule {
    /// The reference's defaults: 10 s, growing to 120 s, for at most 24 h.
    fn default() -> Self {
        PollSchedule {
            poll_interval_ms: 10_000.0,
            max_poll_interval_ms: 120_000.0,
            timeout_ms: 86_400_000.0,
        }
    }
}

impl PollSchedule {
    /// The wait before poll `n` (0-based).
    pub fn wait_before(&self, n: u32) -> f64 {
        // 1.5ⁿ is exact in f64 up to n = 33, as JavaScript's Math.pow; beyond, the cap rules.
        (self.poll_interval_ms * 1.5f64.powi(n.min(i32::MAX as u32) as i32))
            .min(self.max_poll_interval_ms)
    }

    /// How many grid points lie in `(anchor, t]` for a grid that starts after `polls` polls at
    /// `anchor`. `None` means "infinitely many": a zero interval polls at every chance.
    pub fn slots_until(&self, anchor: f64, polls: u32, t: f64) -> Option<u64> {
        if t <= anchor {
            return Some(0);
        }
        if self.wait_before(polls) <= 0.0 {
            return None;
        }
        let (mut at, mut n, mut count) = (anchor, polls, 0u64);
        loop {
            let wait = self.wait_before(n);
            if wait >= self.max_poll_interval_ms {
                // The waits stopped growing: the rest of the grid is evenly spaced.
                return Some(count + ((t - at) / wait).floor() as u64);
            }
            at += wait;
            if at > t {
                return Some(count);
            }
            count += 1;
            n = n.saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(base: f64, max: f64) -> PollSchedule {
        PollSchedule {
            poll_interval_ms: base,
            max_poll_interval_ms: max,
            timeout_ms: 1e9,
        }
    }

    #[test]
    fn waits_grow_by_half_and_stop_at_the_cap() {
        let s = PollSchedule::default();
        let waits: Vec<f64> = (0..8).map(|n| s.wait_before(n)).collect();
        assert_eq!(
            waits,
            [10_000.0, 15_000.0, 22_500.0, 33_750.0, 50_625.0, 75_937.5, 113_906.25, 120_000.0]
        );
        assert_eq!(s.wait_before(1000), 120_000.0);
    }

    #[test]
    fn grid_points_are_counted_across_the_growing_and_flat_parts() {
        let s = schedule(10.0, 40.0);
        assert_eq!(s.slots_until(0.0, 0, 9.0), Some(0));
        assert_eq!(s.slots_until(0.0, 0, 10.0), Some(1));
        assert_eq!(s.slots_until(0.0, 0, 47.5), Some(3));
        assert_eq!(s.slots_until(0.0, 0, 80.0), Some(3));
        // From 47.5 the waits are 33.75, then 40 for ever: points at 81.25, 121.25, 161.25.
        assert_eq!(s.slots_until(0.0, 0, 121.25), Some(5));
        assert_eq!(s.slots_until(0.0, 0, 161.0), Some(5));
    }

    #[test]
    fn a_zero_interval_means_every_chance() {
        assert_eq!(schedule(0.0, 120.0).slots_until(0.0, 0, 1.0), None);
        assert_eq!(schedule(0.0, 120.0).slots_until(5.0, 0, 5.0), Some(0));
    }
}
