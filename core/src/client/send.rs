//! One HTTP call with the opt-in retries and timeout, turning every failure into a typed
//! [`Error`].

use crate::error::{AnswerProblem, Error, Op, StatusError};
use crate::host::{Answer, BodyError, FetchError, Host, Level, UpstreamResponse};
use crate::http::HttpRequest;
use crate::retry::{parse_retry_after, RetryPolicy};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// Per-call options. The default is the reference: no retries, no timeout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallOptions {
    pub retry: RetryPolicy,
    pub timeout_ms: Option<u64>,
}

/// Sends `request` (again, while the failure is retryable and retries are left) and
/// returns the first OK response.
pub async fn send<H: Host>(
    host: &H,
    request: &HttpRequest,
    op: Op,
    opts: CallOptions,
) -> Result<H::Response, Error> {
    send_retrying_if(host, request, op, opts, Error::is_retryable).await
}

/// [`send`] for a call that must not happen twice (creating a batch): only an answer that
/// says upstream refused it (429) is retried. After a timeout, a dropped connection or a 5xx
/// the call may have gone through, and a retry could start a second, billed batch.
pub async fn send_once<H: Host>(
    host: &H,
    request: &HttpRequest,
    op: Op,
    opts: CallOptions,
) -> Result<H::Response, Error> {
    send_retrying_if(host, request, op, opts, |e| e.status() == Some(429)).await
}

async fn send_retrying_if<H: Host>(
    host: &H,
    request: &HttpRequest,
    op: Op,
    opts: CallOptions,
    retryable: fn(&Error) -> bool,
) -> Result<H::Response, Error> {
    let mut attempt = 0;
    loop {
        let error = match host.fetch(request, opts.timeout_ms).await {
            Ok(response) if response.head().ok => return Ok(response),
            Ok(response) => status_error(host, response, op).await,
            Err(FetchError::Network(message)) => Error::Network {
                op,
                message: host.admit(message),
            },
            Err(FetchError::Timeout) => Error::Timeout {
                op,
                after_ms: opts.timeout_ms.unwrap_or_default(),
            },
        };
        attempt += 1;
        if attempt > opts.retry.max_retries || !retryable(&error) {
            return Err(error);
        }
        let delay_ms = opts
            .retry
            .delay_ms(attempt, error.retry_after_ms(), host.random());
        let mut meta =
            json!({"provider": op.provider.id(), "attempt": attempt, "delayMs": delay_ms});
        // No status (a network error or a timeout) is no key, never `null`.
        if let Some(status) = error.status() {
            meta["status"] = status.into();
        }
        host.log(Level::Warn, "Retrying request", meta);
        host.sleep(delay_ms).await;
    }
}

/// An OK response as it is, anything else as its [`Error::Status`]: for a call the host
/// made itself (a streamed body cannot be sent twice, so [`send`] cannot make it).
pub async fn check_status<H: Host>(
    host: &H,
    response: H::Response,
    op: Op,
) -> Result<H::Response, Error> {
    if response.head().ok {
        Ok(response)
    } else {
        Err(status_error(host, response, op).await)
    }
}

async fn status_error<H: Host>(host: &H, response: H::Response, op: Op) -> Error {
    let head = response.head();
    let retry_after_ms = parse_retry_after(
        response.header("retry-after-ms").as_deref(),
        response.header("retry-after").as_deref(),
        host.now_ms(),
    );
    // As the reference: a body that cannot be read reads as "".
    let body = response.text().await.unwrap_or_default();
    Error::Status(StatusError {
        op,
        status: head.status,
        status_text: head.status_text.map(|text| host.admit(text)),
        body: host.admit(body),
        retry_after_ms,
    })
}

/// Reads an OK response's JSON body.
pub async fn read_json<R: UpstreamResponse>(response: R, op: Op) -> Result<Value, Error> {
    response.json().await.map_err(|e| body_error(e, op))
}

/// Reads an OK response's JSON body as the provider's answer type `T` (see
/// [`UpstreamResponse::json_answer`]).
pub async fn read_answer<T: DeserializeOwned, R: UpstreamResponse>(
    response: R,
    op: Op,
) -> Result<Answer<T>, Error> {
    response.json_answer().await.map_err(|e| body_error(e, op))
}

fn body_error(error: BodyError, op: Op) -> Error {
    match error {
        BodyError::Read(message) => Error::Network { op, message },
        BodyError::NotJson(snippet) => Error::BadAnswer {
            op,
            problem: AnswerProblem::Unreadable {
                detail: format!("body is not JSON: {snippet}"),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::fake_host::{FakeHost, Reply};
    use crate::error::{Operation, Provider};
    use futures_executor::block_on;

    const OP: Op = Op::new(Provider::OpenAI, Operation::Chat);

    fn req() -> HttpRequest {
        HttpRequest::get("http://x/".into(), vec![])
    }

    #[test]
    fn no_retries_by_default() {
        let host = FakeHost::new(vec![Reply::status(503, "{}")]);
        let err = block_on(send(&host, &req(), OP, CallOptions::default()))
            .err()
            .unwrap();
        assert_eq!(err.status(), Some(503));
        assert_eq!(host.sent().len(), 1);
    }

    #[test]
    fn retries_honour_retry_after_then_succeed() {
        let host = FakeHost::new(vec![
            Reply::status(429, "slow down").header("retry-after-ms", "1500"),
            Reply::network("ECONNRESET"),
            Reply::json(200, serde_json::json!({"ok": true})),
        ]);
        let opts = CallOptions {
            retry: RetryPolicy { max_retries: 2 },
            timeout_ms: None,
        };
        let response = block_on(send(&host, &req(), OP, opts)).ok().unwrap();
        assert!(response.head().ok);
        assert_eq!(host.sent().len(), 3);
        let sleeps = host.sleeps();
        assert_eq!(sleeps[0], 1500.0);
        assert!((750.0..=1000.0).contains(&sleeps[1]), "{sleeps:?}");
    }

    #[test]
    fn a_call_that_must_not_repeat_is_retried_only_when_refused() {
        let opts = CallOptions {
            retry: RetryPolicy { max_retries: 3 },
            timeout_ms: None,
        };
        let host = FakeHost::new(vec![Reply::status(429, ""), Reply::status(200, "{}")]);
        assert!(block_on(send_once(&host, &req(), OP, opts)).is_ok());
        for reply in [
            Reply::status(502, ""),
            Reply::network("socket hang up"),
            Reply::Timeout,
        ] {
            let host = FakeHost::new(vec![reply]);
            assert!(block_on(send_once(&host, &req(), OP, opts)).is_err());
            assert_eq!(host.sent().len(), 1);
        }
    }

    #[test]
    fn client_errors_are_not_retried() {
        let host = FakeHost::new(vec![Reply::status(400, "bad")]);
        let opts = CallOptions {
            retry: RetryPolicy { max_retries: 3 },
            timeout_ms: None,
        };
        let err = block_on(send(&host, &req(), OP, opts)).err().unwrap();
        assert_eq!(err.to_string(), "OpenAI chat error: 400 Bad Request — bad");
        assert_eq!(host.sent().len(), 1);
    }

    #[test]
    fn timeouts_name_the_limit() {
        let host = FakeHost::new(vec![Reply::Timeout]);
        let opts = CallOptions {
            retry: RetryPolicy::NONE,
            timeout_ms: Some(250),
        };
        let err = block_on(send(&host, &req(), OP, opts)).err().unwrap();
        assert_eq!(
            err.to_string(),
            "OpenAI chat error: request timed out after 250ms"
        );
    }
}
