//! The Chat Completions request as OpenAI's SDKs send it. The fields a provider translation
//! needs are typed; the names of all others are kept, so a translation can refuse or report
//! them. The OpenAI upstream gets the client's body itself (only `model` rewritten), so a new
//! OpenAI field works through the gateway before this file knows it.

use super::CompatError;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::fmt;

#[derive(Debug, Deserialize)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    #[serde(default)]
    pub stream: Option<bool>,
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
    #[serde(default)]
    pub max_completion_tokens: Option<u32>,
    #[serde(default)]
    pub temperature: Option<f64>,
    #[serde(default)]
    pub top_p: Option<f64>,
    #[serde(default)]
    pub n: Option<u32>,
    #[serde(default)]
    pub stop: Option<Stop>,
    #[serde(default)]
    pub presence_penalty: Option<f64>,
    #[serde(default)]
    pub frequency_penalty: Option<f64>,
    #[serde(default)]
    pub seed: Option<i64>,
    #[serde(default)]
    pub logprobs: Option<bool>,
    #[serde(default)]
    pub top_logprobs: Option<u32>,
    #[serde(default)]
    pub response_format: Option<ResponseFormat>,
    #[serde(default)]
    pub tools: Option<Vec<Tool>>,
    #[serde(default)]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default)]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default)]
    pub user: Option<String>,
    /// Every other field that is set (not `null`), by name.
    #[serde(skip)]
    pub other: Vec<String>,
}

/// The fields typed above.
const TYPED: &[&str] = &[
    "model",
    "messages",
    "stream",
    "stream_options",
    "max_tokens",
    "max_completion_tokens",
    "temperature",
    "top_p",
    "n",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "logprobs",
    "top_logprobs",
    "response_format",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "user",
];

impl ChatRequest {
    /// Reads a request body (a JSON object), naming the offending field in a 400.
    pub fn parse(body: &Value) -> Result<ChatRequest, CompatError> {
        let Some(map) = body.as_object() else {
            return Err(CompatError::invalid(
                "body",
                "The request body must be a JSON object.",
            ));
        };
        let mut request: ChatRequest = from_value(body)?;
        if request.messages.is_empty() {
            return Err(CompatError::invalid(
                "messages",
                "Invalid 'messages': empty array. Expected an array with minimum length 1.",
            ));
        }
        request.other = others(map, TYPED);
        Ok(request)
    }

    pub fn streams(&self) -> bool {
        self.stream == Some(true)
    }

    /// `stream_options.include_usage`: a last chunk with the usage and no choices.
    pub fn include_usage(&self) -> bool {
        self.stream_options
            .as_ref()
            .and_then(|o| o.include_usage)
            .unwrap_or(false)
    }

    /// The output limit the client asked for (`max_completion_tokens` wins, as at OpenAI).
    pub fn max_output_tokens(&self) -> Option<u32> {
        self.max_completion_tokens.or(self.max_tokens)
    }

    /// A 400 unless `n` is absent or 1: every translated provider answers one choice.
    pub fn refuse_many_choices(&self, provider: &str) -> Result<(), CompatError> {
        match self.n {
            Some(n) if n != 1 => Err(CompatError::unsupported(
                "n",
                format!("{provider} answers one choice per request; send n: 1 (or leave it out) and make {n} requests."),
            )),
            _ => Ok(()),
        }
    }

    /// A 400 when log probabilities are asked for (no translated provider returns them).
    pub fn refuse_logprobs(&self, provider: &str) -> Result<(), CompatError> {
        if self.logprobs == Some(true) || self.top_logprobs.is_some_and(|n| n > 0) {
            let param = if self.logprobs == Some(true) {
                "logprobs"
            } else {
                "top_logprobs"
            };
            return Err(CompatError::unsupported(
                param,
                format!("{provider} does not return log probabilities."),
            ));
        }
        Ok(())
    }
}

/// The names of the fields of `map` not in `typed` whose value is not `null`.
pub(crate) fn others(map: &Map<String, Value>, typed: &[&str]) -> Vec<String> {
    map.iter()
        .filter(|(k, v)| !v.is_null() && !typed.contains(&k.as_str()))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Deserialises `value`, turning serde's error into a 400 that names the field as OpenAI
/// does (`messages[0].content`).
pub(crate) fn from_value<'a, T: Deserialize<'a>>(value: &'a Value) -> Result<T, CompatError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.inner().to_string();
        if let Some(name) = inner
            .strip_prefix("missing field `")
            .and_then(|m| m.strip_suffix('`'))
        {
            let param = if path == "." {
                name.to_string()
            } else {
                format!("{path}.{name}")
            };
            return CompatError::missing(&param);
        }
        let param = if path == "." {
            "body".to_string()
        } else {
            path
        };
        CompatError::invalid(param.clone(), format!("Invalid '{param}': {inner}."))
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct StreamOptions {
    #[serde(default)]
    pub include_usage: Option<bool>,
}

/// One message. The fields each role may carry are checked by the translation.
#[derive(Debug, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    #[serde(default)]
    pub content: Option<Content>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(default)]
    pub tool_call_id: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
    Function,
}

/// `content`: a string, or an array of parts.
#[derive(Debug, PartialEq)]
pub enum Content {
    Text(String),
    Parts(Vec<ContentPart>),
}

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ContentVisitor;
        impl<'de> Visitor<'de> for ContentVisitor {
            type Value = Content;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an array of content parts")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Content, E> {
                Ok(Content::Text(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Content, E> {
                Ok(Content::Text(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Content, A::Error> {
                let mut parts = vec![];
                while let Some(part) = seq.next_element()? {
                    parts.push(part);
                }
                Ok(Content::Parts(parts))
            }
        }
        d.deserialize_any(ContentVisitor)
    }
}

/// A content part. Parts of other types are named in the 400 serde gives.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    Text { text: String },
    ImageUrl { image_url: ImageUrl },
    InputAudio { input_audio: Value },
    File { file: Value },
    Refusal { refusal: String },
}

#[derive(Debug, PartialEq, Deserialize)]
pub struct ImageUrl {
    pub url: String,
    #[serde(default)]
    pub detail: Option<String>,
}

impl ImageUrl {
    /// `(media type, base64 data)` of a `data:<type>;base64,<data>` URL.
    pub fn inline(&self) -> Option<(&str, &str)> {
        let rest = self.url.strip_prefix("data:")?;
        let (meta, data) = rest.split_once(',')?;
        let media_type = meta.strip_suffix(";base64")?;
        Some((media_type, data))
    }

    /// Whether the image is on the web (the provider fetches it).
    pub fn is_remote(&self) -> bool {
        self.url.starts_with("https://") || self.url.starts_with("http://")
    }
}

impl Content {
    /// The text of a string or of text (and refusal) parts; `Err(index)` names the first
    /// part that is not text.
    pub fn text(&self) -> Result<String, usize> {
        match self {
            Content::Text(text) => Ok(text.clone()),
            Content::Parts(parts) => {
                let mut out = String::new();
                for (i, part) in parts.iter().enumerate() {
                    match part {
                        ContentPart::Text { text } | ContentPart::Refusal { refusal: text } => {
                            out.push_str(text)
                        }
                        _ => return Err(i),
                    }
                }
                Ok(out)
            }
        }
    }
}

/// A tool call the assistant made earlier in the conversation.
#[derive(Debug, Deserialize)]
pub struct ToolCall {
    pub id: String,
    pub function: FunctionCall,
}

#[derive(Debug, Deserialize)]
pub struct FunctionCall {
    pub name: String,
    /// JSON text, as the model wrote it.
    pub arguments: String,
}

/// A tool the model may call.
#[derive(Debug, Deserialize)]
pub struct Tool {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub function: Option<FunctionDef>,
}

#[derive(Debug, Deserialize)]
pub struct FunctionDef {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub parameters: Option<Value>,
}

/// `tool_choice`: `"none"`, `"auto"`, `"required"`, or one named function.
#[derive(Debug, PartialEq)]
pub enum ToolChoice {
    None,
    Auto,
    Required,
    Function(String),
}

impl<'de> Deserialize<'de> for ToolChoice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Mode(String),
            Named { function: Named },
        }
        #[derive(Deserialize)]
        struct Named {
            name: String,
        }
        let expected = "\"none\", \"auto\", \"required\" or {type: \"function\", function: {name}}";
        match Raw::deserialize(d).map_err(|_| de::Error::custom(format!("expected {expected}")))? {
            Raw::Mode(m) if m == "none" => Ok(ToolChoice::None),
            Raw::Mode(m) if m == "auto" => Ok(ToolChoice::Auto),
            Raw::Mode(m) if m == "required" => Ok(ToolChoice::Required),
            Raw::Mode(m) => Err(de::Error::custom(format!("{m:?}: expected {expected}"))),
            Raw::Named { function } => Ok(ToolChoice::Function(function.name)),
        }
    }
}

/// `stop`: one string or several.
#[derive(Debug, PartialEq)]
pub struct Stop(pub Vec<String>);

impl<'de> Deserialize<'de> for Stop {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        match Raw::deserialize(d) {
            Ok(Raw::One(s)) => Ok(Stop(vec![s])),
            Ok(Raw::Many(v)) => Ok(Stop(v)),
            Err(_) => Err(de::Error::custom(
                "expected a string or an array of strings",
            )),
        }
    }
}

/// `response_format`.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    Text,
    JsonObject,
    JsonSchema { json_schema: JsonSchema },
}

#[derive(Debug, PartialEq, Deserialize)]
pub struct JsonSchema {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub schema: Option<Value>,
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
