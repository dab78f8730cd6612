//! Typed errors. Each variant keeps what a caller needs to decide (status, provider,
//! retry hint); `Display` is the contract's exact message, which the front ends throw as a
//! JavaScript `Error` or wrap in their HTTP JSON error. `Error` is serialisable because a
//! failed batch keeps its error in the state the Worker stores.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The upstream service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    OpenAI,
    Anthropic,
    Ollama,
}

impl Provider {
    pub const ALL: [Provider; 3] = [Provider::OpenAI, Provider::Anthropic, Provider::Ollama];

    /// The lower-case name used in configuration (`"openai"`, …).
    pub fn id(self) -> &'static str {
        match self {
            Provider::OpenAI => "openai",
            Provider::Anthropic => "anthropic",
            Provider::Ollama => "ollama",
        }
    }

    /// The provider called `id` in configuration.
    pub fn from_id(id: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.id() == id)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Provider::OpenAI => "OpenAI",
            Provider::Anthropic => "Anthropic",
            Provider::Ollama => "Ollama",
        })
    }
}

/// What was being done when an error happened. It picks the message prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    Chat,
    Embedding,
    FileUpload,
    BatchCreate,
    BatchPoll,
    BatchCancel,
    ResultsDownload,
    LlmHealth,
    EmbeddingHealth,
}

/// A provider and an operation: where an error comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Op {
    pub provider: Provider,
    pub operation: Operation,
}

impl Op {
    pub const fn new(provider: Provider, operation: Operation) -> Self {
        Op {
            provider,
            operation,
        }
    }

    /// Whether a non-OK message carries the body after ` — ` even when it is empty,
    /// as the reference's chat and health messages do.
    fn always_shows_body(self) -> bool {
        matches!(self.operation, Operation::Chat | Operation::Embedding)
            || (self.provider != Provider::Ollama
                && matches!(
                    self.operation,
                    Operation::LlmHealth | Operation::EmbeddingHealth
                ))
    }

    /// Ollama's health message is only status and status text, as in the reference.
    fn shows_body(self) -> bool {
        !(self.provider == Provider::Ollama
            && matches!(
                self.operation,
                Operation::LlmHealth | Operation::EmbeddingHealth
            ))
    }
}

/// The message prefix, e.g. `OpenAI chat error`, `OpenAI file upload error`.
impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.provider;
        match (self.operation, p) {
            (Operation::Chat, _) => write!(f, "{p} chat error"),
            (Operation::Embedding, _) => write!(f, "{p} embedding error"),
            (Operation::FileUpload, _) => write!(f, "{p} file upload error"),
            (Operation::BatchCreate, _) => write!(f, "{p} batch create error"),
            (Operation::BatchPoll, _) => write!(f, "{p} batch poll error"),
            (Operation::BatchCancel, _) => write!(f, "{p} batch cancel error"),
            (Operation::ResultsDownload, Provider::OpenAI) => {
                write!(f, "OpenAI file download error")
            }
            (Operation::ResultsDownload, _) => write!(f, "{p} batch results error"),
            (Operation::LlmHealth | Operation::EmbeddingHealth, Provider::Ollama) => {
                write!(f, "Ollama health check failed")
            }
            (Operation::LlmHealth, _) => write!(f, "{p} LLM health check failed"),
            (Operation::EmbeddingHealth, _) => write!(f, "{p} embedding health check failed"),
        }
    }
}

/// A non-OK answer from upstream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusError {
    pub op: Op,
    /// `None` only when a JavaScript test double left `status` out.
    pub status: Option<u16>,
    pub status_text: Option<String>,
    /// The response body as text ("" when it could not be read).
    pub body: String,
    /// How long upstream asked us to wait (`retry-after-ms` / `retry-after`).
    pub retry_after_ms: Option<u64>,
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `${status} ${statusText}` as JavaScript prints it, `undefined` included.
        let status = self
            .status
            .map_or_else(|| "undefined".to_string(), |s| s.to_string());
        let text = self.status_text.as_deref().unwrap_or("undefined");
        write!(f, "{}: {status} {text}", self.op)?;
        if self.op.always_shows_body() || (self.op.shows_body() && !self.body.is_empty()) {
            write!(f, " — {}", self.body)?;
        }
        Ok(())
    }
}

/// Why an OK answer could not be used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnswerProblem {
    /// No `choices` (OpenAI) / no `content` blocks (Anthropic) / no `message` (Ollama).
    NoChoices,
    /// A choice without text content.
    NoContent,
    /// The model stopped at the token limit; `field` is the provider's name for the reason.
    Truncated { field: String, reason: String },
    /// The model declined to answer.
    Refused { refusal: String },
    /// The body is not the JSON the API documents.
    Unreadable { detail: String },
    /// The server is up but does not have the model (Ollama: not pulled).
    ModelMissing {
        model: String,
        available: Vec<String>,
    },
}

impl fmt::Display for AnswerProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnswerProblem::NoChoices => f.write_str("response has no choices"),
            AnswerProblem::NoContent => f.write_str("response has no message content"),
            AnswerProblem::Truncated { field, reason } => {
                write!(f, "response truncated ({field}: {reason})")
            }
            AnswerProblem::Refused { refusal } => write!(f, "the model refused: {refusal}"),
            AnswerProblem::Unreadable { detail } => write!(f, "unreadable response: {detail}"),
            AnswerProblem::ModelMissing { model, available } => {
                write!(
                    f,
                    "model {model:?} is not pulled (available: {})",
                    available.join(", ")
                )
            }
        }
    }
}

/// Why a batch ended without results to return.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BatchFailure {
    /// Polling failed `count` times in a row.
    PollErrors { count: u32, message: String },
    /// Upstream reports `failed`, `cancelled` or (with nothing to collect) `expired`.
    Ended {
        status: String,
        detail: Option<String>,
    },
    /// The batch deadline (`timeoutMs`) passed.
    TimedOut { after_ms: u64 },
    /// Completed, but there is no file to read results from.
    NoOutputFile,
    /// The Worker: polls or downloads failed without a break for `after_ms`.
    Unreachable {
        after_ms: u64,
        attempts: u32,
        message: String,
    },
    /// The Worker cancelled a batch upstream kept open past its window, and upstream did
    /// not end it either.
    NeverEnded { after_ms: u64 },
    /// The Worker: a create whose answer was lost made no batch upstream.
    NotCreated { detail: String },
}

/// Every way an edge-llm call can fail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Error {
    /// Upstream answered with a non-OK status.
    #[error("{0}")]
    Status(StatusError),
    /// No answer: the connection failed. The message is the host's own (`fetch failed`,
    /// `ECONNREFUSED`), passed through as the reference does.
    #[error("{message}")]
    Network { op: Op, message: String },
    /// No answer within `requestTimeoutMs`.
    #[error("{op}: request timed out after {after_ms}ms")]
    Timeout { op: Op, after_ms: u64 },
    /// JSON mode was asked for, and the content is not JSON.
    #[error("LLM returned invalid JSON: {snippet}")]
    InvalidJson { op: Op, snippet: String },
    /// An OK answer that cannot be used (no choices, a refusal, a truncated answer).
    #[error("{op}: {problem}")]
    BadAnswer { op: Op, problem: AnswerProblem },
    /// The batch cannot return results.
    #[error("{}", batch_message(*.provider, .failure))]
    Batch {
        provider: Provider,
        failure: BatchFailure,
    },
    /// Input the provider would reject, caught before anything is sent.
    #[error("{message}")]
    InvalidInput { provider: Provider, message: String },
}

fn batch_message(provider: Provider, failure: &BatchFailure) -> String {
    match failure {
        BatchFailure::PollErrors { count, message } => {
            format!("{provider} batch poll failed after {count} consecutive errors: {message}")
        }
        BatchFailure::Ended {
            status,
            detail: Some(detail),
        } => {
            format!("{provider} batch {status}: {detail}")
        }
        BatchFailure::Ended {
            status,
            detail: None,
        } => format!("{provider} batch {status}"),
        BatchFailure::TimedOut { after_ms } => {
            format!("{provider} batch timed out after {after_ms}ms")
        }
        // The field that should have named the results: OpenAI's output file, Anthropic's URL.
        BatchFailure::NoOutputFile if provider == Provider::Anthropic => {
            format!("{provider} batch ended but no results_url")
        }
        BatchFailure::NoOutputFile => format!("{provider} batch completed but no output_file_id"),
        BatchFailure::Unreachable {
            after_ms,
            attempts,
            message,
        } => format!(
            "{provider} batch: polls failed without a break for {} ({attempts} attempts): {message}",
            duration(*after_ms)
        ),
        BatchFailure::NeverEnded { after_ms } => format!(
            "{provider} batch still open {} after creation, though cancelled past its 24h window",
            duration(*after_ms)
        ),
        BatchFailure::NotCreated { detail } => {
            format!("{provider} batch was not created upstream: {detail}")
        }
    }
}

/// `6h`, `6h 22min`, `45min`, `30s`.
fn duration(ms: u64) -> String {
    let (hours, minutes) = (ms / 3_600_000, ms % 3_600_000 / 60_000);
    match (hours, minutes) {
        (0, 0) => format!("{}s", ms / 1000),
        (0, m) => format!("{m}min"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h {m}min"),
    }
}

impl Error {
    /// The provider the error comes from.
    pub fn provider(&self) -> Provider {
        match self {
            Error::Status(e) => e.op.provider,
            Error::Network { op, .. }
            | Error::Timeout { op, .. }
            | Error::InvalidJson { op, .. }
            | Error::BadAnswer { op, .. } => op.provider,
            Error::Batch { provider, .. } | Error::InvalidInput { provider, .. } => *provider,
        }
    }

    /// The upstream HTTP status, when upstream answered with one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status(e) => e.status,
            _ => None,
        }
    }

    /// Whether trying the same call again may succeed: no answer, or 408/409/429/5xx.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Network { .. } | Error::Timeout { .. } => true,
            Error::Status(e) => e.status.is_some_and(is_retryable_status),
            _ => false,
        }
    }

    /// How long upstream asked us to wait before trying again.
    pub fn retry_after_ms(&self) -> Option<u64> {
        match self {
            Error::Status(e) => e.retry_after_ms,
            _ => None,
        }
    }
}

/// The statuses worth retrying, as the OpenAI and Anthropic SDKs do.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || status >= 500
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
