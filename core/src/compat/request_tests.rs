use super::*;
use serde_json::json;

fn parse(v: Value) -> Result<ChatRequest, CompatError> {
    ChatRequest::parse(&v)
}

#[test]
fn an_sdk_request_reads_whole() {
    let r = parse(json!({
        "model": "anthropic/claude-sonnet-4-5",
        "messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "What is "}, {"type": "text", "text": "this?"},
                                         {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]},
            {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
                "function": {"name": "look", "arguments": "{\"at\":1}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "a cat"}
        ],
        "stream": true, "stream_options": {"include_usage": true},
        "max_completion_tokens": 100, "temperature": 0.2, "stop": "END",
        "tool_choice": {"type": "function", "function": {"name": "look"}},
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}},
        "seed": 7, "store": false, "metadata": null, "prediction": {"type": "content", "content": "x"}
    }))
    .unwrap();
    assert!(r.streams() && r.include_usage());
    assert_eq!(r.max_output_tokens(), Some(100));
    assert_eq!(r.stop, Some(Stop(vec!["END".into()])));
    assert_eq!(r.tool_choice, Some(ToolChoice::Function("look".into())));
    assert_eq!(r.messages[1].content.as_ref().unwrap().text(), Err(2));
    assert_eq!(
        r.messages[2].tool_calls.as_ref().unwrap()[0].function.name,
        "look"
    );
    assert_eq!(r.other, ["store", "prediction"]);
}

#[test]
fn errors_name_the_param_as_openai_does() {
    let e = parse(json!({"messages": [{"role": "user", "content": "x"}]})).unwrap_err();
    assert_eq!((e.status, e.param.as_deref()), (400, Some("model")));
    assert_eq!(e.code.as_deref(), Some("missing_required_parameter"));
    let e =
        parse(json!({"model": "m", "messages": [{"role": "robot", "content": "x"}]})).unwrap_err();
    assert_eq!(e.param.as_deref(), Some("messages[0].role"));
    assert!(
        e.message.contains("unknown variant `robot`"),
        "{}",
        e.message
    );
    let e = parse(json!({"model": "m", "messages": [{"role": "user", "content": 5}]})).unwrap_err();
    assert_eq!(e.param.as_deref(), Some("messages[0].content"));
    assert!(
        e.message.contains("a string or an array of content parts"),
        "{}",
        e.message
    );
    let e = parse(json!({"model": "m", "messages": []})).unwrap_err();
    assert_eq!(e.param.as_deref(), Some("messages"));
    let e = parse(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": -1}),
    )
    .unwrap_err();
    assert_eq!(e.param.as_deref(), Some("max_tokens"));
    let e = parse(json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "tool_choice": "maybe"})).unwrap_err();
    assert_eq!(e.param.as_deref(), Some("tool_choice"));
    let e = parse(json!(["not", "an", "object"])).unwrap_err();
    assert_eq!(e.param.as_deref(), Some("body"));
}

#[test]
fn images_inline_or_remote() {
    let img = |url: &str| ImageUrl {
        url: url.into(),
        detail: None,
    };
    assert_eq!(
        img("data:image/png;base64,iVBO").inline(),
        Some(("image/png", "iVBO"))
    );
    assert_eq!(img("data:image/png,raw").inline(), None);
    assert!(img("https://x/cat.png").is_remote() && !img("ftp://x").is_remote());
}

#[test]
fn many_choices_and_logprobs_are_refused_by_name() {
    let base = |extra: Value| {
        let mut v = json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        parse(v).unwrap()
    };
    assert!(base(json!({"n": 1}))
        .refuse_many_choices("Anthropic")
        .is_ok());
    assert_eq!(
        base(json!({"n": 2}))
            .refuse_many_choices("Anthropic")
            .unwrap_err()
            .param
            .as_deref(),
        Some("n")
    );
    assert_eq!(
        base(json!({"logprobs": true}))
            .refuse_logprobs("Ollama")
            .unwrap_err()
            .param
            .as_deref(),
        Some("logprobs")
    );
    assert!(base(json!({"logprobs": false, "top_logprobs": 0}))
        .refuse_logprobs("Ollama")
        .is_ok());
}
