//! `POST /v1/chat/completions` for a configured provider: the upstream call, and how to
//! read its answer, whole or streamed.
//!
//! OpenAI gets the client's body itself with only `model` rewritten (so every OpenAI field,
//! new ones included, works as at OpenAI) and its answer is passed on unchanged. Anthropic
//! and Ollama get a translation; before it, the fields no translation can honour without
//! changing what the client reads are refused by name, and the fields it leaves out are
//! listed in [`PreparedChat::ignored`].

use super::request::{from_value, ChatRequest};
use super::response::ChunkHead;
use super::stream::Translate;
use super::CompatError;
use crate::error::AnswerProblem;
use crate::http::HttpRequest;
use crate::provider::ChatProvider;
use crate::{anthropic, ollama, openai, Provider};
use serde::Deserialize;
use serde_json::{json, Value};

/// A chat call ready to send.
#[derive(Debug)]
pub struct PreparedChat {
    pub provider: Provider,
    pub request: HttpRequest,
    pub stream: bool,
    /// Fields of the request the provider did not get (no equivalent); the Worker names them
    /// in the `x-edge-llm-ignored-params` response header.
    pub ignored: Vec<String>,
    reader: Reader,
}

#[derive(Debug)]
enum Reader {
    OpenAI,
    Anthropic {
        json_tool: Option<String>,
        include_usage: bool,
    },
    Ollama {
        include_usage: bool,
    },
}

/// Top-level fields a translated provider refuses, and why.
const REFUSED: &[(&str, &str)] = &[
    ("audio", "does not produce audio"),
    ("functions", "takes tools, not the deprecated functions"),
    (
        "function_call",
        "takes tool_choice, not the deprecated function_call",
    ),
    (
        "web_search_options",
        "has no web search through this gateway",
    ),
];

/// Prepares the upstream call for `body` (a JSON object) on `provider`.
pub fn prepare_chat(provider: &ChatProvider, mut body: Value) -> Result<PreparedChat, CompatError> {
    let (request, reader, ignored, stream) = match provider {
        ChatProvider::OpenAI(cfg) => {
            #[derive(Deserialize)]
            struct Head {
                #[serde(default)]
                stream: Option<bool>,
            }
            let head: Head = from_value(&body)?;
            body["model"] = json!(cfg.model);
            let request = HttpRequest::post_json(
                cfg.url("/chat/completions"),
                cfg.json_headers(),
                body.to_string(),
            );
            (request, Reader::OpenAI, vec![], head.stream == Some(true))
        }
        ChatProvider::Anthropic(cfg) => {
            let req = translatable(&body, Provider::Anthropic)?;
            let out = anthropic::messages_compat::compat_request(cfg, &req)?;
            let reader = Reader::Anthropic {
                json_tool: out.json_tool,
                include_usage: req.include_usage(),
            };
            let stream = req.streams();
            (out.request, reader, merge(out.ignored, req.other), stream)
        }
        ChatProvider::Ollama { cfg, .. } => {
            let req = translatable(&body, Provider::Ollama)?;
            let out = ollama::chat_compat::compat_request(cfg, &req)?;
            let reader = Reader::Ollama {
                include_usage: req.include_usage(),
            };
            let stream = req.streams();
            (out.request, reader, merge(out.ignored, req.other), stream)
        }
    };
    Ok(PreparedChat {
        provider: provider.provider(),
        request,
        stream,
        ignored,
        reader,
    })
}

/// The request, once the fields no translation can honour are refused.
fn translatable(body: &Value, provider: Provider) -> Result<ChatRequest, CompatError> {
    let req = ChatRequest::parse(body)?;
    let name = provider.to_string();
    req.refuse_many_choices(&name)?;
    req.refuse_logprobs(&name)?;
    for (field, why) in REFUSED {
        if req.other.iter().any(|f| f == field) {
            return Err(CompatError::unsupported(*field, format!("{name} {why}.")));
        }
    }
    let modalities = body["modalities"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    if modalities.iter().any(|m| m != "text") {
        return Err(CompatError::unsupported(
            "modalities",
            format!("{name} answers in text only."),
        ));
    }
    Ok(req)
}

fn merge(mut ignored: Vec<String>, others: Vec<String>) -> Vec<String> {
    // `modalities: ["text"]` asks for what every provider does.
    ignored.extend(others.into_iter().filter(|f| f != "modalities"));
    ignored
}

impl PreparedChat {
    /// A whole answer as the client's `chat.completion` JSON. `head` gives the id, time and
    /// model for translated answers.
    pub fn parse(&self, body: &str, head: ChunkHead) -> Result<String, AnswerProblem> {
        let completion = match &self.reader {
            Reader::OpenAI => {
                // Passed on as OpenAI wrote it, once it is known to be a JSON object.
                return match serde_json::from_str::<Value>(body) {
                    Ok(Value::Object(_)) => Ok(body.to_string()),
                    _ => Err(AnswerProblem::Unreadable {
                        detail: format!("not a JSON object: {}", crate::json_mode::snippet(body)),
                    }),
                };
            }
            Reader::Anthropic { json_tool, .. } => {
                anthropic::messages_compat::parse_compat_message(body, head, json_tool.as_deref())?
            }
            Reader::Ollama { .. } => ollama::chat_compat::parse_compat_chat(body, head)?,
        };
        Ok(serde_json::to_string(&completion).expect("completions are plain data"))
    }

    /// The translation of a streamed answer.
    pub fn translator(&self, head: ChunkHead) -> Box<dyn Translate> {
        match &self.reader {
            Reader::OpenAI => Box::new(openai::chat_stream::Relay::new()),
            Reader::Anthropic {
                json_tool,
                include_usage,
            } => Box::new(anthropic::messages_stream::Translator::new(
                head,
                *include_usage,
                json_tool.clone(),
            )),
            Reader::Ollama { include_usage } => {
                Box::new(ollama::chat_stream::Translator::new(head, *include_usage))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anthropic::AnthropicConfig;
    use crate::http::{ApiKey, Body};
    use crate::ollama::OllamaConfig;
    use crate::openai::OpenAIConfig;

    fn openai() -> ChatProvider {
        ChatProvider::OpenAI(OpenAIConfig::new(ApiKey::new("sk"), "gpt-4o"))
    }
    fn claude() -> ChatProvider {
        ChatProvider::Anthropic(AnthropicConfig::new(ApiKey::new("k"), "claude-sonnet-4-5"))
    }
    fn llama() -> ChatProvider {
        ChatProvider::Ollama {
            cfg: OllamaConfig::new("http://o", "llama3.2"),
            max_context_tokens: 8192,
            max_tokens: None,
        }
    }
    fn head() -> ChunkHead {
        ChunkHead {
            id: "chatcmpl-x".into(),
            created: 1,
            model: "m".into(),
        }
    }

    #[test]
    fn openai_gets_the_clients_body_with_its_model() {
        let body = json!({"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}],
                          "stream": true, "logprobs": true, "n": 2, "brand_new_field": {"x": 1}});
        let p = prepare_chat(&openai(), body).unwrap();
        assert!(p.stream && p.ignored.is_empty());
        assert_eq!(p.request.url, "https://api.openai.com/v1/chat/completions");
        let Body::Json(sent) = &p.request.body else {
            panic!()
        };
        assert_eq!(
            sent,
            r#"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true,"logprobs":true,"n":2,"brand_new_field":{"x":1}}"#
        );
        let answer = r#"{"id":"chatcmpl-1","object":"chat.completion","choices":[]}"#;
        assert_eq!(p.parse(answer, head()).unwrap(), answer);
        assert!(p.parse("[1]", head()).is_err());
        assert_eq!(
            prepare_chat(&openai(), json!({"model": "m", "stream": "yes"}))
                .unwrap_err()
                .param
                .as_deref(),
            Some("stream")
        );
    }

    #[test]
    fn translated_providers_refuse_and_report_by_name() {
        for provider in [claude(), llama()] {
            let refused = |extra: Value| {
                let mut body =
                    json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]});
                body.as_object_mut()
                    .unwrap()
                    .extend(extra.as_object().unwrap().clone());
                prepare_chat(&provider, body).unwrap_err().param.unwrap()
            };
            assert_eq!(refused(json!({"n": 3})), "n");
            assert_eq!(refused(json!({"top_logprobs": 2})), "top_logprobs");
            assert_eq!(refused(json!({"audio": {"voice": "alloy"}})), "audio");
            assert_eq!(
                refused(json!({"modalities": ["text", "audio"]})),
                "modalities"
            );
            assert_eq!(refused(json!({"functions": []})), "functions");
            let p = prepare_chat(&provider, json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
                "modalities": ["text"], "store": true, "logit_bias": {"1": 2}, "service_tier": null}))
            .unwrap();
            assert_eq!(p.ignored, ["store", "logit_bias"]);
        }
    }

    #[test]
    fn answers_are_read_by_the_providers_translation() {
        let p = prepare_chat(
            &claude(),
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .unwrap();
        let c: Value = serde_json::from_str(
            &p.parse(r#"{"id":"msg_1","model":"claude","content":[{"type":"text","text":"yo"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}"#, head()).unwrap(),
        )
        .unwrap();
        assert_eq!(
            (
                c["id"].as_str(),
                c["choices"][0]["message"]["content"].as_str()
            ),
            (Some("msg_1"), Some("yo"))
        );
        let p = prepare_chat(
            &llama(),
            json!({"model": "m", "stream": true, "stream_options": {"include_usage": true},
            "messages": [{"role": "user", "content": "hi"}]}),
        )
        .unwrap();
        let mut out = vec![];
        let mut t = p.translator(head());
        t.push(b"{\"message\":{\"content\":\"a\"},\"done\":true,\"prompt_eval_count\":1,\"eval_count\":1}\n", &mut out);
        assert!(t.is_done());
        assert!(String::from_utf8(out)
            .unwrap()
            .contains("\"usage\":{\"prompt_tokens\":1"));
    }
}
