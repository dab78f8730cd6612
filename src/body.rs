//! Request bodies: read with a size limit (413 beyond), parsed into typed structs with
//! messages that name the field (`messages[0].role: unknown variant …`).

use crate::api_error::ApiError;
use edge_llm_js_host::settled;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::Request;

pub const MIB: usize = 1024 * 1024;

/// The 413 for a body over `limit` bytes.
pub fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        413,
        "payload_too_large",
        format!("request body is larger than {} MiB", limit / MIB),
    )
}

/// The length the request declares, refused at once when over `limit` (a chunked body is
/// counted as it is read instead).
pub fn declared_length(req: &Request, limit: usize) -> Result<Option<usize>, ApiError> {
    let declared =
        crate::routes::header(req, "content-length").and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(n) if n > limit => Err(too_large(limit)),
        _ => Ok(declared),
    }
}

/// The body as text, refusing more than `limit` bytes.
pub async fn read_text(req: &mut Request, limit: usize) -> Result<String, ApiError> {
    let too_large = || too_large(limit);
    let declared = declared_length(req, limit)?;
    let bytes = match declared {
        // The runtime frames the body by its declared length, so it holds at most `limit`
        // bytes: one `arrayBuffer()` reads it, several times cheaper than a reader's
        // chunk-by-chunk calls across the wasm boundary (issue 10).
        Some(_) => array_buffer(req).await?,
        None => read_chunks(req, limit).await?,
    };
    if bytes.len() > limit {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|_| ApiError::field("body", "is not valid UTF-8"))
}

/// `req.bytes()`, awaited with `settled` so the request resumes in the promise's reaction
/// (`edge_llm_js_host::future_to_promise_eager`), with `bytes()`'s error message.
async fn array_buffer(req: &Request) -> Result<Vec<u8>, ApiError> {
    let failed = |e: JsValue| {
        let message = e.as_string();
        ApiError::field(
            "body",
            message.unwrap_or_else(|| "failed to read array buffer from request".into()),
        )
    };
    let buffer = settled(req.inner().array_buffer().map_err(failed)?)
        .await
        .map_err(failed)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// A body of unknown length, counted as it arrives so no more than `limit` bytes are held.
async fn read_chunks(req: &mut Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut bytes = Vec::new();
    let mut stream = req.stream().map_err(|e| ApiError::field("body", e))?;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::field("body", e))?;
        if bytes.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Parses `text` as `T`, naming the offending field in the error.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::field("body", "is empty; send a JSON object"));
    }
    // serde reads a struct from a JSON array too (`[[…]]` would pass as `{messages: […]}`,
    // and the error names the Rust type); the API takes objects only.
    if !text.trim_start().starts_with('{') {
        return Err(match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => ApiError::field("body", "must be a JSON object"),
            Err(e) => ApiError::field("body", format!("is not valid JSON ({e})")),
        });
    }
    // Path tracking costs on every field; a body that parses needs none (issue 10).
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| path_error(e, ""))?;
    // Without this, `{…}garbage` would pass: serde stops after the first value.
    de.end()
        .map_err(|e| ApiError::field("body", format!("is not valid JSON ({e})")))?;
    Ok(value)
}

/// Parses one value found at `field` of a body read piece by piece (a batch request,
/// `requests[7]`), naming the offending field inside it.
pub fn parse_at<T: DeserializeOwned>(json: &[u8], field: &str) -> Result<T, ApiError> {
    if let Ok(value) = serde_json::from_slice(json) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(json);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| path_error(e, field))?;
    de.end()
        .map_err(|e| ApiError::field(field, format!("is not valid JSON ({e})")))?;
    Ok(value)
}

/// A serde error as a 400 naming the field: `prefix` is where the value sits in the body.
fn path_error(e: serde_path_to_error::Error<serde_json::Error>, prefix: &str) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let join = |inner_path: &str| match (prefix, inner_path) {
        ("", ".") => "body".to_string(),
        ("", p) => p.to_string(),
        (pre, ".") => pre.to_string(),
        (pre, p) => format!("{pre}.{p}"),
    };
    if inner.is_syntax() || inner.is_eof() {
        return ApiError::field(&join("."), format!("is not valid JSON ({inner})"));
    }
    let message = strip_position(&inner.to_string());
    // "missing field `x`" is reported at the parent; name the field itself.
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
    {
        let field = if path == "." {
            join(name)
        } else {
            join(&format!("{path}.{name}"))
        };
        return ApiError::field(&field, "is required");
    }
    ApiError::field(&join(&path), message)
}

/// serde_json appends " at line L column C"; the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edge_llm_core::message::Message;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Chat {
        messages: Vec<Message>,
        model: Option<String>,
    }

    fn message(text: &str) -> String {
        parse::<Chat>(text).unwrap_err().message
    }

    #[test]
    fn values_read_piece_by_piece_name_their_place_in_the_body() {
        let e = |json: &str| {
            parse_at::<Message>(json.as_bytes(), "requests[3]")
                .unwrap_err()
                .message
        };
        assert_eq!(e(r#"{"role": "user"}"#), "requests[3].content: is required");
        assert!(e(r#"{"role": "robot", "content": ""}"#)
            .starts_with("requests[3].role: unknown variant `robot`"));
        assert!(
            e(r#"{"role": "user", "content": 5}"#).starts_with("requests[3].content: invalid type")
        );
        assert!(parse_at::<Message>(br#"{"role":"user","content":"x"}"#, "requests[0]").is_ok());
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(message("{}"), "messages: is required");
        assert_eq!(
            message(r#"{"messages": "hi"}"#),
            "messages: invalid type: string \"hi\", expected a sequence"
        );
        assert!(
            message(r#"{"messages": [{"role": "robot", "content": "x"}]}"#)
                .starts_with("messages[0].role: unknown variant `robot`")
        );
        assert_eq!(
            message(r#"{"messages": [{"role": "user"}]}"#),
            "messages[0].content: is required"
        );
        assert!(message(r#"{"messages": [], "modle": "x"}"#)
            .starts_with("modle: unknown field `modle`"));
        assert!(message("{not json").starts_with("body: is not valid JSON"));
        assert_eq!(message(" "), "body: is empty; send a JSON object");
        assert_eq!(
            message(r#"[[{"role": "user", "content": "x"}]]"#),
            "body: must be a JSON object"
        );
        assert_eq!(message("null"), "body: must be a JSON object");
        assert!(message("nul").starts_with("body: is not valid JSON"));
        assert!(message(r#"{"messages": []} {}"#)
            .starts_with("body: is not valid JSON (trailing characters"));
    }
}
