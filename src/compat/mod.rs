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

/// OpenAI's endpoints that clients reach for by default and the gateway does not serve.
const RESPONSES_NOT_SERVED: &str = "OpenAI's Responses API (/v1/responses) is not served by this gateway: use Chat Completions, POST /v1/chat/completions (openai SDK: client.chat.completions.create; Vercel AI SDK: createOpenAI({ baseURL, apiKey }).chat(model) instead of calling the provider itself). GET /v1/openapi.json describes every route.";
const OTHERS_NOT_SERVED: &str = "This part of OpenAI's API is not served by this gateway; it serves /v1/chat/completions, /v1/embeddings and /v1/models (and its own /v1/chat, /v1/tokens, /v1/batches, /v1/health). GET /v1/openapi.json describes every route.";

/// The answer when `segments` is a compatible route, else `None`.
pub async fn route(req: &mut Request, segments: &[&str], ctx: &Ctx<'_>) -> Option<Response> {
    let (allow, route) = match segments {
        ["v1", "chat", "completions"] => (Method::Post, Route::Chat),
        ["v1", "embeddings"] => (Method::Post, Route::Embeddings),
        ["v1", "models"] => (Method::Get, Route::Models),
        ["v1", "models", rest @ ..] if !rest.is_empty() => {
            (Method::Get, Route::Model(decode(&rest.join("/"))))
        }
        ["v1", "responses", ..] => return Some(not_served(req, ctx, RESPONSES_NOT_SERVED)),
        ["v1", "completions" | "assistants" | "threads" | "images" | "audio" | "moderations"
        | "fine_tuning" | "vector_stores" | "uploads" | "realtime" | "conversations", ..] => {
            return Some(not_served(req, ctx, OTHERS_NOT_SERVED))
        }
        _ => return None,
    };
    if let Err(refused) = authorized(req, ctx) {
        return Some(refused);
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

/// The route's Bearer token checked, or the 401 in OpenAI's shape.
fn authorized(req: &Request, ctx: &Ctx<'_>) -> Result<(), Response> {
    let header = crate::routes::header(req, "authorization");
    auth::check(header.as_deref(), ctx.config.gateway_token.as_deref())
        .map_err(|e| respond::error(&respond::from_api_error(e), ctx.log))
}

/// A part of OpenAI's API the gateway does not serve (after auth, as any route): a 404 in
/// OpenAI's shape that says what to use instead, for the SDKs' `NotFoundError`.
fn not_served(req: &Request, ctx: &Ctx<'_>, message: &str) -> Response {
    authorized(req, ctx).err().unwrap_or_else(|| {
        respond::error(
            &CompatError::new(404, message).with_code("unknown_url"),
            ctx.log,
        )
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
