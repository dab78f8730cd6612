use super::*;
use crate::http::Body;

fn cfg() -> OllamaConfig {
    OllamaConfig::new("http://127.0.0.1:11434", "llama3.2")
}

fn translate(request: Value) -> Result<(Value, CompatChat), CompatError> {
    let req = ChatRequest::parse(&request)?;
    let out = compat_request(&cfg(), &req)?;
    let Body::Json(body) = &out.request.body else {
        panic!()
    };
    Ok((serde_json::from_str(body).unwrap(), out))
}

#[test]
fn a_conversation_becomes_an_api_chat_call() {
    let (body, out) = translate(json!({
        "model": "ollama/llama3.2",
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "What is "}, {"type": "text", "text": "this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_7", "type": "function", "function": {"name": "look", "arguments": "{\"zoom\":2}"}}]},
            {"role": "tool", "tool_call_id": "call_7", "content": "a cat"}
        ],
        "max_tokens": 50, "temperature": 0.1, "seed": 9, "stop": "END", "user": "u",
        "response_format": {"type": "json_object"},
        "tools": [{"type": "function", "function": {"name": "look", "parameters": {"type": "object"}}}]
    }))
    .unwrap();
    assert_eq!(out.request.url, "http://127.0.0.1:11434/api/chat");
    assert_eq!(
        body,
        json!({
            "model": "llama3.2",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "What is this?", "images": ["iVBORw0KGgo="]},
                {"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "look", "arguments": {"zoom": 2}}}]},
                {"role": "tool", "content": "a cat", "tool_name": "look"}
            ],
            "stream": false,
            "options": {"num_predict": 50, "temperature": 0.1, "seed": 9, "stop": ["END"]},
            "format": "json",
            "tools": [{"type": "function", "function": {"name": "look", "description": "", "parameters": {"type": "object"}}}]
        })
    );
    assert_eq!(out.ignored, ["user"]);
}

#[test]
fn schemas_streaming_and_tool_choice() {
    let (body, _) = translate(json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "x"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "object", "required": ["a"]}}},
        "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "none"}))
    .unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(body["format"], json!({"type": "object", "required": ["a"]}));
    assert!(body.get("tools").is_none() && body.get("options").is_none());
    let e = translate(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}],
        "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "required"}),
    )
    .unwrap_err();
    assert_eq!(
        (e.param.as_deref(), e.code.as_deref()),
        (Some("tool_choice"), Some("unsupported_parameter"))
    );
    let e = translate(json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/a.png"}}]}]}))
        .unwrap_err();
    assert_eq!(e.param.as_deref(), Some("messages[0].content[0]"));
}

fn head() -> ChunkHead {
    ChunkHead {
        id: "chatcmpl-abc".into(),
        created: 1_700_000_000,
        model: "llama3.2".into(),
    }
}

#[test]
fn an_answer_becomes_a_chat_completion() {
    let c = parse_compat_chat(
        &json!({"model": "llama3.2", "created_at": "2025-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": "{\"a\":1}"}, "done": true, "done_reason": "stop",
            "prompt_eval_count": 11, "eval_count": 7})
        .to_string(),
        head(),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&c).unwrap(),
        json!({"id": "chatcmpl-abc", "object": "chat.completion", "created": 1_700_000_000, "model": "llama3.2",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"a\":1}", "refusal": null},
                "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}})
    );
    let c = parse_compat_chat(
        &json!({"model": "llama3.2", "message": {"role": "assistant", "content": "",
            "tool_calls": [{"function": {"name": "look", "arguments": {"zoom": 2}}}]}, "done": true, "done_reason": "stop"})
        .to_string(),
        head(),
    )
    .unwrap();
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(v["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(v["choices"][0]["message"]["content"], Value::Null);
    assert_eq!(
        v["choices"][0]["message"]["tool_calls"],
        json!([{"id": "call_abc_0", "type": "function", "function": {"name": "look", "arguments": "{\"zoom\":2}"}}])
    );
    let length = parse_compat_chat(
        &json!({"message": {"content": "x"}, "done_reason": "length"}).to_string(),
        head(),
    )
    .unwrap();
    assert_eq!(length.choices[0].finish_reason, FinishReason::Length);
    assert_eq!(
        parse_compat_chat("{}", head()).unwrap_err(),
        AnswerProblem::NoChoices
    );
}
