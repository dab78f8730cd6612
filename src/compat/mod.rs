//! The OpenAI-compatible routes: an application on the official SDKs (`openai`, the Vercel
//! AI SDK's OpenAI provider, LangChain, …) changes only its base URL to use the gateway.
//!
//! | route | |
//! |---|---|
//! | `POST /v1/chat/completions` | OpenAI's request; `provider/model` picks the provider; streamed as SSE chunks |
//! | `POST /v1/embeddings` | OpenAI's request; OpenAI or Ollama behind it |
//! | `GET /v1/models`, `GET /v1/models/{id}` | the models this gateway is configured for |
//!
//! Same Bearer token as every `/v1` route; every error is OpenAI's `{error: {message, type,
//! param, code}}`. The translations themselves are the core's (`edge_llm_core::compat`).

mod chat;
mod embeddings;
mod models;
mod respond;
mod stream;
mod upstream;

use crate::auth;
use crate::routes::Ctx;
use edge_llm_core::compat::CompatError;
use edge_llm_core::host::Level;
use serde_json::json;
use worker::{Method, Request, Response};

enum Route {
    Chat,
    Embeddings,
    Models,
    Model(String),
}

/// The answer when `segments` is a compatible route, else `None`.
pub async fn route(req: &mut Request, segments: &[&str], ctx: &Ctx<'_>) -> Option<Response> {
    let (allow, route) = match segments {
        ["v1", "chat", "completions"] => (Method::Post, Route::Chat),
        ["v1", "embeddings"] => (Method::Post, Route::Embeddings),
        ["v1", "models"] => (Method::Get, Route::Models),
        ["v1", "models", rest @ ..] if !rest.is_empty() => {
            (Method::Get, Route::Model(decode(&rest.join("/"))))
        }
        _ => return None,
    };
    let header = crate::routes::header(req, "authorization");
    if let Err(e) = auth::check(header.as_deref(), ctx.config.gateway_token.as_deref()) {
        return Some(respond::error(&respond::from_api_error(e), ctx.log));
    }
    if req.method() != allow {
        return Some(respond::not_allowed(allow.as_ref(), ctx.log));
    }
    let result = match route {
        Route::Chat => chat::completions(req, ctx).await,
        Route::Embeddings => embeddings::create(req, ctx).await,
        Route::Models => models::list(ctx),
        Route::Model(id) => models::retrieve(&id, ctx),
    };
    Some(match result {
        Ok(response) => response,
        Err(e) => {
            if e.status >= 500 {
                let message = ctx.log.redact(&e.message);
                ctx.log.write(
                    Level::Error,
                    "request failed",
                    json!({"status": e.status, "error": message}),
                );
            }
            respond::error(&e, ctx.log)
        }
    })
}

/// A path segment's `%XX` escapes decoded (the SDKs escape the `/` in `provider/model`).
fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The request body as JSON (a 400 in OpenAI's shape when it is not), at most `limit` bytes.
async fn json_body(req: &mut Request, limit: usize) -> Result<serde_json::Value, CompatError> {
    let text = crate::body::read_text(req, limit)
        .await
        .map_err(respond::from_api_error)?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        CompatError::invalid(
            "body",
            format!("We could not parse the JSON body of your request: {e}."),
        )
    })?;
    if !value.is_object() {
        return Err(CompatError::invalid(
            "body",
            "The request body must be a JSON object.",
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaped_model_ids_are_decoded() {
        assert_eq!(
            super::decode("anthropic%2Fclaude-sonnet-4-5"),
            "anthropic/claude-sonnet-4-5"
        );
        assert_eq!(super::decode("a%zz%2"), "a%zz%2");
        assert_eq!(
            super::decode("ollama/llama3.2%3Alatest"),
            "ollama/llama3.2:latest"
        );
    }
}
