//! The JavaScript [`Host`]: `fetch`, timers, randomness, and the caller's logger.

use crate::convert::{error_message, to_js};
use crate::response::JsResponse;
use crate::timers::sleep;
use edge_llm_core::host::{FetchError, Host, Level};
use edge_llm_core::http::{Body, HttpRequest, Method};
use js_sys::{Array, Function, Object, Promise, Reflect};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/src/send.js")]
extern "C" {
    /// fetchFn(url, init) with the timeout race, in one crossing (see send.js).
    #[wasm_bindgen(catch)]
    #[allow(clippy::too_many_arguments)]
    fn send(
        fetch_fn: &Function,
        this: &JsValue,
        url: &str,
        method: &str,
        headers: &JsValue,
        body: &JsValue,
        timeout_ms: Option<f64>,
        timed_out: &JsValue,
    ) -> Result<Promise, JsValue>;
}

thread_local! {
    /// What `send` resolves to when the timer wins: an object no fetchFn can return.
    static TIMED_OUT: JsValue = Object::new().into();
}

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
        let init = JsHost::init(&head)?;
        let network = |e: JsValue| FetchError::Network(error_message(&e));
        Reflect::set(&init, &"body".into(), body).map_err(network)?;
        // Node's fetch insists on this for a stream body; workerd ignores it.
        Reflect::set(&init, &"duplex".into(), &"half".into()).map_err(network)?;
        let call = self
            .fetch_fn
            .call2(&self.this, &JsValue::from_str(url), &init)
            .map_err(network)?;
        JsFuture::from(Promise::resolve(&call))
            .await
            .map(JsResponse::new)
            .map_err(network)
    }

    /// The `init` the reference passes: a plain object, headers a plain object, and only
    /// the members the request has.
    fn init(request: &HttpRequest) -> Result<Object, FetchError> {
        let init = Object::new();
        let set = |key: &str, value: &JsValue| {
            Reflect::set(&init, &key.into(), value)
                .map(|_| ())
                .map_err(|e| FetchError::Network(error_message(&e)))
        };
        set("method", &request.method.as_str().into())?;
        if !request.headers.is_empty() {
            let headers = Object::new();
            for (name, value) in &request.headers {
                Reflect::set(&headers, &(*name).into(), &value.into())
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
        let network = |e: JsValue| FetchError::Network(error_message(&e));
        let headers = match request.headers.is_empty() {
            true => JsValue::UNDEFINED,
            false => {
                let object: serde_json::Map<String, Value> = request
                    .headers
                    .iter()
                    .map(|(name, value)| (name.to_string(), Value::from(value.as_str())))
                    .collect();
                JsValue::from_str(&Value::Object(object).to_string())
            }
        };
        let body = match &request.body {
            Body::Empty => JsValue::UNDEFINED,
            Body::Json(json) => JsValue::from_str(json),
            Body::Multipart(form) => form_data(form).map_err(network)?,
        };
        let answer = TIMED_OUT.with(|timed_out| {
            send(
                &self.fetch_fn,
                &self.this,
                &request.url,
                request.method.as_str(),
                &headers,
                &body,
                timeout_ms.map(|ms| ms as f64),
                timed_out,
            )
        })
        .map_err(network)?;
        match JsFuture::from(answer).await {
            Ok(value) if TIMED_OUT.with(|timed_out| value == *timed_out) => Err(FetchError::Timeout),
            Ok(value) => Ok(JsResponse::new(value)),
            Err(e) => Err(network(e)),
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
