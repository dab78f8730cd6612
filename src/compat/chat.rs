//! `POST /v1/chat/completions`: the client's request on the provider its `model` names,
//! answered as a `chat.completion`, or streamed (`stream: true`) as SSE chunks.
//!
//! One attempt upstream, no retries: the SDKs retry on their own (twice by default,
//! honouring the `retry-after` this route passes on), and retrying here too would multiply
//! the attempts.

use super::respond::{self, from_api_error};
use super::upstream::AbortableHost;
use super::{json_body, stream};
use crate::body::MIB;
use crate::log::WorkerHost;
use crate::routes::Ctx;
use edge_llm_core::client::{send, CallOptions};
use edge_llm_core::compat::chat::prepare_chat;
use edge_llm_core::compat::response::ChunkHead;
use edge_llm_core::compat::{split_model, CompatError};
use edge_llm_core::error::{Op, Operation};
use edge_llm_core::host::{Host, UpstreamResponse};
use edge_llm_core::retry::RetryPolicy;
use worker::{Request, Response};

/// Images travel inline as base64, so a chat body may be larger than the gateway's own
/// routes take (4 MiB); 16 MiB keeps a request and its translation well inside the isolate.
const BODY_LIMIT: usize = 16 * MIB;

pub async fn completions(req: &mut Request, ctx: &Ctx<'_>) -> Result<Response, CompatError> {
    let body = json_body(req, BODY_LIMIT).await?;
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
    let (prefix, name) = split_model(&model);
    let provider = ctx
        .config
        .chat_provider(prefix.map(|p| p.id()), Some(name))
        .map_err(from_api_error)?;
    let prepared = prepare_chat(&provider, body)?;
    let log = ctx
        .log
        .with("provider", provider.provider().id())
        .with("model", provider.model());
    let worker_host = WorkerHost::new(log.clone());
    let host = AbortableHost {
        inner: &worker_host,
    };
    let head = ChunkHead {
        id: completion_id(&worker_host),
        created: (worker_host.now_ms() / 1000.0) as u64,
        model: provider.model().to_string(),
    };
    let op = Op::new(provider.provider(), Operation::Chat);
    let opts = CallOptions {
        retry: RetryPolicy::NONE,
        timeout_ms: ctx.config.call.timeout_ms,
    };
    let upstream = send(&host, &prepared.request, op, opts)
        .await
        .map_err(|e| CompatError::from_upstream(&e))?;
    if prepared.stream {
        let translator = prepared.translator(head);
        return stream::respond(
            upstream,
            translator,
            ctx.config.call.timeout_ms,
            log,
            prepared.provider,
            &prepared.ignored,
        );
    }
    let text = upstream
        .text()
        .await
        .map_err(|e| respond::unreadable(provider.provider(), e))?;
    let json = prepared
        .parse(&text, head)
        .map_err(|problem| respond::unusable(provider.provider(), problem))?;
    Ok(respond::json_text(
        200,
        json,
        Some(prepared.provider),
        &prepared.ignored,
    ))
}

/// `chatcmpl-` and 24 hex digits, as OpenAI's ids look (the translated providers' answers
/// have none of their own, or Anthropic's `msg_…`, which is kept).
fn completion_id(host: &impl Host) -> String {
    let mut id = String::from("chatcmpl-");
    for _ in 0..24 {
        let digit = (host.random() * 16.0) as u32 % 16;
        id.push(char::from_digit(digit, 16).expect("a hex digit"));
    }
    id
}
