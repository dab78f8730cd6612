//! The JavaScript [`Host`]: `fetch`, timers, randomness, and the caller's logger.

use crate::convert::{error_message, to_js};
use crate::eager::settled;
use crate::interned::interned;
use crate::response::JsResponse;
use crate::timers::{clear_timeout, sleep, timeout_promise};
use edge_llm_core::host::{FetchError, Host, Level};
use edge_llm_core::http::{Body, HttpRequest, Method};
use js_sys::{Array, Function, Object, Promise, Reflect};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

/// A logger object with any of `debug`/`info`/`warn`/`error(msg, meta)`; absent methods
/// are skipped.
#[derive(Clone, Debug, Default)]
pub struct Logger(Option<JsValue>);

impl Logger {
    pub fn new(value: JsValue) -> Self {
        Logger((!value.is_undefined() && !value.is_null()).then_some(value))
    }

    pub fn none() -> Self {
        Logger(None)
    }

    /// `logger.child(name)` when the logger has one, else the logger itself.
    pub fn child(&self, name: &str) -> Logger {
        let Some(logger) = &self.0 else {
            return Logger(None);
        };
        match Reflect::get(logger, &"child".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
        {
            Some(child) => Logger::new(
                child
                    .call1(logger, &JsValue::from_str(name))
                    .unwrap_or(JsValue::UNDEFINED),
            ),
            None => self.clone(),
        }
    }

    pub fn js(&self) -> JsValue {
        self.0.clone().unwrap_or(JsValue::UNDEFINED)
    }

    pub fn log(&self, level: Level, message: &str, meta: &Value) {
        let Some(logger) = &self.0 else { return };
        let name = match level {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        if let Some(method) = Reflect::get(logger, &name.into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
        {
            // A throwing logger must not break the call it reports on.
            let _ = method.call2(logger, &JsValue::from_str(message), &to_js(meta));
        }
    }
}

/// The host of the npm package and the Worker.
#[derive(Clone, Debug)]
pub struct JsHost {
    fetch_fn: Function,
    /// `this` for the call: the global object for the global `fetch` (browsers throw
    /// "Illegal invocation" otherwise), `undefined` for an injected function.
    this: JsValue,
    logger: Logger,
}

impl JsHost {
    /// A host calling `fetch_fn` when given one (not `undefined`/`null`), else the global
    /// `fetch` as it is now (as the reference captures `options.fetchFn ?? fetch`).
    pub fn new(fetch_fn: JsValue, logger: Logger) -> Result<JsHost, String> {
        if let Ok(f) = fetch_fn.clone().dyn_into::<Function>() {
            return Ok(JsHost {
                fetch_fn: f,
                this: JsValue::UNDEFINED,
                logger,
            });
        }
        if !fetch_fn.is_undefined() && !fetch_fn.is_null() {
            return Err("fetchFn must be a function".into());
        }
        let global = js_sys::global();
        let fetch = Reflect::get(&global, &"fetch".into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok());
        let fetch =
            fetch.ok_or("this JavaScript host has no global fetch; pass a fetchFn option")?;
        Ok(JsHost {
            fetch_fn: fetch,
            this: global.into(),
            logger,
        })
    }

    pub fn logger(&self) -> &Logger {
        &self.logger
    }

    /// Sends a body the caller streams (a `ReadableStream`) in one attempt: a stream cannot
    /// be replayed, and the call lasts as long as the caller's source does.
    pub async fn fetch_streamed(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: &JsValue,
    ) -> Result<JsResponse, FetchError> {
        let head = HttpRequest {
            method: Method::Post,
            url: url.into(),
            headers: headers.to_vec(),
            body: Body::Empty,
        };
        let init = JsHost::init(&head, None)?;
        let network = |e: JsValue| FetchError::Network(error_message(&e));
        Reflect::set(&init, &interned("body"), body).map_err(network)?;
        // Node's fetch insists on this for a stream body; workerd ignores it.
        Reflect::set(&init, &interned("duplex"), &interned("half")).map_err(network)?;
        let call = self
            .fetch_fn
            .call2(&self.this, &JsValue::from_str(url), &init)
            .map_err(network)?;
        settled(Promise::resolve(&call))
            .await
            .map(JsResponse::new)
            .map_err(network)
    }

    /// The `init` the reference passes: a plain object, headers a plain object, and only
    /// the members the request has.
    fn init(request: &HttpRequest, signal: Option<&JsValue>) -> Result<Object, FetchError> {
        let init = Object::new();
        let set = |key: &'static str, value: &JsValue| {
            Reflect::set(&init, &interned(key), value)
                .map(|_| ())
                .map_err(|e| FetchError::Network(error_message(&e)))
        };
        set("method", &interned(request.method.as_str()))?;
        if !request.headers.is_empty() {
            let headers = Object::new();
            for (name, value) in &request.headers {
                Reflect::set(&headers, &interned(name), &value.into())
                    .map_err(|e| FetchError::Network(error_message(&e)))?;
            }
            set("headers", &headers)?;
        }
        match &request.body {
            Body::Empty => {}
            Body::Json(json) => set("body", &json.into())?,
            Body::Multipart(form) => set(
                "body",
                &form_data(form).map_err(|e| FetchError::Network(error_message(&e)))?,
            )?,
        }
        if let Some(signal) = signal {
            set("signal", signal)?;
        }
        Ok(init)
    }
}

fn form_data(form: &edge_llm_core::http::MultipartForm) -> Result<JsValue, JsValue> {
    let data = web_sys::FormData::new()?;
    for (name, value) in &form.fields {
        data.append_with_str(name, value)?;
    }
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(form.file.content_type);
    let parts = Array::of1(&JsValue::from_str(&form.file.content));
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    data.append_with_blob_and_filename(form.file.field, &blob, form.file.filename)?;
    Ok(data.into())
}

impl Host for JsHost {
    type Response = JsResponse;

    async fn fetch(
        &self,
        request: &HttpRequest,
        timeout_ms: Option<u64>,
    ) -> Result<JsResponse, FetchError> {
        let controller = match timeout_ms {
            Some(_) => Some(
                web_sys::AbortController::new()
                    .map_err(|e| FetchError::Network(error_message(&e)))?,
            ),
            None => None,
        };
        let signal: Option<JsValue> = controller.as_ref().map(|c| c.signal().into());
        let init = JsHost::init(request, signal.as_ref())?;
        let call = self
            .fetch_fn
            .call2(&self.this, &JsValue::from_str(&request.url), &init);
        // A double may return a plain object, or throw synchronously.
        let answer = Promise::resolve(&call.map_err(|e| FetchError::Network(error_message(&e)))?);
        let Some(ms) = timeout_ms else {
            return settled(answer)
                .await
                .map(JsResponse::new)
                .map_err(|e| FetchError::Network(error_message(&e)));
        };
        // Race the answer against a timer, so even a fetchFn that ignores `signal` times out.
        let marker = JsValue::from(Object::new());
        let (timer, timer_id) = timeout_promise(ms as f64, &marker);
        let raced = settled(Promise::race(&Array::of2(&answer, &timer))).await;
        clear_timeout(&timer_id);
        match raced {
            Ok(value) if value == marker => {
                if let Some(controller) = controller {
                    controller.abort();
                }
                Err(FetchError::Timeout)
            }
            Ok(value) => Ok(JsResponse::new(value)),
            Err(e) => Err(FetchError::Network(error_message(&e))),
        }
    }

    fn now_ms(&self) -> f64 {
        js_sys::Date::now()
    }

    async fn sleep(&self, ms: f64) {
        sleep(ms).await
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }

    fn log(&self, level: Level, message: &str, meta: Value) {
        self.logger.log(level, message, &meta);
    }
}
