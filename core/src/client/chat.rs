//! A JSON-mode chat call.

use super::{read_answer, send, CallOptions};
use crate::error::{Error, Op, Operation};
use crate::host::{Host, UpstreamResponse};
use crate::message::{ChatResult, Message};
use crate::provider::ChatProvider;
use crate::{anthropic, ollama, openai};

/// Sends `messages` and reads the JSON answer.
pub async fn chat<H: Host>(
    host: &H,
    provider: &ChatProvider,
    messages: &[Message],
    opts: CallOptions,
) -> Result<ChatResult, Error> {
    let op = Op::new(provider.provider(), Operation::Chat);
    let response = send(host, &provider.chat_request(messages), op, opts).await?;
    read_chat(provider, response, op).await
}

/// The provider's answer read into a [`ChatResult`], straight from the text into the
/// provider's answer type where the host can.
async fn read_chat<R: UpstreamResponse>(
    provider: &ChatProvider,
    response: R,
    op: Op,
) -> Result<ChatResult, Error> {
    let result = match provider {
        ChatProvider::OpenAI(_) => {
            openai::chat::read_chat_response(read_answer(response, op).await?)
        }
        ChatProvider::Anthropic(_) => {
            anthropic::messages::read_message(read_answer(response, op).await?)
        }
        ChatProvider::Ollama { .. } => {
            ollama::chat::read_chat_response(read_answer(response, op).await?)
        }
    };
    result.map_err(|e| e.into_error(op))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::fake_host::{FakeHost, Reply};
    use crate::http::ApiKey;
    use crate::message::Role;
    use crate::openai::OpenAIConfig;
    use futures_executor::block_on;
    use serde_json::json;

    fn provider() -> ChatProvider {
        ChatProvider::OpenAI(OpenAIConfig::new(ApiKey::new("sk"), "gpt-4o"))
    }

    fn run(reply: Reply) -> Result<ChatResult, Error> {
        let host = FakeHost::new(vec![reply]);
        block_on(chat(
            &host,
            &provider(),
            &[Message::new(Role::User, "json please")],
            CallOptions::default(),
        ))
    }

    #[test]
    fn an_answer_is_parsed() {
        let r = run(Reply::json(
            200,
            json!({"choices": [{"message": {"content": "{\"a\":1}"}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2}}),
        ))
        .unwrap();
        assert_eq!(r.response, json!({"a": 1}));
    }

    #[test]
    fn failures_read_as_the_contract() {
        assert_eq!(
            run(Reply::status(401, "{\"error\":{}}"))
                .unwrap_err()
                .to_string(),
            "OpenAI chat error: 401 Unauthorized — {\"error\":{}}"
        );
        let invalid = run(Reply::json(
            200,
            json!({"choices": [{"message": {"content": "nope"}}]}),
        ));
        assert_eq!(
            invalid.unwrap_err().to_string(),
            "LLM returned invalid JSON: nope"
        );
        assert_eq!(
            run(Reply::status(200, "<html>")).unwrap_err().to_string(),
            "OpenAI chat error: unreadable response: body is not JSON: <html>"
        );
        assert_eq!(
            run(Reply::network("fetch failed")).unwrap_err().to_string(),
            "fetch failed"
        );
    }
}
