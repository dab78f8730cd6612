//! Batches: the lifecycle state machine every driver shares, the poll schedule, the
//! provider-neutral status vocabulary, and result collection.

pub mod durable;
pub mod machine;
pub mod pages;
pub mod reconcile;
pub mod request_body;
pub mod results;
pub mod schedule;
pub mod status;
mod steps;
pub mod wake;

pub use durable::Trouble;
pub use machine::{Action, BatchJob, BatchKind, Policy, PollNote, PollReport, PollResult, Stage};
pub use reconcile::{BatchList, ListedBatch, LostCreate, Reconciled};
pub use results::{ItemKind, ItemLine, ItemResult, LineProblem, LineSplitter, Outcome, ResultSet};
pub use schedule::PollSchedule;
pub use status::{BatchSnapshot, BatchStatus, RequestCounts, ResultFiles};
pub use wake::{Grid, Wake};
