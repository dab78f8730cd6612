use super::*;
use crate::compat::stream::{events, run};
use serde_json::{json, Value};

fn head() -> ChunkHead {
    ChunkHead {
        id: "chatcmpl-gw".into(),
        created: 1_700_000_000,
        model: "claude-sonnet-4-5".into(),
    }
}

/// A stream as Anthropic documents it: text, then a tool call, then the end.
const STREAM: &str = r#"event: message_start
data: {"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" wörld"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"Oslo\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":15}}

event: message_stop
data: {"type":"message_stop"}

"#;

fn deltas(e: &[Value]) -> Vec<Value> {
    e.iter().map(|c| c["choices"][0]["delta"].clone()).collect()
}

#[test]
fn text_and_tool_calls_become_openai_chunks_whatever_the_chunking() {
    let expected = {
        let e = events(&run(
            &mut Translator::new(head(), true, None),
            STREAM.as_bytes(),
            STREAM.len(),
        ));
        assert_eq!(e.len(), 9, "{e:#?}");
        for c in &e[..7] {
            assert_eq!(
                (c["id"].as_str(), c["model"].as_str()),
                (Some("msg_01"), Some("claude-sonnet-4-5-20250929"))
            );
            assert_eq!(
                (c["object"].as_str(), c["created"].as_u64()),
                (Some("chat.completion.chunk"), Some(1_700_000_000))
            );
        }
        assert_eq!(
            deltas(&e[..6]),
            [
                json!({"role": "assistant", "content": ""}),
                json!({"content": "Hello"}),
                json!({"content": " wörld"}),
                json!({"tool_calls": [{"index": 0, "id": "toolu_01", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}),
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\":"}}]}),
                json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"Oslo\"}"}}]}),
            ]
        );
        assert_eq!(
            e[6]["choices"][0],
            json!({"index": 0, "delta": {}, "logprobs": null, "finish_reason": "tool_calls"})
        );
        assert_eq!(e[7]["choices"], json!([]));
        assert_eq!(
            e[7]["usage"],
            json!({"prompt_tokens": 25, "completion_tokens": 15, "total_tokens": 40})
        );
        assert_eq!(e[8], "[DONE]");
        e
    };
    for step in [1, 3, 17, 100] {
        let e = events(&run(
            &mut Translator::new(head(), true, None),
            STREAM.as_bytes(),
            step,
        ));
        assert_eq!(e, expected, "step {step}");
    }
}

#[test]
fn without_include_usage_there_is_no_usage_chunk() {
    let e = events(&run(
        &mut Translator::new(head(), false, None),
        STREAM.as_bytes(),
        64,
    ));
    assert_eq!(e.len(), 8);
    assert!(e.iter().all(|c| c.get("usage").is_none()));
}

#[test]
fn the_json_tool_streams_as_content() {
    let e = events(&run(
        &mut Translator::new(head(), false, Some("get_weather".into())),
        STREAM.as_bytes(),
        50,
    ));
    let text: String = e
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(text, "Hello wörld{\"city\":\"Oslo\"}");
    assert!(e
        .iter()
        .all(|c| c["choices"][0]["delta"].get("tool_calls").is_none()));
    assert_eq!(e[e.len() - 2]["choices"][0]["finish_reason"], "stop");
}

#[test]
fn an_error_event_or_a_cut_ends_with_an_error() {
    let overloaded = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"usage\":{\"input_tokens\":1}}}\n\n\
        event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n\
        event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    let e = events(&run(
        &mut Translator::new(head(), false, None),
        overloaded.as_bytes(),
        7,
    ));
    assert_eq!(e.len(), 2);
    assert_eq!(
        e[1]["error"]["message"],
        "Anthropic stream error (overloaded_error): Overloaded"
    );

    let cut = &STREAM[..STREAM.find("event: message_delta").unwrap()];
    let e = events(&run(
        &mut Translator::new(head(), false, None),
        cut.as_bytes(),
        9,
    ));
    assert_eq!(
        e.last().unwrap()["error"]["message"],
        "Anthropic's stream ended before message_stop"
    );

    let e = events(&run(
        &mut Translator::new(head(), false, None),
        b"data: {not json\n\n",
        4,
    ));
    assert!(e[0]["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Anthropic sent an event that is not JSON"));
}
