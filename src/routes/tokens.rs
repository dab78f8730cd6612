//! `POST /v1/tokens`: `{text, model?}` → `{tokens, encoding}`.

use super::reply;
use crate::api_error::ApiError;
use crate::body::{parse, read_text, MIB};
use edge_llm_tokens::Encoding;
use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokensBody {
    text: String,
    #[serde(default)]
    model: Option<String>,
}

pub async fn count(req: &mut Request) -> Result<Response, ApiError> {
    let body: TokensBody = parse(&read_text(req, 4 * MIB).await?)?;
    let encoding = Encoding::for_model(body.model.as_deref().unwrap_or("gpt-4o"));
    reply(
        200,
        &json!({"tokens": encoding.count(&body.text), "encoding": encoding.name()}),
    )
}
