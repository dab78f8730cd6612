//! `GET /v1/models`: the models this gateway is configured for, in OpenAI's list shape, each
//! named as the compatible routes take it (`provider/model`).

use crate::Provider;
use serde_json::{json, Value};

/// One advertised model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelEntry {
    pub provider: Provider,
    pub model: String,
}

impl ModelEntry {
    /// The id clients send back: `anthropic/claude-…`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.provider.id(), self.model)
    }

    /// OpenAI's model object. `created` is 0: the gateway does not know when upstream made
    /// the model, and inventing a date would be worse than saying nothing.
    pub fn to_json(&self) -> Value {
        json!({"id": self.id(), "object": "model", "created": 0, "owned_by": self.provider.id()})
    }
}

/// Reads a `MODELS` var: `provider/model` entries separated by commas or whitespace; an
/// entry without a provider prefix is `default`'s (skipped when there is none).
pub fn parse_models(text: &str, default: Option<Provider>) -> Vec<ModelEntry> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .filter_map(|entry| match super::split_model(entry) {
            (Some(provider), model) => Some(ModelEntry {
                provider,
                model: model.to_string(),
            }),
            (None, model) => default.map(|provider| ModelEntry {
                provider,
                model: model.to_string(),
            }),
        })
        .collect()
}

/// The list answer, each model once, in the order given.
pub fn model_list(entries: &[ModelEntry]) -> Value {
    let mut seen: Vec<&ModelEntry> = vec![];
    let data: Vec<Value> = entries
        .iter()
        .filter(|e| {
            let new = !seen.contains(e);
            seen.push(e);
            new
        })
        .map(ModelEntry::to_json)
        .collect();
    json!({"object": "list", "data": data})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_models_as_the_routes_take_them() {
        let mut entries = vec![
            ModelEntry {
                provider: Provider::OpenAI,
                model: "gpt-4o-mini".into(),
            },
            ModelEntry {
                provider: Provider::OpenAI,
                model: "text-embedding-3-small".into(),
            },
        ];
        entries.extend(parse_models(
            "anthropic/claude-sonnet-4-5, ollama/llama3.2\n gpt-4o-mini  bogus/x",
            Some(Provider::OpenAI),
        ));
        let list = model_list(&entries);
        let ids: Vec<&str> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids,
            [
                "openai/gpt-4o-mini",
                "openai/text-embedding-3-small",
                "anthropic/claude-sonnet-4-5",
                "ollama/llama3.2",
                "openai/bogus/x"
            ]
        );
        assert_eq!(
            list["data"][2],
            json!({"id": "anthropic/claude-sonnet-4-5", "object": "model", "created": 0, "owned_by": "anthropic"})
        );
        assert!(parse_models("x", None).is_empty());
    }
}
