//! The chat provider classes: `OpenAIChatProvider`, `OpenAIBatchChatProvider`,
//! `AnthropicChatProvider`, `AnthropicBatchChatProvider`, `OllamaChatProvider`.

use crate::batch_call::{self, BatchSetup};
use crate::options::Options;
use edge_llm_core::client::{self, CallOptions};
use edge_llm_core::message::Message;
use edge_llm_core::openai::batches::BatchEndpoint;
use edge_llm_core::provider::{BatchApi, ChatProvider};
use edge_llm_core::{anthropic, ollama, openai};
use edge_llm_js_host::{from_js, js_error, to_js, JsHost};
use js_sys::Promise;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// What every chat class holds.
pub(crate) struct ChatCore {
    pub host: JsHost,
    pub provider: ChatProvider,
    pub opts: CallOptions,
}

impl ChatCore {
    pub(crate) fn chat(self: &Rc<Self>, messages: JsValue) -> Promise {
        let core = Rc::clone(self);
        future_to_promise(async move {
            let messages = parse_messages(messages)?;
            core.chat_messages(&messages).await.map(|r| to_js(&r))
        })
    }

    pub(crate) async fn chat_messages(
        &self,
        messages: &[Message],
    ) -> Result<edge_llm_core::message::ChatResult, JsValue> {
        client::chat::chat(&self.host, &self.provider, messages, self.opts)
            .await
            .map_err(|e| js_error(&e.to_string()))
    }
}

pub(crate) fn parse_messages(messages: JsValue) -> Result<Vec<Message>, JsValue> {
    from_js(messages).map_err(|e| {
        js_error(&format!(
            "messages must be an array of {{role, content}}: {e}"
        ))
    })
}

fn openai_config(class: &str, o: &Options) -> Result<openai::OpenAIConfig, JsValue> {
    Ok(openai::OpenAIConfig {
        api_key: o.api_key(),
        model: o.model(class)?,
        base_url: o.base_url(openai::DEFAULT_BASE_URL),
        max_tokens: o.raw.max_tokens.unwrap_or(openai::DEFAULT_MAX_TOKENS),
    })
}

fn anthropic_config(class: &str, o: &Options) -> Result<anthropic::AnthropicConfig, JsValue> {
    Ok(anthropic::AnthropicConfig {
        api_key: o.api_key(),
        model: o.model(class)?,
        base_url: o.base_url(anthropic::DEFAULT_BASE_URL),
        max_tokens: o.raw.max_tokens.unwrap_or(anthropic::DEFAULT_MAX_TOKENS),
    })
}

fn core(o: Options, provider: ChatProvider) -> Rc<ChatCore> {
    let opts = o.call_options();
    Rc::new(ChatCore {
        host: o.host,
        provider,
        opts,
    })
}

macro_rules! chat_methods {
    ($class:ident) => {
        #[wasm_bindgen]
        impl $class {
            /// The model's context window.
            #[wasm_bindgen(getter, js_name = maxContextTokens)]
            pub fn max_context_tokens(&self) -> u32 {
                self.core.provider.max_context_tokens()
            }

            /// The encoding `countTokens` counts with (OpenAI: the model's; others: an
            /// o200k_base estimate). `countTokens` itself lives in the token module
            /// (npm/js/surface.js), so this module carries no vocabulary.
            #[wasm_bindgen(getter, js_name = tokenEncoding)]
            pub fn token_encoding(&self) -> String {
                self.core.provider.encoding().name().to_string()
            }

            /// One JSON-mode chat call.
            pub fn chat(&self, messages: JsValue) -> Promise {
                self.core.chat(messages)
            }
        }
    };
}

macro_rules! batch_methods {
    ($class:ident) => {
        batch_call::batch_getters!($class);

        #[wasm_bindgen]
        impl $class {
            /// Sends `requests` through the Batch API and returns their results in input order.
            #[wasm_bindgen(js_name = chatBatch)]
            pub fn chat_batch(&self, requests: JsValue, options: JsValue) -> Promise {
                batch_call::chat_batch(
                    Rc::clone(&self.core),
                    Rc::clone(&self.batch),
                    requests,
                    options,
                )
            }
        }
    };
}

#[wasm_bindgen]
pub struct OpenAIChatProvider {
    pub(crate) core: Rc<ChatCore>,
}

#[wasm_bindgen]
impl OpenAIChatProvider {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<OpenAIChatProvider, JsValue> {
        let o = Options::parse("OpenAIChatProvider", &options)?;
        let cfg = openai_config("OpenAIChatProvider", &o)?;
        Ok(OpenAIChatProvider {
            core: core(o, ChatProvider::OpenAI(cfg)),
        })
    }
}
chat_methods!(OpenAIChatProvider);

#[wasm_bindgen]
pub struct OpenAIBatchChatProvider {
    pub(crate) core: Rc<ChatCore>,
    pub(crate) batch: Rc<BatchSetup>,
}

#[wasm_bindgen]
impl OpenAIBatchChatProvider {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<OpenAIBatchChatProvider, JsValue> {
        let o = Options::parse("OpenAIBatchChatProvider", &options)?;
        let cfg = openai_config("OpenAIBatchChatProvider", &o)?;
        let api = BatchApi::OpenAI {
            cfg: cfg.clone(),
            endpoint: BatchEndpoint::ChatCompletions,
            dimensions: None,
        };
        let batch = Rc::new(BatchSetup {
            api,
            schedule: o.schedule(),
        });
        Ok(OpenAIBatchChatProvider {
            core: core(o, ChatProvider::OpenAI(cfg)),
            batch,
        })
    }
}
chat_methods!(OpenAIBatchChatProvider);
batch_methods!(OpenAIBatchChatProvider);

#[wasm_bindgen]
pub struct AnthropicChatProvider {
    pub(crate) core: Rc<ChatCore>,
}

#[wasm_bindgen]
impl AnthropicChatProvider {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<AnthropicChatProvider, JsValue> {
        let o = Options::parse("AnthropicChatProvider", &options)?;
        let cfg = anthropic_config("AnthropicChatProvider", &o)?;
        Ok(AnthropicChatProvider {
            core: core(o, ChatProvider::Anthropic(cfg)),
        })
    }
}
chat_methods!(AnthropicChatProvider);

#[wasm_bindgen]
pub struct AnthropicBatchChatProvider {
    pub(crate) core: Rc<ChatCore>,
    pub(crate) batch: Rc<BatchSetup>,
}

#[wasm_bindgen]
impl AnthropicBatchChatProvider {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<AnthropicBatchChatProvider, JsValue> {
        let o = Options::parse("AnthropicBatchChatProvider", &options)?;
        let cfg = anthropic_config("AnthropicBatchChatProvider", &o)?;
        let batch = Rc::new(BatchSetup {
            api: BatchApi::Anthropic(cfg.clone()),
            schedule: o.schedule(),
        });
        Ok(AnthropicBatchChatProvider {
            core: core(o, ChatProvider::Anthropic(cfg)),
            batch,
        })
    }
}
chat_methods!(AnthropicBatchChatProvider);
batch_methods!(AnthropicBatchChatProvider);

#[wasm_bindgen]
pub struct OllamaChatProvider {
    pub(crate) core: Rc<ChatCore>,
}

#[wasm_bindgen]
impl OllamaChatProvider {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<OllamaChatProvider, JsValue> {
        let o = Options::parse("OllamaChatProvider", &options)?;
        let mut cfg = ollama::OllamaConfig::new(
            o.raw
                .url
                .clone()
                .unwrap_or_else(|| ollama::DEFAULT_URL.into()),
            o.model("OllamaChatProvider")?,
        );
        cfg.api_key = o.api_key();
        let provider = ChatProvider::Ollama {
            cfg,
            max_context_tokens: o
                .raw
                .max_context_tokens
                .unwrap_or(ollama::DEFAULT_MAX_CONTEXT_TOKENS),
            max_tokens: o.raw.max_tokens,
        };
        Ok(OllamaChatProvider {
            core: core(o, provider),
        })
    }
}
chat_methods!(OllamaChatProvider);
