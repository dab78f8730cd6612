//! The JSON error every route answers with: `{error: {type, message}}` and the right status.

use edge_llm_core::lint::LintError;
use edge_llm_core::Error;
use serde_json::json;
use worker::Response;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub kind: &'static str,
    pub message: String,
    /// For 502s: the status upstream answered with.
    pub upstream_status: Option<u16>,
    /// For 405s: the methods the route takes (the `Allow` header HTTP requires).
    pub allow: Option<&'static str>,
    /// For a batch create that may have gone through upstream: the id to follow it by.
    pub batch_id: Option<String>,
}

impl ApiError {
    pub fn new(status: u16, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            message: message.into(),
            upstream_status: None,
            allow: None,
            batch_id: None,
        }
    }

    /// A 400 that names the field. Both may quote the input (a hostile key can be megabytes
    /// long): each is cut to a short excerpt.
    pub fn field(field: &str, problem: impl std::fmt::Display) -> Self {
        let (field, problem) = (excerpt(field, 120), excerpt(&problem.to_string(), 200));
        ApiError::new(400, "invalid_request", format!("{field}: {problem}"))
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::new(404, "not_found", message)
    }

    pub fn method_not_allowed(allow: &'static str) -> Self {
        ApiError {
            allow: Some(allow),
            ..ApiError::new(
                405,
                "method_not_allowed",
                format!("this route only accepts {allow}"),
            )
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError::new(409, "conflict", message)
    }

    /// The gateway's own configuration is wrong (a var names an unknown provider).
    pub fn misconfigured(message: impl Into<String>) -> Self {
        ApiError::new(503, "not_configured", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(500, "internal_error", message)
    }

    /// Upstream failed: 504 for a timeout, 400 for input caught before sending, else 502
    /// with upstream's status and message.
    pub fn upstream(error: &Error) -> Self {
        match error {
            Error::Timeout { .. } => ApiError::new(504, "upstream_timeout", error.to_string()),
            Error::InvalidInput { .. } => ApiError::new(400, "invalid_request", error.to_string()),
            _ => ApiError {
                upstream_status: error.status(),
                ..ApiError::new(502, "upstream_error", error.to_string())
            },
        }
    }

    /// The response, with every known secret scrubbed from the message.
    pub fn into_response(self, redact: impl Fn(&str) -> String) -> Response {
        let mut error = json!({"type": self.kind, "message": redact(&self.message)});
        if let Some(status) = self.upstream_status {
            error["upstreamStatus"] = status.into();
        }
        if let Some(id) = self.batch_id {
            error["batchId"] = id.into();
        }
        let mut response = Response::from_json(&json!({ "error": error }))
            .expect("plain JSON always serialises")
            .with_status(self.status);
        if let Some(allow) = self.allow {
            let _ = response.headers_mut().set("allow", allow);
        }
        response
    }
}

/// The first `max` characters of `text`, with `…` when there was more.
pub fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

impl From<LintError> for ApiError {
    fn from(e: LintError) -> Self {
        ApiError::field(&e.field, e.problem)
    }
}
