//! `GET /v1/health[?deep=1]`: every configured provider checked in parallel, each with a
//! timeout and its latency. The default probes cost nothing; `deep=1` makes the real call.

use super::{reply, Ctx};
use crate::api_error::ApiError;
use crate::config::Configured;
use crate::log::WorkerHost;
use edge_llm_core::client::health::{check as probe, Health};
use edge_llm_core::health::{Depth, Target};
use edge_llm_core::provider::{ChatProvider, EmbeddingProvider};
use futures_util::future::join_all;
use serde_json::{json, Value};
use worker::{Request, Response};

const PROBE_TIMEOUT_MS: u64 = 5_000;

/// One provider to check.
struct Check {
    kind: &'static str,
    provider: String,
    model: String,
    target: Result<Owned, String>,
}

enum Owned {
    Llm(ChatProvider),
    Embedding(EmbeddingProvider),
}

fn check_of<T>(
    kind: &'static str,
    c: &Configured,
    built: Result<T, ApiError>,
    wrap: fn(T) -> Owned,
) -> Check {
    Check {
        kind,
        provider: c
            .provider
            .as_ref()
            .map_or("unknown", |p| p.id())
            .to_string(),
        model: c.model.clone(),
        target: built.map(wrap).map_err(|e| e.message),
    }
}

pub async fn check(req: &Request, ctx: &Ctx<'_>) -> Result<Response, ApiError> {
    let deep = req.url().ok().is_some_and(|u| {
        u.query_pairs()
            .any(|(k, v)| k == "deep" && (v == "1" || v == "true"))
    });
    let depth = if deep { Depth::Deep } else { Depth::Free };
    let mut checks = vec![];
    if let (Some(c), Some(built)) = (&ctx.config.llm, ctx.config.llm_provider()) {
        checks.push(check_of("llm", c, built, Owned::Llm));
    }
    if let (Some(c), Some(built)) = (&ctx.config.embedding, ctx.config.embedding_provider()) {
        checks.push(check_of("embedding", c, built, Owned::Embedding));
    }
    let host = WorkerHost::new(ctx.log.with("step", "health"));
    let providers: Vec<Value> = join_all(checks.iter().map(|c| run(&host, c, depth))).await;
    let ok = providers.iter().all(|p| p["ok"] == true);
    reply(
        if ok { 200 } else { 503 },
        &json!({"ok": ok, "providers": providers}),
    )
}

async fn run(host: &WorkerHost, check: &Check, depth: Depth) -> Value {
    let started = js_sys::Date::now();
    let health = match &check.target {
        Ok(Owned::Llm(p)) => probe(host, Target::Llm(p), depth, Some(PROBE_TIMEOUT_MS)).await,
        Ok(Owned::Embedding(p)) => {
            probe(host, Target::Embedding(p), depth, Some(PROBE_TIMEOUT_MS)).await
        }
        Err(error) => Health {
            ok: false,
            error: Some(error.clone()),
        },
    };
    let mut v = json!({
        "kind": check.kind,
        "provider": check.provider,
        "model": check.model,
        "ok": health.ok,
        "latencyMs": (js_sys::Date::now() - started).round(),
    });
    if let Some(error) = health.error {
        v["error"] = host.log.redact(&error).into();
    }
    v
}
