use super::*;

fn status(op: Op, status: u16, text: &str, body: &str) -> Error {
    Error::Status(StatusError {
        op,
        status: Some(status),
        status_text: Some(text.into()),
        body: body.into(),
        retry_after_ms: None,
    })
}

const OPENAI_CHAT: Op = Op::new(Provider::OpenAI, Operation::Chat);

#[test]
fn chat_errors_match_the_reference_even_with_an_empty_body() {
    assert_eq!(
        status(OPENAI_CHAT, 500, "Internal Server Error", "").to_string(),
        "OpenAI chat error: 500 Internal Server Error — "
    );
    assert_eq!(
        status(
            Op::new(Provider::Anthropic, Operation::Chat),
            400,
            "Bad Request",
            "{\"x\":1}"
        )
        .to_string(),
        "Anthropic chat error: 400 Bad Request — {\"x\":1}"
    );
}

#[test]
fn batch_step_errors_add_the_body_only_when_there_is_one() {
    let op = Op::new(Provider::OpenAI, Operation::BatchCreate);
    assert_eq!(
        status(op, 500, "Oops", "").to_string(),
        "OpenAI batch create error: 500 Oops"
    );
    assert_eq!(
        status(op, 400, "Bad Request", "no").to_string(),
        "OpenAI batch create error: 400 Bad Request — no"
    );
    let op = Op::new(Provider::OpenAI, Operation::ResultsDownload);
    assert_eq!(
        status(op, 404, "Not Found", "").to_string(),
        "OpenAI file download error: 404 Not Found"
    );
}

#[test]
fn health_messages_match_the_reference() {
    assert_eq!(
        status(
            Op::new(Provider::OpenAI, Operation::LlmHealth),
            401,
            "Unauthorized",
            ""
        )
        .to_string(),
        "OpenAI LLM health check failed: 401 Unauthorized — "
    );
    assert_eq!(
        status(
            Op::new(Provider::Ollama, Operation::LlmHealth),
            500,
            "Down",
            "body"
        )
        .to_string(),
        "Ollama health check failed: 500 Down"
    );
    assert_eq!(
        status(
            Op::new(Provider::OpenAI, Operation::EmbeddingHealth),
            429,
            "Slow",
            "b"
        )
        .to_string(),
        "OpenAI embedding health check failed: 429 Slow — b"
    );
}

#[test]
fn a_missing_status_reads_like_javascript() {
    let e = Error::Status(StatusError {
        op: OPENAI_CHAT,
        status: None,
        status_text: None,
        body: String::new(),
        retry_after_ms: None,
    });
    assert_eq!(e.to_string(), "OpenAI chat error: undefined undefined — ");
}

#[test]
fn batch_failures_read_as_the_contract_says() {
    let b = |failure| {
        Error::Batch {
            provider: Provider::OpenAI,
            failure,
        }
        .to_string()
    };
    assert_eq!(
        b(BatchFailure::PollErrors {
            count: 4,
            message: "ECONNRESET".into()
        }),
        "OpenAI batch poll failed after 4 consecutive errors: ECONNRESET"
    );
    assert_eq!(
        b(BatchFailure::Ended {
            status: "failed".into(),
            detail: Some("bad line".into())
        }),
        "OpenAI batch failed: bad line"
    );
    assert_eq!(
        b(BatchFailure::Ended {
            status: "expired".into(),
            detail: None
        }),
        "OpenAI batch expired"
    );
    assert_eq!(
        b(BatchFailure::TimedOut { after_ms: 5000 }),
        "OpenAI batch timed out after 5000ms"
    );
    assert_eq!(
        b(BatchFailure::NoOutputFile),
        "OpenAI batch completed but no output_file_id"
    );
    let anthropic = Error::Batch {
        provider: Provider::Anthropic,
        failure: BatchFailure::NoOutputFile,
    };
    assert_eq!(
        anthropic.to_string(),
        "Anthropic batch ended but no results_url"
    );
}

#[test]
fn answer_problems_name_the_cause() {
    let e = Error::BadAnswer {
        op: OPENAI_CHAT,
        problem: AnswerProblem::Truncated {
            field: "finish_reason".into(),
            reason: "length".into(),
        },
    };
    assert_eq!(
        e.to_string(),
        "OpenAI chat error: response truncated (finish_reason: length)"
    );
    let e = Error::Timeout {
        op: Op::new(Provider::Ollama, Operation::Chat),
        after_ms: 250,
    };
    assert_eq!(
        e.to_string(),
        "Ollama chat error: request timed out after 250ms"
    );
}

#[test]
fn retryability_follows_status_and_transport() {
    assert!(status(OPENAI_CHAT, 429, "", "").is_retryable());
    assert!(status(OPENAI_CHAT, 503, "", "").is_retryable());
    assert!(status(OPENAI_CHAT, 408, "", "").is_retryable());
    assert!(!status(OPENAI_CHAT, 400, "", "").is_retryable());
    assert!(Error::Network {
        op: OPENAI_CHAT,
        message: "x".into()
    }
    .is_retryable());
    assert!(!Error::InvalidJson {
        op: OPENAI_CHAT,
        snippet: "x".into()
    }
    .is_retryable());
}

#[test]
fn errors_survive_a_round_trip_through_json() {
    let e = status(OPENAI_CHAT, 500, "Oops", "b");
    let back: Error = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
    assert_eq!(back, e);
}
