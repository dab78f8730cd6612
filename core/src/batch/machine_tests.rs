use super::*;
use crate::batch::status::ResultFiles;
use crate::error::{Op, Operation, StatusError};
use crate::openai::batches::BatchEndpoint;

fn schedule() -> PollSchedule {
    PollSchedule {
        poll_interval_ms: 10.0,
        max_poll_interval_ms: 40.0,
        timeout_ms: 1_000.0,
    }
}

fn openai(policy: Policy) -> BatchJob {
    BatchJob::new(
        BatchKind::OpenAI {
            endpoint: BatchEndpoint::ChatCompletions,
        },
        policy,
        schedule(),
        0.0,
    )
}

fn snapshot(status: BatchStatus, files: ResultFiles) -> BatchSnapshot {
    BatchSnapshot {
        id: "batch_1".into(),
        status,
        upstream_status: status.as_str().into(),
        counts: RequestCounts {
            total: 2,
            completed: 1,
            failed: 0,
        },
        files,
        first_error: None,
    }
}

fn output_file() -> ResultFiles {
    ResultFiles {
        output_file_id: Some("file-out".into()),
        ..Default::default()
    }
}

fn rejected(status: Option<u16>) -> PollResult {
    PollResult::Rejected(StatusError {
        op: Op::new(Provider::OpenAI, Operation::BatchPoll),
        status,
        status_text: Some("Err".into()),
        body: String::new(),
        retry_after_ms: None,
    })
}

/// A created job polling from t = 0.
fn polling(policy: Policy) -> BatchJob {
    let mut job = openai(policy);
    job.on_uploaded("file-in".into());
    job.on_created(
        snapshot(BatchStatus::Validating, ResultFiles::default()),
        0.0,
    );
    job
}

fn error_message(job: &BatchJob) -> String {
    match job.next_action(f64::MAX) {
        Action::Failed(e) => e.to_string(),
        other => panic!("not failed: {other:?}"),
    }
}

#[test]
fn a_new_openai_batch_uploads_then_creates_then_polls() {
    let mut job = openai(Policy::Reference);
    assert_eq!(job.next_action(0.0), Action::Upload);
    job.on_uploaded("file-in".into());
    assert_eq!(
        job.next_action(0.0),
        Action::Create {
            input_file_id: Some("file-in")
        }
    );
    job.on_created(
        snapshot(BatchStatus::Validating, ResultFiles::default()),
        100.0,
    );
    assert_eq!(job.batch_id(), Some("batch_1"));
    assert_eq!(job.next_action(105.0), Action::Sleep { until_ms: 110.0 });
    assert_eq!(
        job.next_action(110.0),
        Action::Poll {
            batch_id: "batch_1"
        }
    );
}

#[test]
fn an_anthropic_batch_starts_at_create() {
    let job = BatchJob::new(BatchKind::Anthropic, Policy::Reference, schedule(), 0.0);
    assert_eq!(
        job.next_action(0.0),
        Action::Create {
            input_file_id: None
        }
    );
}

#[test]
fn waits_follow_the_reference_schedule() {
    let mut job = polling(Policy::Reference);
    let mut now = 0.0;
    let mut waits = vec![];
    for _ in 0..6 {
        let Action::Sleep { until_ms } = job.next_action(now) else {
            panic!()
        };
        waits.push(until_ms - now);
        now = until_ms;
        job.on_poll(
            now,
            PollResult::Snapshot(snapshot(BatchStatus::InProgress, ResultFiles::default())),
        );
    }
    assert_eq!(waits, [10.0, 15.0, 22.5, 33.75, 40.0, 40.0]);
}

#[test]
fn completion_with_files_collects_then_finishes() {
    let mut job = polling(Policy::Reference);
    let report = job.on_poll(
        10.0,
        PollResult::Snapshot(snapshot(BatchStatus::Completed, output_file())),
    );
    assert!(report.changed);
    assert_eq!(
        job.next_action(10.0),
        Action::Collect {
            batch_id: "batch_1",
            files: &output_file(),
            outcome: Outcome::Completed
        }
    );
    assert_eq!(job.status(), BatchStatus::Finalizing);
    job.on_collected();
    assert_eq!(
        job.next_action(10.0),
        Action::Finished {
            batch_id: "batch_1",
            outcome: Outcome::Completed
        }
    );
    assert_eq!(job.status(), BatchStatus::Completed);
}

#[test]
fn completion_without_files_is_the_reference_error() {
    let mut job = polling(Policy::Reference);
    job.on_poll(
        10.0,
        PollResult::Snapshot(snapshot(BatchStatus::Completed, ResultFiles::default())),
    );
    assert_eq!(
        error_message(&job),
        "OpenAI batch completed but no output_file_id"
    );
}

#[test]
fn an_error_file_alone_is_enough_to_collect() {
    let mut job = polling(Policy::Reference);
    let files = ResultFiles {
        error_file_id: Some("file-err".into()),
        ..Default::default()
    };
    job.on_poll(
        10.0,
        PollResult::Snapshot(snapshot(BatchStatus::Completed, files)),
    );
    assert!(matches!(job.next_action(10.0), Action::Collect { .. }));
}

#[test]
fn three_5xx_in_a_row_pass_and_the_fourth_fails() {
    let mut job = polling(Policy::Reference);
    for n in 1..=3 {
        let report = job.on_poll(10.0 * n as f64, rejected(Some(503)));
        assert_eq!(
            report.note,
            PollNote::TransientStatus {
                status: 503,
                consecutive_errors: n
            }
        );
        assert!(
            report.changed,
            "the error streak is state the cron must keep"
        );
    }
    job.on_poll(40.0, rejected(Some(503)));
    assert_eq!(error_message(&job), "OpenAI batch poll error: 503 Err");
}

#[test]
fn an_ok_poll_resets_the_error_streak() {
    let mut job = polling(Policy::Reference);
    job.on_poll(10.0, rejected(Some(500)));
    job.on_poll(20.0, PollResult::Unreachable("ECONNRESET".into()));
    job.on_poll(
        30.0,
        PollResult::Snapshot(snapshot(BatchStatus::InProgress, ResultFiles::default())),
    );
    assert_eq!(job.consecutive_errors, 0);
    for n in 1..=3 {
        let report = job.on_poll(
            30.0 + n as f64,
            PollResult::Unreachable("ECONNRESET".into()),
        );
        assert!(
            matches!(report.note, PollNote::TransientNetwork { consecutive_errors, .. } if consecutive_errors == n)
        );
    }
    job.on_poll(40.0, PollResult::Unreachable("socket hang up".into()));
    assert_eq!(
        error_message(&job),
        "OpenAI batch poll failed after 4 consecutive errors: socket hang up"
    );
}

#[test]
fn network_errors_and_5xx_share_one_counter() {
    let mut job = polling(Policy::Reference);
    job.on_poll(1.0, PollResult::Unreachable("x".into()));
    job.on_poll(2.0, PollResult::Unreachable("x".into()));
    job.on_poll(3.0, PollResult::Unreachable("x".into()));
    // A 5xx with the counter at 3 is not tolerated any more.
    job.on_poll(4.0, rejected(Some(502)));
    assert_eq!(error_message(&job), "OpenAI batch poll error: 502 Err");
}

#[test]
fn a_4xx_or_a_missing_status_fails_at_once() {
    let mut job = polling(Policy::Reference);
    job.on_poll(10.0, rejected(Some(404)));
    assert_eq!(error_message(&job), "OpenAI batch poll error: 404 Err");
    let mut job = polling(Policy::Reference);
    job.on_poll(10.0, rejected(None));
    assert!(job.is_done());
}

#[test]
fn strict_failed_and_cancelled_throw_with_the_first_error() {
    let mut job = polling(Policy::Reference);
    let mut s = snapshot(BatchStatus::Failed, ResultFiles::default());
    s.first_error = Some("Invalid line 2".into());
    job.on_poll(10.0, PollResult::Snapshot(s));
    assert_eq!(error_message(&job), "OpenAI batch failed: Invalid line 2");
    let mut job = polling(Policy::Reference);
    job.on_poll(
        10.0,
        PollResult::Snapshot(snapshot(BatchStatus::Cancelled, output_file())),
    );
    assert_eq!(error_message(&job), "OpenAI batch cancelled");
}

#[test]
fn strict_expired_collects_partial_results_or_throws_without_files() {
    let mut job = polling(Policy::Reference);
    job.on_poll(
        10.0,
        PollResult::Snapshot(snapshot(BatchStatus::Expired, output_file())),
    );
    assert!(matches!(
        job.next_action(10.0),
        Action::Collect {
            outcome: Outcome::Expired,
            ..
        }
    ));
    let mut job = polling(Policy::Reference);
    job.on_poll(
        10.0,
        PollResult::Snapshot(snapshot(BatchStatus::Expired, ResultFiles::default())),
    );
    assert_eq!(error_message(&job), "OpenAI batch expired");
}

#[test]
fn durable_collects_every_ending_that_has_files() {
    for (status, outcome) in [
        (BatchStatus::Failed, Outcome::Failed),
        (BatchStatus::Cancelled, Outcome::Cancelled),
        (BatchStatus::Expired, Outcome::Expired),
    ] {
        let mut job = polling(Policy::Durable);
        job.on_poll(10.0, PollResult::Snapshot(snapshot(status, output_file())));
        assert!(
            matches!(job.next_action(10.0), Action::Collect { outcome: o, .. } if o == outcome),
            "{status}"
        );
        let mut job = polling(Policy::Durable);
        job.on_poll(
            10.0,
            PollResult::Snapshot(snapshot(status, ResultFiles::default())),
        );
        assert_eq!(
            job.next_action(10.0),
            Action::Finished {
                batch_id: "batch_1",
                outcome
            }
        );
        assert_eq!(job.status(), status);
    }
}

#[test]
fn the_deadline_ends_polling_with_the_reference_message() {
    let mut job = polling(Policy::Reference);
    let mut now = 0.0;
    while !job.is_done() {
        let Action::Sleep { until_ms } = job.next_action(now) else {
            panic!()
        };
        now = until_ms;
        job.on_poll(
            now,
            PollResult::Snapshot(snapshot(BatchStatus::InProgress, ResultFiles::default())),
        );
    }
    assert_eq!(error_message(&job), "OpenAI batch timed out after 1000ms");
    assert!(now <= 1_000.0 && now + 40.0 > 1_000.0, "stopped at {now}");
}

#[test]
fn resuming_polls_from_now_with_a_fresh_deadline() {
    let kind = BatchKind::OpenAI {
        endpoint: BatchEndpoint::ChatCompletions,
    };
    let job = BatchJob::resume(kind, Policy::Reference, schedule(), "batch_9".into(), 500.0);
    assert_eq!(job.next_action(500.0), Action::Sleep { until_ms: 510.0 });
    assert_eq!(job.deadline_ms(), 1_500.0);
}

#[test]
fn a_poll_that_changes_nothing_says_so() {
    let mut job = polling(Policy::Durable);
    let same = || PollResult::Snapshot(snapshot(BatchStatus::InProgress, ResultFiles::default()));
    assert!(job.on_poll(10.0, same()).changed);
    assert!(!job.on_poll(25.0, same()).changed);
    let mut progressed = snapshot(BatchStatus::InProgress, ResultFiles::default());
    progressed.counts.completed = 2;
    assert!(job.on_poll(47.5, PollResult::Snapshot(progressed)).changed);
}

#[test]
fn a_cron_driver_polls_on_the_same_grid_without_recording_each_poll() {
    // Stored job anchored at 0; runs every 30 ms; polls that change nothing are not stored.
    let stored = polling(Policy::Durable);
    // Grid points: 10, 25, 47.5, 81.25, 121.25, 161.25, …
    let due: Vec<bool> = [30.0, 60.0, 90.0, 120.0, 150.0, 180.0]
        .iter()
        .map(|&now| stored.due(now - 30.0, now).is_some())
        .collect();
    assert_eq!(due, [true, true, true, false, true, true]);
    // A change at t = 90 is stored with the polls the grid says happened.
    let mut job = stored.clone();
    job.on_poll(
        90.0,
        PollResult::Snapshot(snapshot(BatchStatus::InProgress, ResultFiles::default())),
    );
    assert_eq!(job.polls, 4);
    assert_eq!(job.next_poll_at(), 130.0);
}

fn download_error(status: u16) -> Error {
    Error::Status(StatusError {
        op: Op::new(Provider::OpenAI, Operation::ResultsDownload),
        status: Some(status),
        status_text: Some("Unavailable".into()),
        body: String::new(),
        retry_after_ms: None,
    })
}

#[test]
fn collect_errors_retry_in_the_worker_and_throw_in_the_package() {
    let mut job = polling(Policy::Durable);
    job.on_poll(
        10.0,
        PollResult::Snapshot(snapshot(BatchStatus::Completed, output_file())),
    );
    job.on_collect_failed(10.0, download_error(503));
    assert_eq!(job.next_action(20.0), Action::Sleep { until_ms: 50.0 });
    assert!(job.due(10.0, 20.0).is_none());
    assert!(matches!(job.due(40.0, 50.0), Some(Action::Collect { .. })));
    assert_eq!(
        job.trouble().unwrap().message,
        "OpenAI file download error: 503 Unavailable"
    );
    job.on_collected();
    assert!(job.trouble().is_none());
    let mut job = polling(Policy::Reference);
    job.on_poll(
        10.0,
        PollResult::Snapshot(snapshot(BatchStatus::Completed, output_file())),
    );
    job.on_collect_failed(10.0, download_error(503));
    assert_eq!(
        error_message(&job),
        "OpenAI file download error: 503 Unavailable"
    );
}

#[test]
fn a_missing_result_file_is_not_retried() {
    let mut job = polling(Policy::Durable);
    job.on_poll(
        10.0,
        PollResult::Snapshot(snapshot(BatchStatus::Completed, output_file())),
    );
    job.on_collect_failed(10.0, download_error(404));
    assert!(job.is_done());
}

#[test]
fn the_job_is_small_and_survives_serde() {
    let job = polling(Policy::Durable);
    let json = serde_json::to_string(&job).unwrap();
    assert!(json.len() < 512, "{} bytes: {json}", json.len());
    assert_eq!(serde_json::from_str::<BatchJob>(&json).unwrap(), job);
}
