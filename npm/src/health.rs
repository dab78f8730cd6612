//! `checkLLMHealth` and `checkEmbeddingHealth`: the reference's probes; they never throw.

use crate::factory::ProviderConfig;
use edge_llm_core::client::health::{check, Health};
use edge_llm_core::health::{unsupported, Depth, Target};
use edge_llm_core::http::ApiKey;
use edge_llm_core::provider::{ChatProvider, EmbeddingProvider};
use edge_llm_core::{anthropic, ollama, openai, Provider};
use edge_llm_js_host::{to_js, JsHost, Logger};
use js_sys::Promise;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

#[derive(Serialize)]
struct HealthResult {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl From<Health> for HealthResult {
    fn from(h: Health) -> Self {
        HealthResult {
            ok: h.ok,
            error: h.error,
        }
    }
}

fn failed(error: String) -> HealthResult {
    HealthResult {
        ok: false,
        error: Some(error),
    }
}

fn openai_config(c: &ProviderConfig) -> openai::OpenAIConfig {
    let base_url = c
        .base_url
        .clone()
        .unwrap_or_else(|| openai::DEFAULT_BASE_URL.into());
    openai::OpenAIConfig {
        base_url,
        ..openai::OpenAIConfig::new(ApiKey::new(c.api_key.clone().unwrap_or_default()), &c.model)
    }
}

fn ollama_config(c: &ProviderConfig) -> ollama::OllamaConfig {
    ollama::OllamaConfig::new(
        c.url.clone().unwrap_or_else(|| ollama::DEFAULT_URL.into()),
        &c.model,
    )
}

/// Runs `probe` unless the config cannot even be read; never rejects.
fn guarded(
    config: JsValue,
    fetch_fn: JsValue,
    what: &'static str,
    probe: fn(ProviderConfig, JsHost) -> Promise,
) -> Promise {
    let setup = ProviderConfig::parse(config, what)
        .and_then(|c| JsHost::new(fetch_fn, Logger::none()).map(|host| (c, host)));
    match setup {
        Ok((config, host)) => probe(config, host),
        Err(error) => Promise::resolve(&to_js(&failed(error))),
    }
}

/// The reference's LLM probe: a 1-token chat (OpenAI, Anthropic) or `GET /api/tags` (Ollama).
#[wasm_bindgen(js_name = checkLLMHealth)]
pub fn check_llm_health(config: JsValue, fetch_fn: JsValue) -> Promise {
    guarded(config, fetch_fn, "checkLLMHealth", |c, host| {
        future_to_promise(async move {
            let provider = match c.kind() {
                Ok(Provider::OpenAI) => ChatProvider::OpenAI(openai_config(&c)),
                Ok(Provider::Anthropic) => {
                    let base_url = c
                        .base_url
                        .clone()
                        .unwrap_or_else(|| anthropic::DEFAULT_BASE_URL.into());
                    let key = ApiKey::new(c.api_key.clone().unwrap_or_default());
                    ChatProvider::Anthropic(anthropic::AnthropicConfig {
                        base_url,
                        ..anthropic::AnthropicConfig::new(key, &c.model)
                    })
                }
                Ok(Provider::Ollama) => ChatProvider::Ollama {
                    cfg: ollama_config(&c),
                    max_context_tokens: 0,
                    max_tokens: None,
                },
                Err(e) => return Ok(to_js(&failed(e))),
            };
            Ok(to_js(&HealthResult::from(
                check(&host, Target::Llm(&provider), Depth::Reference, None).await,
            )))
        })
    })
}

/// The reference's embedding probe: one embeddings call (OpenAI) or `GET /api/tags` (Ollama).
#[wasm_bindgen(js_name = checkEmbeddingHealth)]
pub fn check_embedding_health(config: JsValue, fetch_fn: JsValue) -> Promise {
    guarded(config, fetch_fn, "checkEmbeddingHealth", |c, host| {
        future_to_promise(async move {
            let provider = match c.kind() {
                Ok(Provider::OpenAI) => EmbeddingProvider::OpenAI {
                    cfg: openai_config(&c),
                    dimensions: None,
                },
                Ok(Provider::Ollama) => EmbeddingProvider::Ollama(ollama_config(&c)),
                Ok(other) => return Ok(to_js(&failed(unsupported(other).to_string()))),
                Err(e) => return Ok(to_js(&failed(e))),
            };
            Ok(to_js(&HealthResult::from(
                check(&host, Target::Embedding(&provider), Depth::Reference, None).await,
            )))
        })
    })
}
