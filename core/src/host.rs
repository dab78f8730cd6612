//! What the drivers in [`crate::client`] need from the outside world. A front end implements
//! [`Host`] once (JavaScript `fetch` and timers in the npm package and the Worker); tests
//! implement it with a fake clock. The core itself never touches a socket or a clock.

use crate::error::AnswerProblem;
use crate::http::{HttpRequest, ResponseHead};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why a request got no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchError {
    /// The connection failed; the host's message (`fetch failed`, `ECONNREFUSED`).
    Network(String),
    /// No answer within the timeout the driver asked for.
    Timeout,
}

/// Why a body could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BodyError {
    /// Reading failed midway (connection lost).
    Read(String),
    /// The body is not JSON; the first characters, for the message.
    NotJson(String),
}

/// A response as hosts provide it. JavaScript test doubles may lack `status`,
/// `statusText`, `headers`, `json()` or `text()`; a host fills the gaps (a missing `text()`
/// reads as "", a missing `json()` parses `text()`).
#[allow(async_fn_in_trait)] // Hosts are single-threaded (JS, workerd): no `Send` bound wanted.
pub trait UpstreamResponse {
    fn head(&self) -> ResponseHead;
    /// A response header (case-insensitive), when the response has headers.
    fn header(&self, name: &str) -> Option<String>;
    async fn json(self) -> Result<Value, BodyError>;
    async fn text(self) -> Result<String, BodyError>;

    /// The JSON body, read straight into the provider's answer type `T` where a host can
    /// (no `Value` built and walked again: issue 10); [`UpstreamResponse::json`] otherwise.
    async fn json_answer<T: DeserializeOwned>(self) -> Result<Answer<T>, BodyError>
    where
        Self: Sized,
    {
        self.json().await.map(Answer::Json)
    }
}

/// A JSON answer body: already the provider's type, or JSON still to be read into it.
#[derive(Debug)]
pub enum Answer<T> {
    Typed(T),
    Json(Value),
}

impl<T: DeserializeOwned> Answer<T> {
    /// The answer as `T`; JSON that is not one says why, as serde words it.
    pub fn into_typed(self) -> Result<T, AnswerProblem> {
        match self {
            Answer::Typed(typed) => Ok(typed),
            Answer::Json(json) => {
                serde_json::from_value(json).map_err(|e| AnswerProblem::Unreadable {
                    detail: e.to_string(),
                })
            }
        }
    }
}

/// Log levels of the contract's `Logger`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

/// The outside world, injected.
#[allow(async_fn_in_trait)] // Hosts are single-threaded (JS, workerd): no `Send` bound wanted.
pub trait Host {
    type Response: UpstreamResponse;

    /// Sends `request`; gives up with [`FetchError::Timeout`] after `timeout_ms`.
    async fn fetch(
        &self,
        request: &HttpRequest,
        timeout_ms: Option<u64>,
    ) -> Result<Self::Response, FetchError>;
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> f64;
    async fn sleep(&self, ms: f64);
    /// A number in `[0, 1)`, for retry jitter.
    fn random(&self) -> f64;
    /// A log line with a JSON object of details. Never given a secret.
    fn log(&self, level: Level, message: &str, meta: Value);
    /// Text from outside — an upstream error body, a connection error, a result item's
    /// error — as it may be kept and shown. A host that holds secrets takes them out here,
    /// where the text enters, rather than by rewriting whole stored values later (which
    /// would corrupt them). The default keeps it as it is, as the reference does.
    fn admit(&self, text: String) -> String {
        text
    }
}
