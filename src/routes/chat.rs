//! `POST /v1/chat`: `{messages, provider?, model?}` → `{response, usage, provider, model}`,
//! with retries (2, backoff with jitter, honouring retry-after) and a timeout (→ 504).

use super::{reply, Ctx};
use crate::api_error::ApiError;
use crate::body::{parse, read_text, MIB};
use crate::log::WorkerHost;
use edge_llm_core::client::{chat, CallOptions};
use edge_llm_core::lint::lint_messages;
use edge_llm_core::message::{Message, TokenUsage};
use edge_llm_core::retry::RetryPolicy;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{Request, Response};

/// What a sync call through the Worker may take (the timeout is `Config::call`'s).
pub const CHAT_CALL: CallOptions = CallOptions {
    retry: RetryPolicy { max_retries: 2 },
    timeout_ms: Some(60_000),
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChatBody {
    messages: Vec<Message>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    model: Option<String>,
}

pub async fn chat(req: &mut Request, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let body: ChatBody = parse(&read_text(req, 4 * MIB).await?)?;
    let provider = ctx
        .config
        .chat_provider(body.provider.as_deref(), body.model.as_deref())?;
    lint_messages(provider.provider(), &body.messages, "messages")?;
    let host = WorkerHost::new(ctx.log.with("provider", provider.provider().id()));
    let result = chat::chat(&host, &provider, &body.messages, ctx.config.call)
        .await
        .map_err(|e| ApiError::upstream(&e))?;
    let answer = ChatAnswer {
        response: &result.response,
        usage: result.usage,
        provider: provider.provider().id(),
        model: provider.model(),
    };
    reply(200, &answer)
}

/// The answer, serialized straight from the result (no intermediate `Value`).
#[derive(Serialize)]
struct ChatAnswer<'a> {
    response: &'a Value,
    usage: TokenUsage,
    provider: &'static str,
    model: &'a str,
}
