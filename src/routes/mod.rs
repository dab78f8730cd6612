//! Routing, auth and one log line per request. Handlers return `Result<Response, ApiError>`;
//! errors become the contract's JSON shape here, scrubbed of secrets.

pub(crate) mod batch_create;
mod batches;
mod chat;
mod health;
mod tokens;

pub use chat::CHAT_CALL;

use crate::api_error::ApiError;
use crate::auth;
use crate::config::Config;
use crate::cors::{Allowed, Cors};
use crate::log::Log;
use serde::Serialize;
use serde_json::json;
use worker::{Env, Method, Request, Response};

/// What every handler gets.
pub struct Ctx<'a> {
    pub env: &'a Env,
    pub config: &'a Config,
    pub log: &'a Log,
    /// The request's lifetime, for work that must finish even if the client hangs up.
    pub worker: &'a worker::Context,
}

impl Ctx<'_> {
    /// Runs `work` to its end even if the client goes away first.
    pub fn wait_until(&self, work: impl std::future::Future<Output = ()> + 'static) {
        self.worker.wait_until(work);
    }
}

pub async fn handle(mut req: Request, env: Env, worker: worker::Context) -> Response {
    let started = js_sys::Date::now();
    let config = Config::of(&env);
    let path = req.path();
    let log = Log::new(config.secrets())
        .with("method", req.method().to_string())
        .with("path", path.clone());
    let ctx = Ctx {
        env: &env,
        config: &config,
        log: &log,
        worker: &worker,
    };
    let cors = config
        .cors
        .as_ref()
        .and_then(|cors| cross_origin(&req, cors, &log));
    let response = match cors.as_ref().filter(|_| is_preflight(&req)) {
        Some(allowed) => {
            allowed.preflight(header(&req, "access-control-request-headers").as_deref())
        }
        None => {
            let mut response = answer(&mut req, &path, &ctx).await;
            if let Some(allowed) = &cors {
                allowed.expose(&mut response);
            }
            response
        }
    };
    log.info(
        "request",
        json!({"status": response.status_code(), "durationMs": js_sys::Date::now() - started}),
    );
    response
}

/// The route's answer; an error in the contract's JSON shape, logged when it is the gateway's.
async fn answer(req: &mut Request, path: &str, ctx: &Ctx<'_>) -> Response {
    match route(req, path, ctx).await {
        Ok(response) => response,
        Err(error) => {
            if error.status >= 500 {
                ctx.log.write(
                    edge_llm_core::host::Level::Error,
                    "request failed",
                    json!({"status": error.status, "error": error.message}),
                );
            }
            error.into_response(|text| ctx.log.redact(text))
        }
    }
}

/// Whether a browser may read this request's answer (`Origin` allowed by `CORS_ORIGINS`).
/// A refused origin while `CORS_ORIGINS` holds entries that are not origins is logged: the
/// likely cause of a browser's CORS error is then a typo there.
fn cross_origin(req: &Request, cors: &Cors, log: &Log) -> Option<Allowed> {
    let origin = header(req, "origin")?;
    let allowed = cors.allow(&origin);
    if allowed.is_none() && !cors.invalid.is_empty() {
        log.write(
            edge_llm_core::host::Level::Warn,
            "CORS_ORIGINS has entries that are not origins (scheme://host[:port])",
            json!({"origin": origin.chars().take(200).collect::<String>(), "entries": cors.invalid}),
        );
    }
    allowed
}

/// A CORS preflight: asked before a cross-origin call, without its credentials.
fn is_preflight(req: &Request) -> bool {
    req.method() == Method::Options && header(req, "access-control-request-method").is_some()
}

async fn route(req: &mut Request, path: &str, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let method = req.method();
    if segments == ["v1", "health", "live"] {
        return if method == Method::Get {
            reply(200, &json!({"ok": true}))
        } else {
            Err(not_allowed("GET"))
        };
    }
    if segments == ["v1", "openapi.json"] {
        return if method == Method::Get {
            Ok(crate::openapi::document())
        } else {
            Err(not_allowed("GET"))
        };
    }
    if segments.first() != Some(&"v1") {
        return Err(ApiError::not_found(format!("no route {path}")));
    }
    // The OpenAI-compatible routes answer (auth and errors included) in OpenAI's shape.
    if let Some(response) = crate::compat::route(req, &segments, ctx).await {
        return Ok(response);
    }
    let header = header(req, "authorization");
    auth::check(header.as_deref(), ctx.config.gateway_token.as_deref())?;
    match (segments.as_slice(), method) {
        (["v1", "health"], Method::Get) => health::check(req, ctx).await,
        (["v1", "chat"], Method::Post) => chat::chat(req, ctx).await,
        (["v1", "tokens"], Method::Post) => tokens::count(req).await,
        (["v1", "batches"], Method::Post) => batch_create::create(req, ctx).await,
        (["v1", "batches", id], Method::Get) => batches::status(id, ctx).await,
        (["v1", "batches", id, "results"], Method::Get) => batches::results(id, req, ctx).await,
        (["v1", "batches", id, "cancel"], Method::Post) => batches::cancel(id, ctx).await,
        (["v1", "health"] | ["v1", "batches", _], _) => Err(not_allowed("GET")),
        (
            ["v1", "chat"] | ["v1", "tokens"] | ["v1", "batches"] | ["v1", "batches", _, "cancel"],
            _,
        ) => Err(not_allowed("POST")),
        (["v1", "batches", _, "results"], _) => Err(not_allowed("GET")),
        _ => Err(ApiError::not_found(format!("no route {path}"))),
    }
}

/// A request header by a fixed name (its JavaScript string made once per isolate).
pub fn header(req: &Request, name: &'static str) -> Option<String> {
    edge_llm_js_host::header(&req.inner().headers(), name)
}

fn not_allowed(allowed: &'static str) -> ApiError {
    ApiError::method_not_allowed(allowed)
}

/// A JSON answer.
pub fn reply<T: Serialize>(status: u16, value: &T) -> Result<Response, ApiError> {
    Response::from_json(value)
        .map(|r| r.with_status(status))
        .map_err(|e| ApiError::internal(e.to_string()))
}
