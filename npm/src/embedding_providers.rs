//! The embedding classes: `OpenAIEmbeddingProvider`, `OllamaEmbeddingProvider`,
//! `OpenAIBatchEmbeddingProvider`.

use crate::batch_call::{self, BatchSetup};
use crate::options::Options;
use edge_llm_core::client::{self, CallOptions};
use edge_llm_core::openai::batches::BatchEndpoint;
use edge_llm_core::provider::{known_embedding_dimensions, BatchApi, EmbeddingProvider};
use edge_llm_core::{ollama, openai};
use edge_llm_js_host::{from_js, js_error, to_js, JsHost};
use js_sys::Promise;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

/// What every embedding class holds.
pub(crate) struct EmbeddingCore {
    pub host: JsHost,
    pub provider: EmbeddingProvider,
    pub opts: CallOptions,
    pub dimensions: u32,
}

impl EmbeddingCore {
    pub(crate) async fn embed_texts(&self, texts: &[String]) -> Result<Vec<Vec<f64>>, JsValue> {
        client::embed::embed(&self.host, &self.provider, texts, self.opts)
            .await
            .map_err(|e| js_error(&e.to_string()))
    }

    fn embed(self: &Rc<Self>, texts: JsValue) -> Promise {
        let core = Rc::clone(self);
        future_to_promise(async move {
            let texts: Vec<String> = from_js(texts)
                .map_err(|e| js_error(&format!("texts must be an array of strings: {e}")))?;
            core.embed_texts(&texts).await.map(|v| to_js(&v))
        })
    }
}

fn openai_provider(class: &str, o: &Options) -> Result<(EmbeddingProvider, u32), JsValue> {
    let model = o.model(class)?;
    let dimensions = o
        .raw
        .dimensions
        .or_else(|| known_embedding_dimensions(&model))
        .unwrap_or(1536);
    let cfg = openai::OpenAIConfig {
        base_url: o.base_url(openai::DEFAULT_BASE_URL),
        ..openai::OpenAIConfig::new(o.api_key(), model)
    };
    Ok((
        EmbeddingProvider::OpenAI {
            cfg,
            dimensions: o.raw.dimensions,
        },
        dimensions,
    ))
}

fn core(o: Options, provider: EmbeddingProvider, dimensions: u32) -> Rc<EmbeddingCore> {
    let opts = o.call_options();
    Rc::new(EmbeddingCore {
        host: o.host,
        provider,
        opts,
        dimensions,
    })
}

macro_rules! embedding_methods {
    ($class:ident) => {
        #[wasm_bindgen]
        impl $class {
            /// The length of the vectors.
            #[wasm_bindgen(getter)]
            pub fn dimensions(&self) -> u32 {
                self.core.dimensions
            }

            /// One vector per text, in order.
            pub fn embed(&self, texts: JsValue) -> Promise {
                self.core.embed(texts)
            }

            /// The encoding `countTokens` counts with (see the chat classes).
            #[wasm_bindgen(getter, js_name = tokenEncoding)]
            pub fn token_encoding(&self) -> String {
                self.core.provider.encoding().name().to_string()
            }
        }
    };
}

#[wasm_bindgen]
pub struct OpenAIEmbeddingProvider {
    pub(crate) core: Rc<EmbeddingCore>,
}

#[wasm_bindgen]
impl OpenAIEmbeddingProvider {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<OpenAIEmbeddingProvider, JsValue> {
        let o = Options::parse("OpenAIEmbeddingProvider", &options)?;
        let (provider, dimensions) = openai_provider("OpenAIEmbeddingProvider", &o)?;
        Ok(OpenAIEmbeddingProvider {
            core: core(o, provider, dimensions),
        })
    }
}
embedding_methods!(OpenAIEmbeddingProvider);

#[wasm_bindgen]
pub struct OllamaEmbeddingProvider {
    pub(crate) core: Rc<EmbeddingCore>,
}

#[wasm_bindgen]
impl OllamaEmbeddingProvider {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<OllamaEmbeddingProvider, JsValue> {
        let o = Options::parse("OllamaEmbeddingProvider", &options)?;
        let model = o.model("OllamaEmbeddingProvider")?;
        let dimensions = o
            .raw
            .dimensions
            .or_else(|| known_embedding_dimensions(&model))
            .unwrap_or(768);
        let mut cfg = ollama::OllamaConfig::new(
            o.raw
                .url
                .clone()
                .unwrap_or_else(|| ollama::DEFAULT_URL.into()),
            model,
        );
        cfg.api_key = o.api_key();
        Ok(OllamaEmbeddingProvider {
            core: core(o, EmbeddingProvider::Ollama(cfg), dimensions),
        })
    }
}
embedding_methods!(OllamaEmbeddingProvider);

#[wasm_bindgen]
pub struct OpenAIBatchEmbeddingProvider {
    pub(crate) core: Rc<EmbeddingCore>,
    batch: Rc<BatchSetup>,
}

#[wasm_bindgen]
impl OpenAIBatchEmbeddingProvider {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<OpenAIBatchEmbeddingProvider, JsValue> {
        let o = Options::parse("OpenAIBatchEmbeddingProvider", &options)?;
        let (provider, dimensions) = openai_provider("OpenAIBatchEmbeddingProvider", &o)?;
        let EmbeddingProvider::OpenAI {
            cfg,
            dimensions: sent,
        } = &provider
        else {
            unreachable!("built as OpenAI")
        };
        let api = BatchApi::OpenAI {
            cfg: cfg.clone(),
            endpoint: BatchEndpoint::Embeddings,
            dimensions: *sent,
        };
        let batch = Rc::new(BatchSetup {
            api,
            schedule: o.schedule(),
        });
        Ok(OpenAIBatchEmbeddingProvider {
            core: core(o, provider, dimensions),
            batch,
        })
    }

    /// Embeds `requests` (`{id, text}`) through the Batch API, results in input order.
    #[wasm_bindgen(js_name = embedBatch)]
    pub fn embed_batch(&self, requests: JsValue, options: JsValue) -> Promise {
        batch_call::embed_batch(
            Rc::clone(&self.core),
            Rc::clone(&self.batch),
            requests,
            options,
        )
    }
}
embedding_methods!(OpenAIBatchEmbeddingProvider);
batch_call::batch_getters!(OpenAIBatchEmbeddingProvider);
