//! `chatBatch` and `embedBatch`: the core's batch loop, with the reference's shortcuts
//! (`[]` → `[]`; one request and no `existingBatchId` → the sync call) and callbacks.

use crate::chat_providers::ChatCore;
use crate::embedding_providers::EmbeddingCore;
use edge_llm_core::batch::{BatchJob, Outcome, Policy, PollSchedule, ResultSet};
use edge_llm_core::client::batch::BatchDriver;
use edge_llm_core::client::CallOptions;
use edge_llm_core::host::{Host, Level};
use edge_llm_core::message::{
    BatchChatRequest, BatchChatResult, BatchEmbeddingRequest, BatchEmbeddingResult,
};
use edge_llm_core::provider::{BatchApi, BatchInput};
use edge_llm_js_host::{error_message, from_js, js_error, to_js, JsHost};
use js_sys::{Function, Promise, Reflect};
use serde_json::json;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::future_to_promise;

/// The getters every batch class has: `batch` (always true) and `timeoutMs`.
macro_rules! batch_getters {
    ($class:ident) => {
        #[wasm_bindgen]
        impl $class {
            #[wasm_bindgen(getter)]
            pub fn batch(&self) -> bool {
                true
            }

            /// The batch deadline in milliseconds (not an HTTP timeout).
            #[wasm_bindgen(getter, js_name = timeoutMs)]
            pub fn timeout_ms(&self) -> f64 {
                self.batch.schedule.timeout_ms
            }
        }
    };
}
pub(crate) use batch_getters;

/// A batch class's Batch API and schedule.
pub(crate) struct BatchSetup {
    pub api: BatchApi,
    pub schedule: PollSchedule,
}

/// The second argument of `chatBatch` / `embedBatch`.
struct CallbackOptions {
    existing_batch_id: Option<String>,
    on_batch_created: Option<Function>,
}

impl CallbackOptions {
    fn parse(options: &JsValue) -> Result<Self, JsValue> {
        if options.is_undefined() || options.is_null() {
            return Ok(CallbackOptions {
                existing_batch_id: None,
                on_batch_created: None,
            });
        }
        let field = |name: &str| Reflect::get(options, &name.into()).unwrap_or(JsValue::UNDEFINED);
        let id = field("existingBatchId");
        let existing_batch_id = match id.as_string() {
            Some(id) => Some(id),
            None if id.is_undefined() || id.is_null() => None,
            None => return Err(js_error("options.existingBatchId must be a string")),
        };
        Ok(CallbackOptions {
            existing_batch_id,
            on_batch_created: field("onBatchCreated").dyn_into().ok(),
        })
    }
}

/// Runs the batch to its end and returns what the result files hold.
async fn run(
    host: &JsHost,
    setup: &BatchSetup,
    opts: CallOptions,
    input: BatchInput<'_>,
    callbacks: &CallbackOptions,
) -> Result<(Outcome, ResultSet), JsValue> {
    let kind = setup.api.kind();
    let mut job = match &callbacks.existing_batch_id {
        Some(id) => {
            host.log(
                Level::Info,
                "Resuming existing batch",
                json!({"batchId": id}),
            );
            BatchJob::resume(
                kind,
                Policy::Reference,
                setup.schedule,
                id.clone(),
                host.now_ms(),
            )
        }
        None => BatchJob::new(kind, Policy::Reference, setup.schedule, host.now_ms()),
    };
    let driver = BatchDriver::new(host, &setup.api, opts);
    let on_created = |batch_id: &str| {
        let Some(callback) = &callbacks.on_batch_created else {
            return;
        };
        // A throwing callback must not lose a batch that now exists upstream.
        if let Err(thrown) = callback.call1(&JsValue::UNDEFINED, &JsValue::from_str(batch_id)) {
            let meta = json!({"batchId": batch_id, "error": error_message(&thrown)});
            host.log(Level::Error, "onBatchCreated threw", meta);
        }
    };
    driver
        .run(&mut job, input, on_created)
        .await
        .map_err(|e| js_error(&e.to_string()))
}

pub(crate) fn chat_batch(
    core: Rc<ChatCore>,
    setup: Rc<BatchSetup>,
    requests: JsValue,
    options: JsValue,
) -> Promise {
    future_to_promise(async move {
        let requests: Vec<BatchChatRequest> = from_js(requests).map_err(|e| {
            js_error(&format!(
                "requests must be an array of {{id, messages}}: {e}"
            ))
        })?;
        let callbacks = CallbackOptions::parse(&options)?;
        if requests.is_empty() {
            return Ok(to_js(&Vec::<BatchChatResult>::new()));
        }
        if requests.len() == 1 && callbacks.existing_batch_id.is_none() {
            let request = &requests[0];
            let result = core.chat_messages(&request.messages).await?;
            let only = BatchChatResult {
                id: request.id.clone(),
                response: result.response,
                usage: result.usage,
                error: None,
            };
            return Ok(to_js(&[only]));
        }
        let (outcome, results) = run(
            &core.host,
            &setup,
            core.opts,
            BatchInput::Chat(&requests),
            &callbacks,
        )
        .await?;
        Ok(to_js(
            &results.in_order(requests.iter().map(|r| r.id.as_str()), outcome),
        ))
    })
}

/// `embedBatch`: the same shortcuts, with one text embedded directly.
pub(crate) fn embed_batch(
    core: Rc<EmbeddingCore>,
    setup: Rc<BatchSetup>,
    requests: JsValue,
    options: JsValue,
) -> Promise {
    future_to_promise(async move {
        let requests: Vec<BatchEmbeddingRequest> = from_js(requests)
            .map_err(|e| js_error(&format!("requests must be an array of {{id, text}}: {e}")))?;
        let callbacks = CallbackOptions::parse(&options)?;
        if requests.is_empty() {
            return Ok(to_js(&Vec::<BatchEmbeddingResult>::new()));
        }
        if requests.len() == 1 && callbacks.existing_batch_id.is_none() {
            let request = &requests[0];
            let embedding = core
                .embed_texts(std::slice::from_ref(&request.text))
                .await?
                .pop()
                .unwrap_or_default();
            return Ok(to_js(&[BatchEmbeddingResult {
                id: request.id.clone(),
                embedding,
                error: None,
            }]));
        }
        let input = BatchInput::Embeddings(&requests);
        let (outcome, results) = run(&core.host, &setup, core.opts, input, &callbacks).await?;
        let ordered = results.in_order(requests.iter().map(|r| r.id.as_str()), outcome);
        let out: Vec<BatchEmbeddingResult> = ordered
            .into_iter()
            .map(|r| BatchEmbeddingResult {
                id: r.id,
                // A failed item's `response` is `[]`: an empty embedding beside its error.
                embedding: serde_json::from_value(r.response).unwrap_or_default(),
                error: r.error,
            })
            .collect();
        Ok(to_js(&out))
    })
}
