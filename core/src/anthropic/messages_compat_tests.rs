use super::*;
use crate::http::{ApiKey, Body};

fn cfg() -> AnthropicConfig {
    AnthropicConfig::new(ApiKey::new("sk-ant"), "claude-sonnet-4-5")
}

fn translate(request: Value) -> Result<(Value, CompatMessages), CompatError> {
    let req = ChatRequest::parse(&request)?;
    let out = compat_request(&cfg(), &req)?;
    let Body::Json(body) = &out.request.body else {
        panic!()
    };
    Ok((serde_json::from_str(body).unwrap(), out))
}

#[test]
fn a_conversation_with_tools_becomes_a_messages_call() {
    let (body, out) = translate(json!({
        "model": "anthropic/claude-sonnet-4-5",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": [{"type": "text", "text": "Use tools."}]},
            {"role": "user", "content": [{"type": "text", "text": "Weather here?"},
                {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/"}},
                {"type": "image_url", "image_url": {"url": "https://x/map.png"}}]},
            {"role": "assistant", "content": "Checking.", "tool_calls": [
                {"id": "toolu_1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Oslo\"}"}},
                {"id": "toolu_2", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Bergen\"}"}}]},
            {"role": "tool", "tool_call_id": "toolu_1", "content": "rain"},
            {"role": "tool", "tool_call_id": "toolu_2", "content": [{"type": "text", "text": "sun"}]},
            {"role": "user", "content": "Thanks"}
        ],
        "max_completion_tokens": 300, "temperature": 0.5, "top_p": 0.9, "stop": ["END"], "user": "u-1", "seed": 3,
        "tools": [{"type": "function", "function": {"name": "weather", "description": "Weather by city",
                   "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}],
        "tool_choice": "required", "parallel_tool_calls": false
    }))
    .unwrap();
    assert_eq!(out.request.url, "https://api.anthropic.com/v1/messages");
    assert_eq!(
        body,
        json!({
            "model": "claude-sonnet-4-5", "max_tokens": 300, "system": "Be brief.\n\nUse tools.",
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "Weather here?"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/"}},
                    {"type": "image", "source": {"type": "url", "url": "https://x/map.png"}}]},
                {"role": "assistant", "content": [{"type": "text", "text": "Checking."},
                    {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}},
                    {"type": "tool_use", "id": "toolu_2", "name": "weather", "input": {"city": "Bergen"}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "rain"},
                                             {"type": "tool_result", "tool_use_id": "toolu_2", "content": "sun"}]},
                {"role": "user", "content": "Thanks"}
            ],
            "temperature": 0.5, "top_p": 0.9, "stop_sequences": ["END"], "metadata": {"user_id": "u-1"},
            "tools": [{"name": "weather", "description": "Weather by city",
                       "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}],
            "tool_choice": {"type": "any", "disable_parallel_tool_use": true}
        })
    );
    assert_eq!(out.ignored, ["seed"]);
    assert_eq!(out.json_tool, None);
}

#[test]
fn defaults_and_streaming() {
    let (body, _) = translate(
        json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "hi"}]}),
    )
    .unwrap();
    assert_eq!(
        body,
        json!({"model": "claude-sonnet-4-5", "max_tokens": 8192, "messages": [{"role": "user", "content": "hi"}], "stream": true})
    );
}

#[test]
fn a_json_schema_is_a_forced_tool_and_json_object_is_ignored() {
    let (body, out) = translate(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "schema": {"type": "object", "required": ["a"]}}}}))
    .unwrap();
    assert_eq!(
        body["tools"],
        json!([{"name": "answer", "input_schema": {"type": "object", "required": ["a"]}}])
    );
    assert_eq!(
        body["tool_choice"],
        json!({"type": "tool", "name": "answer"})
    );
    assert_eq!(out.json_tool.as_deref(), Some("answer"));
    let (body, out) = translate(
        json!({"model": "m", "messages": [{"role": "user", "content": "json"}],
        "response_format": {"type": "json_object"}}),
    )
    .unwrap();
    assert!(body.get("tools").is_none());
    assert_eq!(out.ignored, ["response_format"]);
}

#[test]
fn what_anthropic_cannot_take_is_refused_by_name() {
    let param = |request: Value| translate(request).unwrap_err().param.unwrap();
    let user =
        |content: Value| json!({"model": "m", "messages": [{"role": "user", "content": content}]});
    assert_eq!(
        param(user(
            json!([{"type": "input_audio", "input_audio": {"data": "", "format": "wav"}}])
        )),
        "messages[0].content[0]"
    );
    assert_eq!(
        param(user(
            json!([{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {"url": "file:///etc/passwd"}}])
        )),
        "messages[0].content[1]"
    );
    assert_eq!(
        param(
            json!({"model": "m", "messages": [{"role": "function", "name": "f", "content": "x"}]})
        ),
        "messages[0].role"
    );
    assert_eq!(
        param(json!({"model": "m", "messages": [{"role": "tool", "content": "x"}]})),
        "messages[0].tool_call_id"
    );
    assert_eq!(
        param(
            json!({"model": "m", "messages": [{"role": "assistant", "tool_calls": [{"id": "1", "type": "function", "function": {"name": "f", "arguments": "{nope"}}]}]})
        ),
        "messages[0].tool_calls[0].function.arguments"
    );
    assert_eq!(
        param(
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "custom", "custom": {}}]})
        ),
        "tools[0].type"
    );
    assert_eq!(
        param(
            json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function", "function": {"name": "f"}}],
                     "response_format": {"type": "json_schema", "json_schema": {"name": "s"}}})
        ),
        "response_format"
    );
}

fn head() -> ChunkHead {
    ChunkHead {
        id: "chatcmpl-gw".into(),
        created: 1_700_000_000,
        model: "claude-sonnet-4-5".into(),
    }
}

#[test]
fn a_message_becomes_a_chat_completion() {
    let c = parse_compat_message(
        &json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
            "content": [{"type": "thinking", "thinking": "hm"}, {"type": "text", "text": "Let me check."},
                        {"type": "tool_use", "id": "toolu_9", "name": "weather", "input": {"city": "Oslo"}}],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 2}})
        .to_string(),
        head(),
        None,
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&c).unwrap(),
        json!({"id": "msg_1", "object": "chat.completion", "created": 1_700_000_000, "model": "claude-sonnet-4-5-20250929",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Let me check.", "refusal": null,
                "tool_calls": [{"id": "toolu_9", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
                "logprobs": null, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 112, "completion_tokens": 5, "total_tokens": 117, "prompt_tokens_details": {"cached_tokens": 100}}})
    );
}

#[test]
fn stop_reasons_and_the_json_tool() {
    let finish = |reason: &str| {
        let body =
            json!({"content": [{"type": "text", "text": "x"}], "stop_reason": reason}).to_string();
        serde_json::to_value(parse_compat_message(&body, head(), None).unwrap()).unwrap()["choices"]
            [0]["finish_reason"]
            .clone()
    };
    assert_eq!(finish("end_turn"), "stop");
    assert_eq!(finish("stop_sequence"), "stop");
    assert_eq!(finish("max_tokens"), "length");
    assert_eq!(finish("refusal"), "content_filter");
    let body = json!({"content": [{"type": "tool_use", "id": "t", "name": "answer", "input": {"a": 1}}], "stop_reason": "tool_use"});
    let c = parse_compat_message(&body.to_string(), head(), Some("answer")).unwrap();
    assert_eq!(c.choices[0].message.content.as_deref(), Some("{\"a\":1}"));
    assert_eq!(
        (
            c.choices[0].finish_reason,
            c.choices[0].message.tool_calls.len()
        ),
        (FinishReason::Stop, 0)
    );
    assert_eq!(
        (c.id.as_str(), c.model.as_str()),
        ("chatcmpl-gw", "claude-sonnet-4-5")
    );
    assert!(parse_compat_message("{\"content\": 5}", head(), None).is_err());
}
