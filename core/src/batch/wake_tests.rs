//! A [`Wake`] says when a job falls due without the job: what the Worker's cron decides from.

use super::*;
use crate::batch::durable::{PAST_WINDOW_MS, RECONCILE_AFTER_MS};
use crate::batch::{
    Action, BatchJob, BatchKind, BatchSnapshot, BatchStatus, Policy, PollResult, RequestCounts,
    ResultFiles,
};
use crate::error::{Op, Operation, Provider, StatusError};
use crate::openai::batches::BatchEndpoint;

const DAY: f64 = 86_400_000.0;

fn schedule() -> PollSchedule {
    PollSchedule {
        poll_interval_ms: 10_000.0,
        max_poll_interval_ms: 120_000.0,
        timeout_ms: DAY,
    }
}

fn new_job(rules: Policy) -> BatchJob {
    let kind = BatchKind::OpenAI {
        endpoint: BatchEndpoint::ChatCompletions,
    };
    BatchJob::new(kind, rules, schedule(), 1_000.0)
}

fn snapshot(status: BatchStatus) -> BatchSnapshot {
    BatchSnapshot {
        id: "batch_1".into(),
        status,
        upstream_status: status.as_str().into(),
        counts: RequestCounts::default(),
        files: ResultFiles {
            output_file_id: status.is_terminal().then(|| "file-out".into()),
            ..Default::default()
        },
        first_error: None,
    }
}

fn polling(rules: Policy, at: f64) -> BatchJob {
    let mut job = new_job(rules);
    job.on_uploaded("file-in".into());
    job.on_created(snapshot(BatchStatus::Validating), at);
    job
}

#[test]
fn each_stage_wakes_as_the_machine_steps() {
    // An intent (the create has not answered): the lost-create lookup, ten minutes on.
    let intent = new_job(Policy::Durable);
    let wake = intent.wake();
    assert_eq!(
        wake,
        Wake {
            at: Some(1_000.0 + RECONCILE_AFTER_MS),
            grid: None
        }
    );
    assert!(!wake.is_due(0.0, 1_000.0 + RECONCILE_AFTER_MS - 1.0));
    assert!(wake.is_due(0.0, 1_000.0 + RECONCILE_AFTER_MS));
    // The package's jobs never look for lost creates.
    assert_eq!(new_job(Policy::Reference).wake(), Wake::default());

    // Polling: the grid from creation, and the cancel past the window.
    let mut job = polling(Policy::Durable, 5_000.0);
    let wake = job.wake();
    assert_eq!(wake.at, Some(5_000.0 + DAY + PAST_WINDOW_MS));
    assert_eq!(
        wake.grid.map(|g| (g.anchor_ms, g.polls)),
        Some((5_000.0, 0))
    );
    assert!(!wake.is_due(5_000.0, 14_999.0));
    assert!(wake.is_due(5_000.0, 15_000.0));
    assert_eq!(polling(Policy::Reference, 5_000.0).wake().at, None);

    // A failed poll: the retry time alone.
    let rejected = PollResult::Rejected(StatusError {
        op: Op::new(Provider::OpenAI, Operation::BatchPoll),
        status: Some(503),
        status_text: None,
        body: String::new(),
        retry_after_ms: None,
    });
    job.on_poll(60_000.0, rejected);
    let retry_at = job.trouble().unwrap().retry_at_ms;
    assert_eq!(
        job.wake(),
        Wake {
            at: Some(retry_at),
            grid: None
        }
    );

    // Ended upstream: collect at once, from any clock; then never again.
    job.on_poll(
        retry_at,
        PollResult::Snapshot(snapshot(BatchStatus::Completed)),
    );
    assert_eq!(
        job.wake(),
        Wake {
            at: Some(0.0),
            grid: None
        }
    );
    assert!(job.wake().is_due(0.0, 1.0));
    job.on_collected();
    assert_eq!(job.wake(), Wake::default());
    assert!(!job.wake().is_due(0.0, 1e15));
}

#[test]
fn due_and_wake_agree_along_a_lifecycle() {
    // `due` is defined through `wake`; this pins that the action it then asks for is a real
    // step at every minute of a long poll, and nothing when the wake says so.
    let mut job = polling(Policy::Durable, 0.0);
    let mut polls = 0;
    for minute in 1..3_000 {
        let (since, now) = ((minute - 1) as f64 * 60_000.0, minute as f64 * 60_000.0);
        let due = job.due(since, now);
        assert_eq!(
            due.is_some(),
            job.wake().is_due(since, now),
            "minute {minute}"
        );
        if matches!(due, Some(Action::Poll { .. })) {
            polls += 1;
            job.on_poll(now, PollResult::Snapshot(snapshot(BatchStatus::InProgress)));
        } else if let Some(Action::Cancel { .. }) = due {
            assert!(now >= DAY + PAST_WINDOW_MS);
            break;
        }
    }
    // 10 s, 15 s, … then every 120 s: every run for the first minutes, then every other one.
    assert!((890..=910).contains(&polls), "{polls}");
}

#[test]
fn the_next_grid_point_is_where_the_grid_falls_due() {
    let grid = Grid {
        anchor_ms: 1_000.0,
        polls: 0,
        schedule: schedule(),
    };
    // 10, 15, 22.5, 33.75, 50.625, 75.9375, 113.90625, then 120 s for ever.
    let points = [
        11_000.0, 26_000.0, 48_500.0, 82_250.0, 132_875.0, 208_812.5, 322_718.75, 442_718.75,
        562_718.75,
    ];
    assert_eq!(grid.next_after(0.0), 11_000.0);
    for pair in points.windows(2) {
        assert_eq!(grid.next_after(pair[0]), pair[1]);
        assert_eq!(grid.next_after(pair[1] - 0.5), pair[1]);
        assert!(grid.fell_due(pair[1] - 0.5, pair[1]));
        assert!(!grid.fell_due(pair[0], pair[1] - 0.5));
    }
    // For any window, "a point fell due" is "the next point after its start is inside it".
    let mut t = 900.0;
    while t < 2_000_000.0 {
        for width in [1.0, 9_999.0, 60_000.0, 150_000.0] {
            assert_eq!(
                grid.fell_due(t, t + width),
                grid.next_after(t) <= t + width,
                "{t} {width}"
            );
        }
        t += 7_919.0;
    }
    let wake = Wake {
        at: Some(50_000.0),
        grid: Some(grid),
    };
    assert_eq!(wake.due_at(20_000.0), Some(26_000.0));
    assert_eq!(wake.due_at(40_000.0), Some(48_500.0));
    assert_eq!(wake.due_at(49_000.0), Some(50_000.0));
    assert_eq!(Wake::default().due_at(0.0), None);
}

#[test]
fn a_wake_is_small_and_reads_back() {
    let mut job = polling(Policy::Durable, 1_764_000_000_000.0);
    for i in 1..=40 {
        let now = 1_764_000_000_000.0 + i as f64 * 60_000.0;
        job.on_poll(now, PollResult::Snapshot(snapshot(BatchStatus::InProgress)));
    }
    let wake = job.wake();
    let text = serde_json::to_string(&wake).unwrap();
    // The Worker keeps it in KV key metadata (1,024 bytes at most, with the provider).
    assert!(text.len() < 300, "{text}");
    assert_eq!(serde_json::from_str::<Wake>(&text).unwrap(), wake);
    assert_eq!(serde_json::from_str::<Wake>("{}").unwrap(), Wake::default());
}
