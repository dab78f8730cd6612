use super::*;
use crate::batch::{BatchKind, Policy, PollSchedule};
use crate::client::fake_host::{FakeHost, Reply};
use crate::http::{ApiKey, Body};
use crate::message::{BatchChatRequest, Message, Role};
use crate::openai::{batches::BatchEndpoint, OpenAIConfig};
use futures_executor::block_on;
use serde_json::{json, Value};
use std::cell::RefCell;

fn api() -> BatchApi {
    BatchApi::OpenAI {
        cfg: OpenAIConfig::new(ApiKey::new("sk-test"), "gpt-4o"),
        endpoint: BatchEndpoint::ChatCompletions,
        dimensions: None,
    }
}

fn job() -> BatchJob {
    let schedule = PollSchedule {
        poll_interval_ms: 100.0,
        max_poll_interval_ms: 200.0,
        timeout_ms: 10_000.0,
    };
    BatchJob::new(
        BatchKind::OpenAI {
            endpoint: BatchEndpoint::ChatCompletions,
        },
        Policy::Reference,
        schedule,
        0.0,
    )
}

fn requests(ids: &[&str]) -> Vec<BatchChatRequest> {
    ids.iter()
        .map(|id| BatchChatRequest {
            id: id.to_string(),
            messages: vec![Message::new(Role::User, format!("json {id}"))],
        })
        .collect()
}

fn batch(status: &str) -> Reply {
    Reply::json(
        200,
        json!({"id": "batch_1", "status": status, "output_file_id": "file-out",
        "request_counts": {"total": 3, "completed": 2, "failed": 1}}),
    )
}

fn line(id: &str, content: &str) -> String {
    json!({"custom_id": id, "response": {"status_code": 200, "body": {
        "choices": [{"message": {"content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1}}}})
    .to_string()
}

fn lifecycle_replies(output: String) -> Vec<Reply> {
    vec![
        Reply::json(200, json!({"id": "file-in", "object": "file"})),
        Reply::json(200, json!({"id": "batch_1", "status": "validating"})),
        batch("in_progress"),
        Reply::status(503, ""),
        batch("completed"),
        Reply::status(200, &output),
    ]
}

#[test]
fn a_full_lifecycle_returns_results_in_input_order() {
    let output = [
        line("c", "{\"n\":3}"),
        line("a", "{\"n\":1}"),
        line("b", "not json"),
    ]
    .join("\n");
    let host = FakeHost::new(lifecycle_replies(output));
    let api = api();
    let driver = BatchDriver::new(&host, &api, CallOptions::default());
    let reqs = requests(&["a", "b", "c", "d"]);
    let created = RefCell::new(vec![]);
    let mut job = job();
    let (outcome, results) = block_on(driver.run(&mut job, BatchInput::Chat(&reqs), |id| {
        created.borrow_mut().push(id.to_string())
    }))
    .unwrap();
    let out = results.in_order(reqs.iter().map(|r| r.id.as_str()), outcome);
    assert_eq!(
        out.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["a", "b", "c", "d"]
    );
    assert_eq!(out[0].response, json!({"n": 1}));
    assert_eq!(out[1].error.as_deref(), Some("Invalid JSON: not json"));
    assert_eq!(
        out[3].error.as_deref(),
        Some("No result returned from batch")
    );
    assert_eq!(*created.borrow(), ["batch_1"]);

    let sent = host.sent();
    let urls: Vec<&str> = sent.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://api.openai.com/v1/files",
            "https://api.openai.com/v1/batches",
            "https://api.openai.com/v1/batches/batch_1",
            "https://api.openai.com/v1/batches/batch_1",
            "https://api.openai.com/v1/batches/batch_1",
            "https://api.openai.com/v1/files/file-out/content",
        ]
    );
    let Body::Multipart(form) = &sent[0].body else {
        panic!()
    };
    assert_eq!(form.file.content.lines().count(), 4);
    // The reference's schedule: wait 100, 150, then the cap of 200.
    assert_eq!(host.sleeps(), [100.0, 150.0, 200.0]);
    let logs = host.log_messages();
    for expected in [
        "Batch created",
        "Polling batch",
        "Transient poll error",
        "Batch completed",
        "Batch item returned invalid JSON",
    ] {
        assert!(
            logs.iter().any(|l| l == expected),
            "missing log {expected:?} in {logs:?}"
        );
    }
    let (_, _, meta) = host
        .logs()
        .into_iter()
        .find(|(_, m, _)| m == "Polling batch")
        .unwrap();
    assert_eq!(meta["batchId"], "batch_1");
    assert_eq!(meta["status"], "in_progress");
    assert!(meta["elapsedMs"].is_number());
}

#[test]
fn a_resumed_batch_skips_upload_and_create_and_the_callback() {
    let host = FakeHost::new(vec![
        batch("completed"),
        Reply::status(200, &line("a", "{}")),
    ]);
    let api = api();
    let driver = BatchDriver::new(&host, &api, CallOptions::default());
    let reqs = requests(&["a"]);
    let schedule = PollSchedule {
        poll_interval_ms: 0.0,
        ..PollSchedule::default()
    };
    let mut job = BatchJob::resume(
        job().kind(),
        Policy::Reference,
        schedule,
        "batch_1".into(),
        host.now_ms(),
    );
    let mut called = false;
    let (outcome, results) =
        block_on(driver.run(&mut job, BatchInput::Chat(&reqs), |_| called = true)).unwrap();
    assert!(!called);
    assert_eq!(outcome, Outcome::Completed);
    assert_eq!(results.len(), 1);
    assert_eq!(
        host.sent()[0].url,
        "https://api.openai.com/v1/batches/batch_1"
    );
    assert!(host.sleeps().iter().all(|&s| s == 0.0));
}

#[test]
fn upload_and_download_failures_read_as_the_contract() {
    let host = FakeHost::new(vec![Reply::status(500, "")]);
    let api = api();
    let driver = BatchDriver::new(&host, &api, CallOptions::default());
    let reqs = requests(&["a", "b"]);
    let err = block_on(driver.run(&mut job(), BatchInput::Chat(&reqs), |_| {})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "OpenAI file upload error: 500 Internal Server Error"
    );

    let mut replies = lifecycle_replies(String::new());
    replies.pop();
    replies.push(Reply::status(404, ""));
    let host = FakeHost::new(replies);
    let driver = BatchDriver::new(&host, &api, CallOptions::default());
    let err = block_on(driver.run(&mut job(), BatchInput::Chat(&reqs), |_| {})).unwrap_err();
    assert_eq!(err.to_string(), "OpenAI file download error: 404 Not Found");
}

#[test]
fn error_file_lines_and_unreadable_lines_are_logged_not_fatal() {
    let host = FakeHost::new(vec![]);
    let api = api();
    let driver = BatchDriver::new(&host, &api, CallOptions::default());
    let errored = json!({"custom_id": "x", "response": null, "error": {"code": "batch_expired", "message": "late"}}).to_string();
    let item = driver.take_line(Ok(&errored)).unwrap();
    assert_eq!(item.result.error.as_deref(), Some("batch_expired: late"));
    assert!(driver.take_line(Ok("{garbage")).is_none());
    let logs = host.logs();
    assert_eq!(logs[0].1, "Batch item errored");
    assert_eq!(
        logs[0].2,
        json!({"customId": "x", "error": "batch_expired: late"})
    );
    assert_eq!(logs[1].1, "Batch result line unreadable");
    assert_eq!(logs[1].2["line"], Value::from("{garbage"));
}
