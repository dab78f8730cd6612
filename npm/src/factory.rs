//! `ServiceFactory`: builds the provider class a config names, through the classes' own
//! constructors (so a factory-built provider is exactly a hand-built one).

use crate::chat_providers::{
    AnthropicBatchChatProvider, AnthropicChatProvider, OllamaChatProvider, OpenAIBatchChatProvider,
    OpenAIChatProvider,
};
use crate::embedding_providers::{
    OllamaEmbeddingProvider, OpenAIBatchEmbeddingProvider, OpenAIEmbeddingProvider,
};
use edge_llm_core::Provider;
use edge_llm_js_host::{from_js, js_error, Logger};
use js_sys::{Object, Reflect};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

/// One provider's configuration (the contract's `ProviderConfig`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProviderConfig {
    pub provider: String,
    #[serde(default)]
    pub url: Option<String>,
    pub model: String,
    #[serde(default)]
    pub api_key: Option<String>,
    #[serde(default)]
    pub batch: Option<bool>,
    #[serde(default)]
    pub base_url: Option<String>,
}

impl ProviderConfig {
    pub(crate) fn parse(value: JsValue, what: &str) -> Result<ProviderConfig, String> {
        from_js(value).map_err(|e| format!("{what}: invalid provider config: {e}"))
    }

    /// The provider, or an error that lists the known ones.
    pub(crate) fn kind(&self) -> Result<Provider, String> {
        Provider::from_id(&self.provider).ok_or_else(|| {
            let known: Vec<&str> = Provider::ALL.iter().map(|p| p.id()).collect();
            format!(
                "Unknown provider {:?} (known: {})",
                self.provider,
                known.join(", ")
            )
        })
    }
}

#[derive(Deserialize)]
struct FactoryConfig {
    llm: JsValueField,
    #[serde(default)]
    embedding: Option<JsValueField>,
}

/// Lets serde pass a nested object through untouched.
#[derive(Deserialize)]
#[serde(transparent)]
struct JsValueField(#[serde(with = "serde_wasm_bindgen::preserve")] JsValue);

#[wasm_bindgen]
pub struct ServiceFactory {
    llm: ProviderConfig,
    embedding: Option<ProviderConfig>,
    fetch_fn: JsValue,
    logger: Logger,
}

#[wasm_bindgen]
impl ServiceFactory {
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, opts: JsValue) -> Result<ServiceFactory, JsValue> {
        let config: FactoryConfig = from_js(config).map_err(|e| {
            js_error(&format!(
                "ServiceFactory: config must be {{llm, embedding?}}: {e}"
            ))
        })?;
        let llm = ProviderConfig::parse(config.llm.0, "ServiceFactory config.llm")
            .map_err(|e| js_error(&e))?;
        let embedding = config
            .embedding
            .map(|e| ProviderConfig::parse(e.0, "ServiceFactory config.embedding"))
            .transpose()
            .map_err(|e| js_error(&e))?;
        let field = |name: &str| {
            if opts.is_object() {
                Reflect::get(&opts, &name.into()).unwrap_or(JsValue::UNDEFINED)
            } else {
                JsValue::UNDEFINED
            }
        };
        Ok(ServiceFactory {
            llm,
            embedding,
            fetch_fn: field("fetchFn"),
            logger: Logger::new(field("logger")),
        })
    }

    /// The chat provider `config.llm` names.
    #[wasm_bindgen(js_name = createLLMProvider)]
    pub fn create_llm_provider(&self) -> Result<JsValue, JsValue> {
        let c = &self.llm;
        let batch = c.batch.unwrap_or(false);
        Ok(match (c.kind().map_err(|e| js_error(&e))?, batch) {
            (Provider::OpenAI, false) => OpenAIChatProvider::new(self.options(c, None))?.into(),
            (Provider::OpenAI, true) => {
                OpenAIBatchChatProvider::new(self.options(c, Some("openai-batch-chat")))?.into()
            }
            (Provider::Anthropic, false) => {
                AnthropicChatProvider::new(self.options(c, None))?.into()
            }
            (Provider::Anthropic, true) => {
                AnthropicBatchChatProvider::new(self.options(c, Some("anthropic-batch-chat")))?
                    .into()
            }
            (Provider::Ollama, _) => OllamaChatProvider::new(self.options(c, None))?.into(),
        })
    }

    /// The embedding provider `config.embedding` names.
    #[wasm_bindgen(js_name = createEmbeddingProvider)]
    pub fn create_embedding_provider(&self) -> Result<JsValue, JsValue> {
        let c = self.embedding.as_ref().ok_or_else(|| {
            js_error("ServiceFactory: no embedding provider configured (config.embedding)")
        })?;
        Ok(
            match (
                c.kind().map_err(|e| js_error(&e))?,
                c.batch.unwrap_or(false),
            ) {
                (Provider::OpenAI, false) => {
                    OpenAIEmbeddingProvider::new(self.options(c, None))?.into()
                }
                (Provider::OpenAI, true) => OpenAIBatchEmbeddingProvider::new(
                    self.options(c, Some("openai-batch-embedding")),
                )?
                .into(),
                (Provider::Ollama, _) => {
                    OllamaEmbeddingProvider::new(self.options(c, None))?.into()
                }
                (Provider::Anthropic, _) => {
                    return Err(js_error(
                        "Anthropic has no embeddings API (embedding providers: openai, ollama)",
                    ))
                }
            },
        )
    }
}

impl ServiceFactory {
    /// The constructor options for `config`; batch providers get a child logger, as in the
    /// reference.
    fn options(&self, config: &ProviderConfig, child_logger: Option<&str>) -> JsValue {
        let o = Object::new();
        let set = |k: &str, v: JsValue| {
            if !v.is_undefined() {
                let _ = Reflect::set(&o, &k.into(), &v);
            }
        };
        set(
            "apiKey",
            config
                .api_key
                .clone()
                .map_or(JsValue::UNDEFINED, Into::into),
        );
        set("model", config.model.clone().into());
        set(
            "baseUrl",
            config
                .base_url
                .clone()
                .map_or(JsValue::UNDEFINED, Into::into),
        );
        set(
            "url",
            config.url.clone().map_or(JsValue::UNDEFINED, Into::into),
        );
        set("fetchFn", self.fetch_fn.clone());
        if let Some(name) = child_logger {
            set("logger", self.logger.child(name).js());
        }
        o.into()
    }
}
