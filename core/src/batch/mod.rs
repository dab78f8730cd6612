//! Batches: the lifecycle state machine every driver shares, the poll schedule, the
//! provider-neutral status vocabulary, and result collection.

pub mod machine;
pub mod pages;
pub mod request_body;
pub mod results;
pub mod schedule;
pub mod status;
mod steps;

pub use machine::{
    Action, BatchJob, BatchKind, EndPolicy, PollNote, PollReport, PollResult, Stage,
};
pub use results::{ItemKind, ItemLine, ItemResult, LineProblem, LineSplitter, Outcome, ResultSet};
pub use schedule::PollSchedule;
pub use status::{BatchSnapshot, BatchStatus, RequestCounts, ResultFiles};
