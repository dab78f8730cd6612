//! `POST /v1/embeddings`: OpenAI's request on OpenAI or Ollama. `provider/model` picks the
//! provider; a bare model goes to `EMBEDDING_PROVIDER`.

use super::json_body;
use super::respond::{self, from_api_error};
use super::upstream::AbortableHost;
use crate::body::MIB;
use crate::log::WorkerHost;
use crate::routes::Ctx;
use edge_llm_core::client::{send, CallOptions};
use edge_llm_core::compat::embeddings::prepare_embeddings;
use edge_llm_core::compat::{split_model, CompatError};
use edge_llm_core::error::{Op, Operation};
use edge_llm_core::host::UpstreamResponse;
use edge_llm_core::provider::{ChatProvider, EmbeddingProvider};
use edge_llm_core::retry::RetryPolicy;
use edge_llm_core::Provider;
use worker::{Request, Response};

pub async fn create(req: &mut Request, ctx: &Ctx<'_>) -> Result<Response, CompatError> {
    let body = json_body(req, 4 * MIB).await?;
    let model = match &body["model"] {
        serde_json::Value::String(m) if !m.is_empty() => m.clone(),
        serde_json::Value::Null => return Err(CompatError::missing("model")),
        _ => {
            return Err(CompatError::invalid(
                "model",
                "Invalid 'model': expected a non-empty string.",
            ))
        }
    };
    let provider = embedding_provider(&model, ctx)?;
    let prepared = prepare_embeddings(&provider, body)?;
    let log = ctx
        .log
        .with("provider", provider.provider().id())
        .with("model", provider.model());
    let worker_host = WorkerHost::new(log);
    let host = AbortableHost {
        inner: &worker_host,
    };
    let op = Op::new(provider.provider(), Operation::Embedding);
    let opts = CallOptions {
        retry: RetryPolicy::NONE,
        timeout_ms: ctx.config.call.timeout_ms,
    };
    let upstream = send(&host, &prepared.request, op, opts)
        .await
        .map_err(|e| CompatError::from_upstream(&e))?;
    let text = upstream
        .text()
        .await
        .map_err(|e| respond::unreadable(provider.provider(), e))?;
    let json = prepared
        .parse(&text)
        .map_err(|problem| respond::unusable(provider.provider(), problem))?;
    Ok(respond::json_text(
        200,
        json,
        Some(prepared.provider),
        &prepared.ignored,
    ))
}

/// The provider `model` names (`openai/…`, `ollama/…`), or `EMBEDDING_PROVIDER` for a bare one.
fn embedding_provider(model: &str, ctx: &Ctx<'_>) -> Result<EmbeddingProvider, CompatError> {
    let (prefix, name) = split_model(model);
    let provider = match prefix {
        Some(p) => p,
        None => match ctx.config.embedding.as_ref().map(|c| c.provider.clone()) {
            Some(Ok(p)) => p,
            Some(Err(message)) => return Err(CompatError::new(503, message)),
            None => {
                return Err(CompatError::invalid(
                    "model",
                    format!("This gateway has no EMBEDDING_PROVIDER: name the provider, as in \"openai/{name}\" or \"ollama/{name}\"."),
                )
                .with_code("model_not_available"))
            }
        },
    };
    if provider == Provider::Anthropic {
        return Err(CompatError::invalid(
            "model",
            "Anthropic has no embeddings API; use an openai/ or ollama/ model.",
        )
        .with_code("model_not_available"));
    }
    // The chat configuration carries the credentials and URLs both kinds of call need.
    match ctx
        .config
        .chat_provider(Some(provider.id()), Some(name))
        .map_err(from_api_error)?
    {
        ChatProvider::OpenAI(cfg) => Ok(EmbeddingProvider::OpenAI {
            cfg,
            dimensions: None,
        }),
        ChatProvider::Ollama { cfg, .. } => Ok(EmbeddingProvider::Ollama(cfg)),
        ChatProvider::Anthropic(_) => unreachable!("refused above"),
    }
}
