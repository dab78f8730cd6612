//! Reading a constructor's options object.

use edge_llm_core::batch::PollSchedule;
use edge_llm_core::client::CallOptions;
use edge_llm_core::http::ApiKey;
use edge_llm_core::retry::RetryPolicy;
use edge_llm_js_host::{from_js, js_error, JsHost, Logger};
use js_sys::Reflect;
use serde::Deserialize;
use wasm_bindgen::JsValue;

/// Every option any class takes; each class reads the ones it knows.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawOptions {
    #[serde(default)]
    pub api_key: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub max_retries: Option<u32>,
    #[serde(default)]
    pub request_timeout_ms: Option<f64>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub poll_interval_ms: Option<f64>,
    #[serde(default)]
    pub max_poll_interval_ms: Option<f64>,
    #[serde(default)]
    pub timeout_ms: Option<f64>,
    #[serde(default)]
    pub max_context_tokens: Option<u32>,
    #[serde(default)]
    pub dimensions: Option<u32>,
}

/// Parsed options plus the host built from `fetchFn` and `logger`.
pub struct Options {
    pub raw: RawOptions,
    pub host: JsHost,
}

impl Options {
    /// Reads `options` for class `class` (named in errors).
    pub fn parse(class: &str, options: &JsValue) -> Result<Options, JsValue> {
        if !options.is_object() {
            return Err(js_error(&format!("{class}: options must be an object")));
        }
        let raw: RawOptions = from_js(options.clone())
            .map_err(|e| js_error(&format!("{class}: invalid options: {e}")))?;
        let field = |name: &str| Reflect::get(options, &name.into()).unwrap_or(JsValue::UNDEFINED);
        let host = JsHost::new(field("fetchFn"), Logger::new(field("logger")))
            .map_err(|e| js_error(&format!("{class}: {e}")))?;
        Ok(Options { raw, host })
    }

    pub fn model(&self, class: &str) -> Result<String, JsValue> {
        self.raw
            .model
            .clone()
            .ok_or_else(|| js_error(&format!("{class}: options.model must be a string")))
    }

    /// The key; the reference sends whatever it was given, so a missing one is not refused
    /// here — upstream answers 401 with its own message.
    pub fn api_key(&self) -> ApiKey {
        ApiKey::new(self.raw.api_key.clone().unwrap_or_default())
    }

    pub fn base_url(&self, default: &str) -> String {
        self.raw
            .base_url
            .clone()
            .unwrap_or_else(|| default.to_string())
    }

    /// Opt-in retries and per-call timeout; the defaults are the reference's (none).
    pub fn call_options(&self) -> CallOptions {
        CallOptions {
            retry: RetryPolicy {
                max_retries: self.raw.max_retries.unwrap_or(0),
            },
            timeout_ms: self
                .raw
                .request_timeout_ms
                .filter(|ms| *ms > 0.0)
                .map(|ms| ms as u64),
        }
    }

    /// The batch poll schedule; defaults 10 s, 120 s, 24 h.
    pub fn schedule(&self) -> PollSchedule {
        let d = PollSchedule::default();
        PollSchedule {
            poll_interval_ms: self.raw.poll_interval_ms.unwrap_or(d.poll_interval_ms),
            max_poll_interval_ms: self
                .raw
                .max_poll_interval_ms
                .unwrap_or(d.max_poll_interval_ms),
            timeout_ms: self.raw.timeout_ms.unwrap_or(d.timeout_ms),
        }
    }
}
