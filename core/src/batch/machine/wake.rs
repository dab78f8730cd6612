//! When a job next falls due, as a [`Wake`] a driver can store (see `crate::batch::wake`).
//! A child module of the machine, so the state stays private to it.

use super::{BatchJob, Policy, Stage};
use crate::batch::durable::RECONCILE_AFTER_MS;
use crate::batch::wake::{Grid, Wake};

impl BatchJob {
    /// When this job next falls due for a driver that runs now and then (see the module docs).
    pub fn wake(&self) -> Wake {
        let durable = self.rules == Policy::Durable;
        // Failures wait for their retry time, whatever the stage (an ended job never wakes).
        if let (Some(t), false) = (self.trouble.as_ref(), self.is_done()) {
            let at = match &self.stage {
                Stage::Upload | Stage::Create { .. } => t.retry_at_ms.max(self.reconcile_at()),
                _ => t.retry_at_ms,
            };
            return Wake {
                at: Some(at),
                grid: None,
            };
        }
        match &self.stage {
            Stage::Upload | Stage::Create { .. } if durable => Wake {
                at: Some(self.reconcile_at()),
                grid: None,
            },
            Stage::Poll { .. } => Wake {
                at: (durable && self.cancelled_at_ms.is_none()).then(|| self.past_window_ms()),
                grid: Some(Grid {
                    anchor_ms: self.anchor_ms,
                    polls: self.polls,
                    schedule: self.schedule,
                }),
            },
            // Due from the start, whatever the clock says (a run's clock may lag another's).
            Stage::Collect { .. } => Wake {
                at: Some(0.0),
                grid: None,
            },
            _ => Wake::default(),
        }
    }

    /// A create whose answer never came is looked for upstream from this time.
    fn reconcile_at(&self) -> f64 {
        self.opened_ms + RECONCILE_AFTER_MS
    }
}
