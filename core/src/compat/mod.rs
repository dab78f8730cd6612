//! The OpenAI-compatible API the Worker serves (`/v1/chat/completions`, `/v1/embeddings`,
//! `/v1/models`), as plain data: the request as the official SDKs send it, the answers in
//! OpenAI's shapes, OpenAI's error object, and which provider a `model` names. The
//! per-provider translations live beside each provider's wire format
//! (`anthropic::messages_compat`, `ollama::chat_compat`, their `*_stream` modules);
//! [`chat`] and [`embeddings`] pick one for a configured provider.
//!
//! What happens to a field a provider cannot honour is decided once, here and in those
//! modules: a field whose absence would change the *shape* of the answer the client reads
//! (`n > 1`, `logprobs`, audio) is refused with a 400 naming it; a field that only tunes or
//! labels the call (`seed` for Anthropic, `logit_bias`, `store`, …) is left out and named in
//! [`chat::PreparedChat::ignored`], which the Worker returns as a response header.

pub mod chat;
pub mod embeddings;
pub mod error;
pub mod models;
pub mod request;
pub mod response;
pub mod stream;

pub use error::CompatError;

use crate::Provider;

/// The provider a `model` names, and the model name upstream knows: `anthropic/claude-…` →
/// (Anthropic, `claude-…`). Only a known provider's name is a prefix, so model names that
/// contain `/` themselves (`ollama/hf.co/org/model`, `org/model` on a compatible server) keep
/// the rest whole. No prefix → `None`: the gateway's configured provider.
pub fn split_model(model: &str) -> (Option<Provider>, &str) {
    match model.split_once('/') {
        Some((prefix, rest)) if !rest.is_empty() => match Provider::from_id(prefix) {
            Some(provider) => (Some(provider), rest),
            None => (None, model),
        },
        _ => (None, model),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_prefix_names_the_provider() {
        assert_eq!(
            split_model("anthropic/claude-sonnet-4-5"),
            (Some(Provider::Anthropic), "claude-sonnet-4-5")
        );
        assert_eq!(
            split_model("ollama/hf.co/org/model:Q4"),
            (Some(Provider::Ollama), "hf.co/org/model:Q4")
        );
        assert_eq!(
            split_model("openai/gpt-4o"),
            (Some(Provider::OpenAI), "gpt-4o")
        );
        assert_eq!(split_model("gpt-4o"), (None, "gpt-4o"));
        assert_eq!(split_model("meta/llama-3"), (None, "meta/llama-3"));
        assert_eq!(split_model("openai/"), (None, "openai/"));
        assert_eq!(split_model("OpenAI/gpt-4o"), (None, "OpenAI/gpt-4o"));
    }
}
