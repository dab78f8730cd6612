//! Embeddings, split into calls of at most the provider's input limit.

use super::{read_json, send, CallOptions};
use crate::error::{AnswerProblem, Error, Op, Operation};
use crate::host::Host;
use crate::provider::EmbeddingProvider;

/// One vector per text, in order.
pub async fn embed<H: Host>(
    host: &H,
    provider: &EmbeddingProvider,
    texts: &[String],
    opts: CallOptions,
) -> Result<Vec<Vec<f64>>, Error> {
    let op = Op::new(provider.provider(), Operation::Embedding);
    let mut vectors = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(provider.max_inputs_per_call().max(1)) {
        let response = send(host, &provider.embed_request(chunk), op, opts).await?;
        let body = read_json(response, op).await?;
        let got = provider
            .parse_embeddings(body)
            .map_err(|problem| Error::BadAnswer { op, problem })?;
        if got.len() != chunk.len() {
            let detail = format!("{} embeddings for {} inputs", got.len(), chunk.len());
            return Err(Error::BadAnswer {
                op,
                problem: AnswerProblem::Unreadable { detail },
            });
        }
        vectors.extend(got);
    }
    Ok(vectors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::fake_host::{FakeHost, Reply};
    use crate::http::{ApiKey, Body};
    use crate::openai::OpenAIConfig;
    use futures_executor::block_on;
    use serde_json::json;

    fn provider() -> EmbeddingProvider {
        EmbeddingProvider::OpenAI {
            cfg: OpenAIConfig::new(ApiKey::new("k"), "text-embedding-3-small"),
            dimensions: None,
        }
    }

    fn answer(n: usize) -> Reply {
        let data: Vec<_> = (0..n)
            .map(|i| json!({"index": i, "embedding": [i as f64]}))
            .collect();
        Reply::json(200, json!({"data": data}))
    }

    #[test]
    fn more_than_2048_inputs_are_split() {
        let texts: Vec<String> = (0..2050).map(|i| format!("t{i}")).collect();
        let host = FakeHost::new(vec![answer(2048), answer(2)]);
        let vectors = block_on(embed(&host, &provider(), &texts, CallOptions::default())).unwrap();
        assert_eq!(vectors.len(), 2050);
        assert_eq!(vectors[2049], vec![1.0]);
        let sent = host.sent();
        assert_eq!(sent.len(), 2);
        let Body::Json(second) = &sent[1].body else {
            panic!()
        };
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(second).unwrap()["input"],
            json!(["t2048", "t2049"])
        );
    }

    #[test]
    fn no_texts_no_call() {
        let host = FakeHost::new(vec![]);
        assert!(
            block_on(embed(&host, &provider(), &[], CallOptions::default()))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_short_answer_is_an_error() {
        let host = FakeHost::new(vec![answer(1)]);
        let err = block_on(embed(
            &host,
            &provider(),
            &["a".into(), "b".into()],
            CallOptions::default(),
        ))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "OpenAI embedding error: unreadable response: 1 embeddings for 2 inputs"
        );
    }
}
