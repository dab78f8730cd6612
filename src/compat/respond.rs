//! Answers of the compatible routes: JSON with the gateway's headers, and errors in OpenAI's
//! shape — with `retry-after` passed on, so the SDKs' retries wait as upstream asked.

use crate::api_error::ApiError;
use crate::log::Log;
use edge_llm_core::compat::CompatError;
use edge_llm_core::error::AnswerProblem;
use edge_llm_core::host::BodyError;
use edge_llm_core::Provider;
use worker::Response;

/// A JSON answer whose text is already written.
pub fn json_text(
    status: u16,
    text: String,
    provider: Option<Provider>,
    ignored: &[String],
) -> Response {
    let mut response = Response::from_bytes(text.into_bytes())
        .expect("bytes make a body")
        .with_status(status);
    let headers = response.headers_mut();
    let _ = headers.set("content-type", "application/json");
    add_headers(headers, provider, ignored);
    response
}

/// `x-edge-llm-provider` (who answered) and `x-edge-llm-ignored-params` (the request fields
/// that provider has no equivalent for, left out).
pub fn add_headers(headers: &mut worker::Headers, provider: Option<Provider>, ignored: &[String]) {
    if let Some(p) = provider {
        let _ = headers.set("x-edge-llm-provider", p.id());
    }
    if !ignored.is_empty() {
        let _ = headers.set("x-edge-llm-ignored-params", &ignored.join(", "));
    }
}

/// The error answer, every secret scrubbed from its message.
pub fn error(e: &CompatError, log: &Log) -> Response {
    let mut body = e.to_json();
    body["error"]["message"] = log.redact(&e.message).into();
    let mut response = Response::from_json(&body)
        .expect("plain JSON")
        .with_status(e.status);
    let headers = response.headers_mut();
    if let Some(ms) = e.retry_after_ms {
        let _ = headers.set("retry-after-ms", &ms.to_string());
        let _ = headers.set("retry-after", &ms.div_ceil(1000).to_string());
    }
    response
}

/// A 405, with the `Allow` header HTTP requires.
pub fn not_allowed(allow: &str, log: &Log) -> Response {
    let e = CompatError::new(405, format!("This route only accepts {allow}."))
        .with_code("method_not_allowed");
    let mut response = error(&e, log);
    let _ = response.headers_mut().set("allow", allow);
    response
}

/// A gateway error (auth, body limits, configuration) in OpenAI's shape. A 400 from
/// resolving the provider is about the `model` the client named.
pub fn from_api_error(e: ApiError) -> CompatError {
    let out = CompatError::new(e.status, e.message);
    match e.status {
        // OpenAI's own 401: invalid_request_error / invalid_api_key.
        401 => CompatError {
            kind: "invalid_request_error".into(),
            ..out
        }
        .with_code("invalid_api_key"),
        413 => out.with_code("request_too_large"),
        400 if out.message.starts_with("provider: ") || out.message.starts_with("model: ") => {
            out.with_param("model").with_code("model_not_available")
        }
        400 => {
            let param = out
                .message
                .split_once(": ")
                .map(|(field, _)| field.to_string());
            match param {
                Some(p) => out.with_param(p),
                None => out,
            }
        }
        _ => out,
    }
}

/// Upstream's answer broke off while it was read.
pub fn unreadable(provider: Provider, e: BodyError) -> CompatError {
    let detail = match e {
        BodyError::Read(message) | BodyError::NotJson(message) => message,
    };
    CompatError::new(
        502,
        format!("{provider}'s answer could not be read: {detail}"),
    )
    .with_code("upstream_unreachable")
}

/// Upstream answered 2xx with something that is not its documented answer.
pub fn unusable(provider: Provider, problem: AnswerProblem) -> CompatError {
    CompatError::new(502, format!("{provider} answered unusably: {problem}"))
        .with_code("upstream_bad_answer")
}
