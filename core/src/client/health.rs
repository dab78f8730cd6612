//! Health checks: never throw, always say why.

use super::{read_json, send, CallOptions};
use crate::health::{judge_body, needs_body, probe_request, Depth, Target};
use crate::host::Host;

/// The answer of `checkLLMHealth` / `checkEmbeddingHealth`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    pub ok: bool,
    pub error: Option<String>,
}

/// Probes `target`; any failure becomes `ok: false` with the contract's message.
pub async fn check<H: Host>(
    host: &H,
    target: Target<'_>,
    depth: Depth,
    timeout_ms: Option<u64>,
) -> Health {
    let op = target.op();
    let opts = CallOptions {
        timeout_ms,
        ..CallOptions::default()
    };
    let outcome = async {
        let response = send(host, &probe_request(target, depth), op, opts).await?;
        if needs_body(target, depth) {
            judge_body(target, read_json(response, op).await?)?;
        }
        Ok::<(), crate::Error>(())
    }
    .await;
    match outcome {
        Ok(()) => Health {
            ok: true,
            error: None,
        },
        Err(e) => Health {
            ok: false,
            error: Some(e.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::fake_host::{FakeHost, Reply};
    use crate::http::{ApiKey, Method};
    use crate::ollama::OllamaConfig;
    use crate::openai::OpenAIConfig;
    use crate::provider::ChatProvider;
    use futures_executor::block_on;
    use serde_json::json;

    #[test]
    fn reference_openai_probe_failures_read_as_the_reference() {
        let p = ChatProvider::OpenAI(OpenAIConfig::new(ApiKey::new("k"), "gpt-4o"));
        let host = FakeHost::new(vec![Reply::status(401, "bad key")]);
        let h = block_on(check(&host, Target::Llm(&p), Depth::Reference, None));
        assert_eq!(
            h.error.as_deref(),
            Some("OpenAI LLM health check failed: 401 Unauthorized — bad key")
        );
        assert_eq!(host.sent()[0].method, Method::Post);
        let host = FakeHost::new(vec![Reply::network("connect ECONNREFUSED 127.0.0.1:1")]);
        let h = block_on(check(&host, Target::Llm(&p), Depth::Reference, None));
        assert_eq!(
            h,
            Health {
                ok: false,
                error: Some("connect ECONNREFUSED 127.0.0.1:1".into())
            }
        );
    }

    #[test]
    fn the_free_ollama_probe_checks_the_model_is_pulled() {
        let p = ChatProvider::Ollama {
            cfg: OllamaConfig::new("http://h", "llama3.2"),
            max_context_tokens: 8192,
            max_tokens: None,
        };
        let host = FakeHost::new(vec![Reply::json(
            200,
            json!({"models": [{"name": "llama3.2:latest"}]}),
        )]);
        assert!(block_on(check(&host, Target::Llm(&p), Depth::Free, None)).ok);
        let host = FakeHost::new(vec![Reply::json(200, json!({"models": []}))]);
        assert!(!block_on(check(&host, Target::Llm(&p), Depth::Free, None)).ok);
        // The reference probe only asks whether the server answers.
        let host = FakeHost::new(vec![Reply::json(200, json!({"models": []}))]);
        assert!(block_on(check(&host, Target::Llm(&p), Depth::Reference, None)).ok);
    }
}
