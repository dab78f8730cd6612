//! Upstream calls of the compatible routes, cancellable: each request carries its own
//! `AbortSignal`, and dropping the response aborts it. A streamed answer holds the response
//! inside its body stream, so when the client goes away (workerd cancels the stream, which
//! drops it) the upstream request is aborted too, and the provider stops generating.
//!
//! It is the core's [`Host`], so [`edge_llm_core::client::send`] makes the call: the same
//! timeout, status errors and `retry-after` reading as every other route.

use crate::log::WorkerHost;
use edge_llm_core::host::{BodyError, FetchError, Host, Level, UpstreamResponse};
use edge_llm_core::http::{Body, HttpRequest, ResponseHead};
use futures_util::future::{select, Either};
use serde_json::Value;
use std::time::Duration;
use wasm_bindgen::JsValue;
use worker::{AbortController, ByteStream, Delay, Fetch, Headers, Method, Request, RequestInit};

/// The Worker's host with cancellable fetches.
pub struct AbortableHost<'a> {
    pub inner: &'a WorkerHost,
}

/// An upstream answer; dropping it aborts the request if it is still running.
pub struct Upstream {
    response: worker::Response,
    abort: Option<AbortController>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        // Aborting a request that already finished does nothing.
        if let Some(controller) = self.abort.take() {
            controller.abort();
        }
    }
}

impl Upstream {
    /// The body as it arrives.
    pub fn body(&mut self) -> Option<ByteStream> {
        self.response.stream().ok()
    }

    /// A response header.
    pub fn header(&self, name: &str) -> Option<String> {
        self.response.headers().get(name).ok().flatten()
    }
}

fn network(e: impl std::fmt::Display) -> FetchError {
    FetchError::Network(e.to_string())
}

fn request_of(request: &HttpRequest) -> Result<Request, FetchError> {
    let headers = Headers::new();
    for (name, value) in &request.headers {
        headers.set(name, value).map_err(network)?;
    }
    let mut init = RequestInit::new();
    init.with_headers(headers);
    init.with_method(match request.method {
        edge_llm_core::http::Method::Get => Method::Get,
        edge_llm_core::http::Method::Post => Method::Post,
    });
    match &request.body {
        Body::Empty => {}
        Body::Json(json) => {
            init.with_body(Some(JsValue::from_str(json)));
        }
        Body::Multipart(_) => return Err(network("the compatible routes send JSON only")),
    }
    Request::new_with_init(&request.url, &init).map_err(network)
}

impl Host for AbortableHost<'_> {
    type Response = Upstream;

    async fn fetch(
        &self,
        request: &HttpRequest,
        timeout_ms: Option<u64>,
    ) -> Result<Upstream, FetchError> {
        let controller = AbortController::default();
        let signal = controller.signal();
        let fetch = Fetch::Request(request_of(request)?);
        let sending = Box::pin(fetch.send_with_signal(&signal));
        let answer = match timeout_ms {
            None => sending.await,
            Some(ms) => {
                match select(sending, Box::pin(Delay::from(Duration::from_millis(ms)))).await {
                    Either::Left((answer, _)) => answer,
                    Either::Right(_) => {
                        controller.abort();
                        return Err(FetchError::Timeout);
                    }
                }
            }
        };
        let response = answer.map_err(network)?;
        Ok(Upstream {
            response,
            abort: Some(controller),
        })
    }

    fn now_ms(&self) -> f64 {
        self.inner.now_ms()
    }

    async fn sleep(&self, ms: f64) {
        self.inner.sleep(ms).await
    }

    fn random(&self) -> f64 {
        self.inner.random()
    }

    fn log(&self, level: Level, message: &str, meta: Value) {
        self.inner.log(level, message, meta)
    }
}

impl UpstreamResponse for Upstream {
    fn head(&self) -> ResponseHead {
        let status = self.response.status_code();
        ResponseHead {
            ok: (200..300).contains(&status),
            status: Some(status),
            status_text: None,
        }
    }

    fn header(&self, name: &str) -> Option<String> {
        Upstream::header(self, name)
    }

    async fn json(self) -> Result<Value, BodyError> {
        let text = self.text().await?;
        serde_json::from_str(&text)
            .map_err(|_| BodyError::NotJson(edge_llm_core::json_mode::snippet(&text)))
    }

    async fn text(mut self) -> Result<String, BodyError> {
        self.response
            .text()
            .await
            .map_err(|e| BodyError::Read(e.to_string()))
    }
}
