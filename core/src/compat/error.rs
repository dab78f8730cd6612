//! OpenAI's error object, `{error: {message, type, param, code}}`, with the HTTP status that
//! goes with it — so the SDKs raise the right typed error (`BadRequestError`,
//! `RateLimitError`, `InternalServerError`, …) and retry exactly when they should.
//!
//! Upstream failures keep their meaning for the client: a request upstream refused (400,
//! 404, 413, 422) keeps its status; a rate limit stays a 429 with upstream's `retry-after`;
//! overload is a 503; credentials upstream refused are the gateway's problem, not the
//! client's, so they become a 502 rather than a 401 the client could not fix.

use crate::error::{Error, StatusError};
use crate::Provider;
use serde_json::{json, Value};

/// An error answer on the compatible routes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompatError {
    pub status: u16,
    /// OpenAI's `type`: `invalid_request_error`, `rate_limit_error`, `server_error`, …
    pub kind: String,
    pub message: String,
    pub param: Option<String>,
    pub code: Option<String>,
    /// How long upstream asked to wait (sent on as `retry-after` / `retry-after-ms`).
    pub retry_after_ms: Option<u64>,
}

/// OpenAI's `type` for a status the gateway itself answers with.
fn kind_of(status: u16) -> &'static str {
    match status {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        s if s >= 500 => "server_error",
        _ => "invalid_request_error",
    }
}

impl CompatError {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        CompatError {
            status,
            kind: kind_of(status).into(),
            message: message.into(),
            param: None,
            code: None,
            retry_after_ms: None,
        }
    }

    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// A 400 about `param`.
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        CompatError::new(400, message)
            .with_param(param)
            .with_code("invalid_value")
    }

    /// A 400 for a required field that is missing.
    pub fn missing(param: &str) -> Self {
        CompatError::new(400, format!("Missing required parameter: '{param}'."))
            .with_param(param)
            .with_code("missing_required_parameter")
    }

    /// A 400 for a field the chosen provider cannot honour without changing the answer.
    pub fn unsupported(param: impl Into<String>, message: impl Into<String>) -> Self {
        CompatError::new(400, message)
            .with_param(param)
            .with_code("unsupported_parameter")
    }

    /// The response body.
    pub fn to_json(&self) -> Value {
        json!({"error": {
            "message": self.message,
            "type": self.kind,
            "param": self.param,
            "code": self.code,
        }})
    }

    /// A failed upstream call, as the client should see it.
    pub fn from_upstream(error: &Error) -> Self {
        let provider = error.provider();
        match error {
            Error::Status(status) => from_status(provider, status),
            Error::Timeout { after_ms, .. } => CompatError::new(
                504,
                format!("{provider} did not answer within {after_ms} ms"),
            )
            .with_code("upstream_timeout"),
            Error::Network { message, .. } => {
                CompatError::new(502, format!("{provider} could not be reached: {message}"))
                    .with_code("upstream_unreachable")
            }
            Error::InvalidInput { message, .. } => CompatError::new(400, message.clone()),
            other => CompatError::new(502, format!("{provider} answered unusably: {other}"))
                .with_code("upstream_bad_answer"),
        }
    }
}

fn from_status(provider: Provider, e: &StatusError) -> CompatError {
    let status = e.status.unwrap_or(502);
    let detail = UpstreamError::read(&e.body);
    let said = format!("{provider} answered {status}: {}", detail.message);
    let mut out = match status {
        400 | 404 | 409 | 413 | 422 => CompatError::new(status, said),
        401 | 403 => CompatError::new(
            502,
            format!(
                "{provider} refused the gateway's credentials ({status}): {}",
                detail.message
            ),
        )
        .with_code("upstream_auth_failed"),
        408 => CompatError::new(504, said).with_code("upstream_timeout"),
        429 => CompatError::new(429, said).with_code("rate_limit_exceeded"),
        // 529 is Anthropic's "overloaded".
        503 | 529 => CompatError::new(503, said).with_code("upstream_overloaded"),
        _ => CompatError::new(502, said).with_code("upstream_error"),
    };
    // OpenAI's own error object says more than the status does (param, code, its type).
    if provider == Provider::OpenAI && matches!(status, 400 | 404 | 409 | 413 | 422 | 429) {
        if let Some(kind) = detail.kind {
            out.kind = kind;
        }
        out.param = detail.param.or(out.param);
        out.code = detail.code.or(out.code);
    }
    if matches!(out.status, 429 | 503) {
        out.retry_after_ms = e.retry_after_ms;
    }
    out
}

/// What a provider's error body says: OpenAI `{error: {message, type, param, code}}`,
/// Anthropic `{type: "error", error: {type, message}}`, Ollama `{error: "…"}`.
#[derive(Debug, Default, PartialEq)]
struct UpstreamError {
    message: String,
    kind: Option<String>,
    param: Option<String>,
    code: Option<String>,
}

impl UpstreamError {
    fn read(body: &str) -> Self {
        let text = |v: &Value| v.as_str().map(str::to_string);
        let parsed: Option<Value> = serde_json::from_str(body).ok();
        let error = parsed.as_ref().map(|v| &v["error"]);
        match error {
            Some(Value::String(message)) => UpstreamError {
                message: message.clone(),
                ..Default::default()
            },
            Some(e @ Value::Object(_)) if e["message"].is_string() => UpstreamError {
                message: text(&e["message"]).unwrap_or_default(),
                kind: text(&e["type"]),
                param: text(&e["param"]),
                code: text(&e["code"]),
            },
            _ => UpstreamError {
                message: crate::json_mode::snippet(body.trim()),
                ..Default::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Op, Operation};

    fn status(provider: Provider, status: u16, body: &str) -> CompatError {
        CompatError::from_upstream(&Error::Status(StatusError {
            op: Op::new(provider, Operation::Chat),
            status: Some(status),
            status_text: None,
            body: body.into(),
            retry_after_ms: Some(1500),
        }))
    }

    #[test]
    fn the_shape_is_openais() {
        let e = CompatError::unsupported("n", "n > 1 is not supported");
        assert_eq!(
            e.to_json(),
            json!({"error": {"message": "n > 1 is not supported", "type": "invalid_request_error",
                   "param": "n", "code": "unsupported_parameter"}})
        );
        assert_eq!(
            CompatError::missing("model").message,
            "Missing required parameter: 'model'."
        );
    }

    #[test]
    fn upstream_refusals_keep_their_status_and_message() {
        let e = status(
            Provider::Anthropic,
            400,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"temperature: must be <= 1"}}"#,
        );
        assert_eq!((e.status, e.kind.as_str()), (400, "invalid_request_error"));
        assert_eq!(
            e.message,
            "Anthropic answered 400: temperature: must be <= 1"
        );
        assert_eq!(e.retry_after_ms, None);

        let e = status(
            Provider::OpenAI,
            404,
            r#"{"error":{"message":"The model `x` does not exist","type":"invalid_request_error","param":"model","code":"model_not_found"}}"#,
        );
        assert_eq!(
            (e.status, e.param.as_deref(), e.code.as_deref()),
            (404, Some("model"), Some("model_not_found"))
        );

        let e = status(
            Provider::Ollama,
            404,
            r#"{"error":"model \"x\" not found, try pulling it first"}"#,
        );
        assert_eq!(
            e.message,
            "Ollama answered 404: model \"x\" not found, try pulling it first"
        );
    }

    #[test]
    fn rate_limits_and_overload_keep_the_retry_hint() {
        let e = status(
            Provider::OpenAI,
            429,
            r#"{"error":{"message":"slow down","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
        );
        assert_eq!(
            (e.status, e.kind.as_str(), e.retry_after_ms),
            (429, "requests", Some(1500))
        );
        let e = status(
            Provider::Anthropic,
            529,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        );
        assert_eq!(
            (e.status, e.kind.as_str(), e.retry_after_ms),
            (503, "server_error", Some(1500))
        );
    }

    #[test]
    fn the_gateways_own_problems_are_5xx() {
        let e = status(
            Provider::OpenAI,
            401,
            r#"{"error":{"message":"Incorrect API key provided: sk-te***","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
        );
        assert_eq!(
            (e.status, e.kind.as_str(), e.code.as_deref()),
            (502, "server_error", Some("upstream_auth_failed"))
        );
        let e = status(Provider::OpenAI, 500, "<html>oops</html>");
        assert_eq!(
            (e.status, e.message.as_str()),
            (502, "OpenAI answered 500: <html>oops</html>")
        );
        let op = Op::new(Provider::Ollama, Operation::Chat);
        let e = CompatError::from_upstream(&Error::Timeout { op, after_ms: 250 });
        assert_eq!(
            (e.status, e.message.as_str()),
            (504, "Ollama did not answer within 250 ms")
        );
        let e = CompatError::from_upstream(&Error::Network {
            op,
            message: "fetch failed".into(),
        });
        assert_eq!(e.status, 502);
    }
}
