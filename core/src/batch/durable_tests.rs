//! The Worker's rules (contract §4.1) on the batch machine: upstream is the clock.

use super::*;
use crate::batch::durable::{GIVE_UP_CREATE_MS, RECONCILE_AFTER_MS, TROUBLE_LIMIT_MS};
use crate::batch::reconcile::Reconciled;
use crate::batch::status::ResultFiles;
use crate::error::{Op, Operation, StatusError};
use crate::openai::batches::BatchEndpoint;

const HOUR: f64 = 3_600_000.0;
const DAY: f64 = 24.0 * HOUR;

fn job() -> BatchJob {
    let mut job = BatchJob::new(
        BatchKind::OpenAI {
            endpoint: BatchEndpoint::ChatCompletions,
        },
        Policy::Durable,
        PollSchedule {
            poll_interval_ms: 10_000.0,
            max_poll_interval_ms: 120_000.0,
            timeout_ms: DAY,
        },
        0.0,
    );
    job.on_uploaded("file-in".into());
    job.on_created(snapshot(BatchStatus::Validating), 0.0);
    job
}

fn snapshot(status: BatchStatus) -> BatchSnapshot {
    BatchSnapshot {
        id: "batch_1".into(),
        status,
        upstream_status: status.as_str().into(),
        counts: RequestCounts::default(),
        files: if status.is_terminal() {
            ResultFiles {
                output_file_id: Some("file-out".into()),
                ..Default::default()
            }
        } else {
            ResultFiles::default()
        },
        first_error: None,
    }
}

fn rejected(status: u16, retry_after_ms: Option<u64>) -> PollResult {
    PollResult::Rejected(StatusError {
        op: Op::new(Provider::OpenAI, Operation::BatchPoll),
        status: Some(status),
        status_text: Some("Err".into()),
        body: "{}".into(),
        retry_after_ms,
    })
}

fn failed_message(job: &BatchJob) -> String {
    job.error().expect("failed").to_string()
}

#[test]
fn a_429_is_retried_after_what_upstream_asked_and_shows_as_the_last_error() {
    let mut job = job();
    let report = job.on_poll(60_000.0, rejected(429, Some(300_000)));
    assert!(report.changed);
    assert!(matches!(
        report.note,
        PollNote::Retrying { attempts: 1, .. }
    ));
    let t = job.trouble().unwrap();
    assert_eq!(t.message, "OpenAI batch poll error: 429 Err — {}");
    assert_eq!((t.since_ms, t.retry_at_ms), (60_000.0, 360_000.0));
    assert!(job.due(240_000.0, 300_000.0).is_none());
    assert!(matches!(
        job.due(300_000.0, 360_000.0),
        Some(Action::Poll { .. })
    ));
    job.on_poll(
        360_000.0,
        PollResult::Snapshot(snapshot(BatchStatus::InProgress)),
    );
    assert!(job.trouble().is_none());
}

#[test]
fn network_errors_and_5xx_in_a_row_never_end_it_before_six_hours() {
    let mut job = job();
    let mut now = 60_000.0;
    for i in 0..40 {
        let result = if i % 2 == 0 {
            rejected(503, None)
        } else {
            PollResult::Unreachable("ECONNRESET".into())
        };
        job.on_poll(now, result);
        if now - 60_000.0 < TROUBLE_LIMIT_MS {
            assert!(!job.is_done(), "ended after {i} failures at {now}");
        }
        if job.is_done() {
            break;
        }
        match job.next_action(now) {
            Action::Sleep { until_ms } => now = until_ms,
            other => panic!("{other:?}"),
        }
    }
    let message = failed_message(&job);
    assert!(
        message.starts_with("OpenAI batch: polls failed without a break for 6h"),
        "{message}"
    );
}

#[test]
fn a_revoked_key_is_retried_so_fixing_the_secret_resumes_it() {
    let mut job = job();
    job.on_poll(60_000.0, rejected(401, None));
    job.on_poll(200_000.0, rejected(403, None));
    assert!(!job.is_done());
    job.on_poll(
        500_000.0,
        PollResult::Snapshot(snapshot(BatchStatus::InProgress)),
    );
    assert!(job.trouble().is_none());
}

#[test]
fn a_404_ends_it_the_batch_does_not_exist() {
    let mut job = job();
    job.on_poll(60_000.0, rejected(404, None));
    assert_eq!(
        failed_message(&job),
        "OpenAI batch poll error: 404 Err — {}"
    );
}

#[test]
fn upstream_is_the_clock_past_24_hours() {
    let mut job = job();
    job.on_poll(
        DAY + HOUR,
        PollResult::Snapshot(snapshot(BatchStatus::InProgress)),
    );
    assert!(
        !job.is_done(),
        "the Worker does not end a batch upstream has not ended"
    );
    job.on_poll(
        DAY + 2.0 * HOUR,
        PollResult::Snapshot(snapshot(BatchStatus::Expired)),
    );
    assert!(matches!(
        job.next_action(DAY + 2.0 * HOUR),
        Action::Collect {
            outcome: Outcome::Expired,
            ..
        }
    ));
}

#[test]
fn still_open_six_hours_past_the_window_it_is_cancelled_then_collected() {
    let mut job = job();
    let past = DAY + 6.0 * HOUR;
    assert!(matches!(job.next_action(past - 1.0), Action::Poll { .. }));
    assert_eq!(
        job.due(past - 60_000.0, past),
        Some(Action::Cancel {
            batch_id: "batch_1"
        })
    );
    job.on_cancel_sent(
        past,
        PollResult::Snapshot(snapshot(BatchStatus::Cancelling)),
    );
    assert_eq!(job.cancelled_at_ms(), Some(past));
    assert!(matches!(job.next_action(past + HOUR), Action::Poll { .. }));
    job.on_poll(
        past + HOUR,
        PollResult::Snapshot(snapshot(BatchStatus::Cancelled)),
    );
    assert!(matches!(
        job.next_action(past + HOUR),
        Action::Collect {
            outcome: Outcome::Cancelled,
            ..
        }
    ));
}

#[test]
fn a_failed_cancel_is_tried_again_and_an_upstream_that_never_ends_is_given_up() {
    let mut job = job();
    let past = DAY + 6.0 * HOUR;
    job.on_cancel_sent(past, rejected(500, None));
    assert_eq!(job.cancelled_at_ms(), None);
    let retry = job.trouble().unwrap().retry_at_ms;
    assert_eq!(
        job.next_action(retry),
        Action::Cancel {
            batch_id: "batch_1"
        }
    );
    job.on_cancel_sent(
        retry,
        PollResult::Snapshot(snapshot(BatchStatus::Cancelling)),
    );
    job.on_poll(
        retry + 5.0 * HOUR,
        PollResult::Snapshot(snapshot(BatchStatus::Cancelling)),
    );
    assert!(!job.is_done());
    job.on_poll(
        retry + 6.0 * HOUR,
        PollResult::Snapshot(snapshot(BatchStatus::Cancelling)),
    );
    assert!(
        failed_message(&job).contains("still open"),
        "{}",
        failed_message(&job)
    );
}

fn intent() -> BatchJob {
    BatchJob::new(
        BatchKind::Anthropic,
        Policy::Durable,
        PollSchedule::default(),
        1_000.0,
    )
}

#[test]
fn a_young_create_is_left_alone_and_an_old_one_is_looked_for() {
    let job = intent();
    assert_eq!(job.due(0.0, 1_000.0 + RECONCILE_AFTER_MS - 1.0), None);
    assert_eq!(
        job.due(0.0, 1_000.0 + RECONCILE_AFTER_MS),
        Some(Action::Reconcile { since_ms: 1_000.0 })
    );
    assert_eq!(job.status(), BatchStatus::Validating);
}

#[test]
fn a_found_create_polls_on_with_its_window_from_when_it_began() {
    let mut job = intent();
    let now = 1_000.0 + RECONCILE_AFTER_MS;
    job.on_reconciled(now, Reconciled::Found(snapshot(BatchStatus::InProgress)));
    assert_eq!(job.batch_id(), Some("batch_1"));
    assert_eq!(job.status(), BatchStatus::InProgress);
    assert_eq!(job.elapsed_ms(now), RECONCILE_AFTER_MS);
    assert_eq!(
        job.next_action(now),
        Action::Sleep {
            until_ms: now + 10_000.0
        }
    );
}

#[test]
fn a_create_not_found_is_looked_for_again_then_declared_never_made() {
    let mut job = intent();
    let now = 1_000.0 + RECONCILE_AFTER_MS;
    job.on_reconciled(now, Reconciled::NotFound);
    assert!(!job.is_done());
    assert_eq!(
        job.next_action(now),
        Action::Sleep {
            until_ms: now + 300_000.0
        }
    );
    job.on_reconciled(
        now + 300_000.0,
        Reconciled::Failed("OpenAI batch poll error: 500".into()),
    );
    assert!(!job.is_done(), "a failed lookup proves nothing");
    job.on_reconciled(1_000.0 + GIVE_UP_CREATE_MS, Reconciled::NotFound);
    assert_eq!(
        failed_message(&job),
        "Anthropic batch was not created upstream: the create's answer was lost, and no batch made by it was found upstream"
    );
}

#[test]
fn candidates_not_told_apart_yet_are_waited_for_until_the_window_ends() {
    let mut job = intent();
    let candidates = || {
        let mut a = snapshot(BatchStatus::InProgress);
        a.id = "m1".into();
        let mut b = a.clone();
        b.id = "m2".into();
        Reconciled::Ambiguous(vec![a, b])
    };
    job.on_reconciled(1_000.0 + GIVE_UP_CREATE_MS, candidates());
    assert!(
        !job.is_done(),
        "upstream ends them within its window; their results will tell"
    );
    assert!(job
        .trouble()
        .unwrap()
        .message
        .contains("m1, m2 could be this one"));
    job.on_reconciled(1_000.0 + DAY + 6.0 * HOUR, candidates());
    assert!(
        failed_message(&job).contains("m1, m2 could be this one"),
        "{}",
        failed_message(&job)
    );
}

#[test]
fn records_of_the_previous_format_still_read() {
    let v1 = r#"{"kind":{"api":"openai","endpoint":"chat_completions"},"policy":"keep_partial",
        "schedule":{"pollIntervalMs":10000.0,"maxPollIntervalMs":120000.0,"timeoutMs":86400000.0},
        "stage":{"stage":"poll","batch_id":"batch_1"},"polls":3,"anchor_ms":5.0,"started_ms":1.0,
        "consecutive_errors":2,"progress":{"status":"in_progress","counts":{"total":2,"completed":0,"failed":0}}}"#;
    let job: BatchJob = serde_json::from_str(v1).unwrap();
    assert_eq!(job.rules, Policy::Durable);
    assert_eq!(job.batch_id(), Some("batch_1"));
    let strict = v1.replace("keep_partial", "strict");
    assert_eq!(
        serde_json::from_str::<BatchJob>(&strict).unwrap().rules,
        Policy::Reference
    );
}
