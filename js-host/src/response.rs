//! A `fetch` answer read leniently: a real `Response` or a test double with only some of its
//! members.

use crate::convert::{error_message, from_js_json};
use crate::eager::settled;
use crate::interned::interned;
use edge_llm_core::host::{Answer, BodyError, UpstreamResponse};
use edge_llm_core::http::ResponseHead;
use edge_llm_core::json_mode::snippet;
use js_sys::{Function, Promise, Reflect, Uint8Array};
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};

/// What `fetchFn` resolved to.
pub struct JsResponse(JsValue);

fn get(target: &JsValue, name: &'static str) -> JsValue {
    Reflect::get(target, &interned(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Calls `target[name]()` if it is a function, awaiting what it returns.
async fn call_method(target: &JsValue, name: &'static str) -> Option<Result<JsValue, JsValue>> {
    let method = get(target, name).dyn_into::<Function>().ok()?;
    let returned = match method.call0(target) {
        Ok(value) => value,
        Err(thrown) => return Some(Err(thrown)),
    };
    Some(settled(Promise::resolve(&returned)).await)
}

impl JsResponse {
    pub fn new(value: JsValue) -> Self {
        JsResponse(value)
    }

    /// The body as a stream of byte chunks, when the response has a `body` stream (a real
    /// `Response`); `None` for test doubles.
    pub fn chunks(&self) -> Option<ChunkReader> {
        let body = get(&self.0, "body");
        let get_reader = get(&body, "getReader").dyn_into::<Function>().ok()?;
        let reader = get_reader.call0(&body).ok()?;
        Some(ChunkReader { reader })
    }

    /// `json()` of a real `Response`, read as text and parsed here: `response.json()` would
    /// parse it into JavaScript objects only for us to stringify them again to cross into
    /// wasm (issue 10). Floats parse to the same f64 (the core's serde_json has
    /// float_roundtrip); integers beyond 2⁵³ stay exact until they reach JavaScript. Text
    /// serde refuses (a number beyond f64, a lone surrogate) takes the old path through
    /// `JSON.parse`, so such values and every error read as before.
    async fn real_json(self) -> Result<Value, BodyError> {
        json_of_text(&self.real_text().await?)
    }

    /// `text()` for a JSON read: a body that cannot be read is an answer that is not JSON,
    /// as `response.json()` would say.
    async fn real_text(self) -> Result<String, BodyError> {
        self.text().await.map_err(|e| match e {
            BodyError::Read(message) => BodyError::NotJson(message),
            not_json => not_json,
        })
    }
}

fn json_of_text(text: &str) -> Result<Value, BodyError> {
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    match js_sys::JSON::parse(text) {
        Ok(value) => from_js_json(&value).map_err(BodyError::NotJson),
        Err(thrown) => Err(BodyError::NotJson(error_message(&thrown))),
    }
}

impl UpstreamResponse for JsResponse {
    fn head(&self) -> ResponseHead {
        ResponseHead {
            ok: get(&self.0, "ok").is_truthy(),
            status: get(&self.0, "status").as_f64().map(|s| s as u16),
            status_text: get(&self.0, "statusText").as_string(),
        }
    }

    fn header(&self, name: &str) -> Option<String> {
        let headers = get(&self.0, "headers");
        let get_fn = get(&headers, "get").dyn_into::<Function>().ok()?;
        get_fn
            .call1(&headers, &JsValue::from_str(name))
            .ok()?
            .as_string()
    }

    async fn json(self) -> Result<Value, BodyError> {
        if self.0.is_instance_of::<web_sys::Response>() {
            return self.real_json().await;
        }
        match call_method(&self.0, "json").await {
            Some(Ok(value)) => from_js_json(&value).map_err(BodyError::NotJson),
            Some(Err(thrown)) => Err(BodyError::NotJson(error_message(&thrown))),
            // A double with only text(): parse it ourselves.
            None => {
                let text = self.text().await?;
                serde_json::from_str(&text).map_err(|_| BodyError::NotJson(snippet(&text)))
            }
        }
    }

    async fn text(self) -> Result<String, BodyError> {
        match call_method(&self.0, "text").await {
            Some(Ok(value)) => Ok(value.as_string().unwrap_or_default()),
            Some(Err(thrown)) => Err(BodyError::Read(error_message(&thrown))),
            // The contract: a missing text() reads as an empty body.
            None => Ok(String::new()),
        }
    }

    /// A real `Response`'s text read straight into `T`; text that is not one (or a double's
    /// body) is read as [`UpstreamResponse::json`] reads it, for the caller to say why.
    async fn json_answer<T: DeserializeOwned>(self) -> Result<Answer<T>, BodyError> {
        if !self.0.is_instance_of::<web_sys::Response>() {
            return self.json().await.map(Answer::Json);
        }
        let text = self.real_text().await?;
        match serde_json::from_str(&text) {
            Ok(typed) => Ok(Answer::Typed(typed)),
            Err(_) => json_of_text(&text).map(Answer::Json),
        }
    }
}

/// Reads a `ReadableStream` chunk by chunk, so a body far larger than memory can be
/// processed as it arrives.
pub struct ChunkReader {
    reader: JsValue,
}

impl ChunkReader {
    /// The next chunk, or `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, BodyError> {
        let step = match call_method(&self.reader, "read").await {
            Some(Ok(step)) => step,
            Some(Err(thrown)) => return Err(BodyError::Read(error_message(&thrown))),
            None => return Err(BodyError::Read("the body stream has no reader".into())),
        };
        if get(&step, "done").is_truthy() {
            return Ok(None);
        }
        let value = get(&step, "value");
        match value.dyn_into::<Uint8Array>() {
            Ok(bytes) => Ok(Some(bytes.to_vec())),
            Err(other) => Ok(Some(other.as_string().unwrap_or_default().into_bytes())),
        }
    }
}
