//! `GET /v1/models` and `GET /v1/models/{id}`: the chat model (`LLM_*`), the embedding model
//! (`EMBEDDING_*`) and the `MODELS` var's list (`provider/model` entries, comma or space
//! separated), each as `provider/model`. Answered from configuration, without calling
//! upstream: listing what the gateway is set up for, not what a provider happens to have.

use super::respond;
use crate::routes::Ctx;
use edge_llm_core::compat::models::{model_list, parse_models, ModelEntry};
use edge_llm_core::compat::CompatError;
use worker::Response;

fn entries(ctx: &Ctx<'_>) -> Vec<ModelEntry> {
    let configured = [&ctx.config.llm, &ctx.config.embedding];
    let mut out: Vec<ModelEntry> = configured
        .into_iter()
        .flatten()
        .filter(|c| !c.model.is_empty())
        .filter_map(|c| {
            c.provider.clone().ok().map(|provider| ModelEntry {
                provider,
                model: c.model.clone(),
            })
        })
        .collect();
    let default = ctx
        .config
        .llm
        .as_ref()
        .and_then(|c| c.provider.clone().ok());
    if let Ok(extra) = ctx.env.var("MODELS") {
        out.extend(parse_models(&extra.to_string(), default));
    }
    out
}

pub fn list(ctx: &Ctx<'_>) -> Result<Response, CompatError> {
    Ok(respond::json_text(
        200,
        model_list(&entries(ctx)).to_string(),
        None,
        &[],
    ))
}

pub fn retrieve(id: &str, ctx: &Ctx<'_>) -> Result<Response, CompatError> {
    match entries(ctx).into_iter().find(|e| e.id() == id) {
        Some(entry) => Ok(respond::json_text(
            200,
            entry.to_json().to_string(),
            None,
            &[],
        )),
        None => Err(CompatError::new(
            404,
            format!("The model '{id}' is not configured on this gateway (see GET /v1/models)."),
        )
        .with_param("model")
        .with_code("model_not_found")),
    }
}
