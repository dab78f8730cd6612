//! Health probes: which request checks a provider, and what its answer means.
//!
//! Three depths: [`Depth::Reference`] is exactly what the reference's `checkLLMHealth` /
//! `checkEmbeddingHealth` send (a 1-token call; Ollama `/api/tags`); [`Depth::Free`] costs
//! nothing (`GET /models/{id}`, Ollama `/api/tags` plus "is the model pulled");
//! [`Depth::Deep`] makes a real minimal call, safe for reasoning models.

use crate::error::{AnswerProblem, Error, Op, Operation, Provider};
use crate::http::HttpRequest;
use crate::message::{Message, Role};
use crate::provider::{ChatProvider, EmbeddingProvider};
use crate::{anthropic, ollama, openai};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Depth {
    Reference,
    Free,
    Deep,
}

/// What is checked.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    Llm(&'a ChatProvider),
    Embedding(&'a EmbeddingProvider),
}

impl Target<'_> {
    pub fn op(&self) -> Op {
        match self {
            Target::Llm(p) => Op::new(p.provider(), Operation::LlmHealth),
            Target::Embedding(p) => Op::new(p.provider(), Operation::EmbeddingHealth),
        }
    }

    pub fn model(&self) -> &str {
        match self {
            Target::Llm(p) => p.model(),
            Target::Embedding(p) => p.model(),
        }
    }

    fn ollama(&self) -> Option<&ollama::OllamaConfig> {
        match self {
            Target::Llm(ChatProvider::Ollama { cfg, .. })
            | Target::Embedding(EmbeddingProvider::Ollama(cfg)) => Some(cfg),
            _ => None,
        }
    }
}

/// The probe request.
pub fn probe_request(target: Target<'_>, depth: Depth) -> HttpRequest {
    let hi = [Message::new(Role::User, "hi")];
    match (target, depth) {
        (Target::Llm(ChatProvider::Ollama { cfg, .. }), Depth::Deep) => {
            ollama::chat::chat_request(cfg, &hi, Some(1))
        }
        (Target::Embedding(EmbeddingProvider::Ollama(cfg)), Depth::Deep) => {
            ollama::embed::embed_request(cfg, &["health check".to_string()])
        }
        (t, _) if t.ollama().is_some() => ollama::tags::tags_request(t.ollama().expect("checked")),
        (Target::Llm(ChatProvider::OpenAI(c)), Depth::Free)
        | (Target::Embedding(EmbeddingProvider::OpenAI { cfg: c, .. }), Depth::Free) => {
            openai::models::retrieve_request(c)
        }
        (Target::Llm(ChatProvider::Anthropic(c)), Depth::Free) => {
            anthropic::models::retrieve_request(c)
        }
        (Target::Llm(ChatProvider::OpenAI(c)), _) => openai::chat::probe_request(c),
        (Target::Llm(ChatProvider::Anthropic(c)), _) => anthropic::messages::probe_request(c),
        (Target::Embedding(EmbeddingProvider::OpenAI { cfg, .. }), _) => {
            openai::embeddings::probe_request(cfg)
        }
        (
            Target::Llm(ChatProvider::Ollama { .. })
            | Target::Embedding(EmbeddingProvider::Ollama(_)),
            _,
        ) => {
            unreachable!("Ollama targets are matched above")
        }
    }
}

/// Whether the probe needs its OK body read: the free Ollama probe checks the model list.
pub fn needs_body(target: Target<'_>, depth: Depth) -> bool {
    target.ollama().is_some() && depth == Depth::Free
}

/// Judges an OK probe answer (only called when [`needs_body`] says so).
pub fn judge_body(target: Target<'_>, body: serde_json::Value) -> Result<(), Error> {
    let op = target.op();
    let pulled =
        ollama::tags::parse_tags(body).map_err(|problem| Error::BadAnswer { op, problem })?;
    if ollama::tags::is_pulled(&pulled, target.model()) {
        return Ok(());
    }
    Err(Error::BadAnswer {
        op,
        problem: AnswerProblem::ModelMissing {
            model: target.model().into(),
            available: pulled,
        },
    })
}

/// Anthropic has no embeddings; the reference would probe an Ollama URL instead.
pub fn unsupported(provider: Provider) -> Error {
    Error::InvalidInput {
        provider,
        message: format!("{provider} has no embeddings API"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{ApiKey, Body, Method};

    fn openai(model: &str) -> ChatProvider {
        ChatProvider::OpenAI(openai::OpenAIConfig::new(ApiKey::new("k"), model))
    }

    #[test]
    fn free_probes_cost_nothing() {
        let p = openai("gpt-4o");
        let req = probe_request(Target::Llm(&p), Depth::Free);
        assert_eq!(
            (req.method, req.url.as_str()),
            (Method::Get, "https://api.openai.com/v1/models/gpt-4o")
        );
        let o = ChatProvider::Ollama {
            cfg: ollama::OllamaConfig::new("http://h", "llama3.2"),
            max_context_tokens: 1,
            max_tokens: None,
        };
        assert_eq!(
            probe_request(Target::Llm(&o), Depth::Free).url,
            "http://h/api/tags"
        );
        assert!(needs_body(Target::Llm(&o), Depth::Free));
        assert!(!needs_body(Target::Llm(&o), Depth::Reference));
    }

    #[test]
    fn deep_probes_are_reasoning_model_safe() {
        let p = openai("o3-mini");
        let Body::Json(body) = probe_request(Target::Llm(&p), Depth::Deep).body else {
            panic!()
        };
        assert!(body.contains("\"max_completion_tokens\""), "{body}");
        assert!(!body.contains("\"max_tokens\""), "{body}");
    }

    #[test]
    fn a_missing_ollama_model_is_named() {
        let o = ChatProvider::Ollama {
            cfg: ollama::OllamaConfig::new("http://h", "mistral"),
            max_context_tokens: 1,
            max_tokens: None,
        };
        let err = judge_body(
            Target::Llm(&o),
            serde_json::json!({"models": [{"name": "llama3.2:latest"}]}),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Ollama health check failed: model \"mistral\" is not pulled (available: llama3.2:latest)"
        );
    }
}
