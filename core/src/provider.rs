//! Provider dispatch: one enum per capability, so drivers and front ends handle every
//! provider through the same few calls and the wire details stay in the provider modules.

use crate::anthropic::{self, AnthropicConfig};
use crate::batch::{BatchKind, BatchList, BatchSnapshot, ItemLine, LineProblem, ResultFiles};
use crate::error::{AnswerProblem, Error, Operation, Provider};
use crate::http::HttpRequest;
use crate::message::{BatchChatRequest, BatchEmbeddingRequest, Message};
use crate::ollama::{self, OllamaConfig};
use crate::openai::{self, batches::BatchEndpoint, OpenAIConfig};
use edge_llm_tokens::Encoding;

/// A configured chat provider.
#[derive(Clone, Debug, PartialEq)]
pub enum ChatProvider {
    OpenAI(OpenAIConfig),
    Anthropic(AnthropicConfig),
    /// Ollama, with its context window and an optional `num_predict`.
    Ollama {
        cfg: OllamaConfig,
        max_context_tokens: u32,
        max_tokens: Option<u32>,
    },
}

impl ChatProvider {
    pub fn provider(&self) -> Provider {
        match self {
            ChatProvider::OpenAI(_) => Provider::OpenAI,
            ChatProvider::Anthropic(_) => Provider::Anthropic,
            ChatProvider::Ollama { .. } => Provider::Ollama,
        }
    }

    pub fn model(&self) -> &str {
        match self {
            ChatProvider::OpenAI(c) => &c.model,
            ChatProvider::Anthropic(c) => &c.model,
            ChatProvider::Ollama { cfg, .. } => &cfg.model,
        }
    }

    /// The context window the contract gives each provider.
    pub fn max_context_tokens(&self) -> u32 {
        match self {
            ChatProvider::OpenAI(_) => 128_000,
            ChatProvider::Anthropic(_) => 200_000,
            ChatProvider::Ollama {
                max_context_tokens, ..
            } => *max_context_tokens,
        }
    }

    /// The encoding `countTokens` uses: the model's own for OpenAI, an o200k_base
    /// estimate for the others (their tokenizers are not public).
    pub fn encoding(&self) -> Encoding {
        match self {
            ChatProvider::OpenAI(c) => Encoding::for_model(&c.model),
            _ => Encoding::O200kBase,
        }
    }

    pub fn chat_request(&self, messages: &[Message]) -> HttpRequest {
        match self {
            ChatProvider::OpenAI(c) => openai::chat::chat_request(c, messages),
            ChatProvider::Anthropic(c) => anthropic::messages::messages_request(c, messages),
            ChatProvider::Ollama {
                cfg, max_tokens, ..
            } => ollama::chat::chat_request(cfg, messages, *max_tokens),
        }
    }
}

/// A configured embedding provider.
#[derive(Clone, Debug, PartialEq)]
pub enum EmbeddingProvider {
    /// OpenAI; `dimensions` is sent only when the caller chose it.
    OpenAI {
        cfg: OpenAIConfig,
        dimensions: Option<u32>,
    },
    Ollama(OllamaConfig),
}

impl EmbeddingProvider {
    pub fn provider(&self) -> Provider {
        match self {
            EmbeddingProvider::OpenAI { .. } => Provider::OpenAI,
            EmbeddingProvider::Ollama(_) => Provider::Ollama,
        }
    }

    pub fn model(&self) -> &str {
        match self {
            EmbeddingProvider::OpenAI { cfg, .. } => &cfg.model,
            EmbeddingProvider::Ollama(cfg) => &cfg.model,
        }
    }

    /// The encoding `countTokens` uses: the model's own for OpenAI, an o200k_base estimate
    /// for Ollama.
    pub fn encoding(&self) -> Encoding {
        match self {
            EmbeddingProvider::OpenAI { cfg, .. } => Encoding::for_model(&cfg.model),
            EmbeddingProvider::Ollama(_) => Encoding::O200kBase,
        }
    }

    /// Most inputs one call may carry.
    pub fn max_inputs_per_call(&self) -> usize {
        match self {
            EmbeddingProvider::OpenAI { .. } => openai::MAX_EMBEDDING_INPUTS,
            EmbeddingProvider::Ollama(_) => usize::MAX,
        }
    }

    pub fn embed_request(&self, inputs: &[String]) -> HttpRequest {
        match self {
            EmbeddingProvider::OpenAI { cfg, dimensions } => {
                openai::embeddings::embeddings_request(cfg, inputs, *dimensions)
            }
            EmbeddingProvider::Ollama(cfg) => ollama::embed::embed_request(cfg, inputs),
        }
    }

    pub fn parse_embeddings(
        &self,
        body: serde_json::Value,
    ) -> Result<Vec<Vec<f64>>, AnswerProblem> {
        match self {
            EmbeddingProvider::OpenAI { .. } => openai::embeddings::parse_embeddings(body),
            EmbeddingProvider::Ollama(_) => ollama::embed::parse_embed_response(body),
        }
    }
}

/// The vector length of well-known embedding models (the `dimensions` getter's default).
pub fn known_embedding_dimensions(model: &str) -> Option<u32> {
    let model = model.split(':').next().unwrap_or(model);
    Some(match model {
        "text-embedding-3-large" => 3072,
        "text-embedding-3-small" | "text-embedding-ada-002" => 1536,
        "nomic-embed-text" => 768,
        "mxbai-embed-large" | "bge-large" | "snowflake-arctic-embed" => 1024,
        "all-minilm" => 384,
        _ => return None,
    })
}

/// What a batch is made of.
#[derive(Clone, Copy, Debug)]
pub enum BatchInput<'a> {
    Chat(&'a [BatchChatRequest]),
    Embeddings(&'a [BatchEmbeddingRequest]),
}

/// A batch's input sent in pieces; see [`BatchApi::input_stream`].
#[derive(Clone, Debug, PartialEq)]
pub struct InputStream {
    /// What the call is, for its error messages.
    pub operation: Operation,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub head: String,
    pub separator: &'static str,
    pub tail: String,
}

/// A Batch API with its credentials: it turns the batch machine's actions into requests
/// and the answers back into snapshots and result lines.
#[derive(Clone, Debug, PartialEq)]
pub enum BatchApi {
    OpenAI {
        cfg: OpenAIConfig,
        endpoint: BatchEndpoint,
        dimensions: Option<u32>,
    },
    Anthropic(AnthropicConfig),
}

impl BatchApi {
    pub fn kind(&self) -> BatchKind {
        match self {
            BatchApi::OpenAI { endpoint, .. } => BatchKind::OpenAI {
                endpoint: *endpoint,
            },
            BatchApi::Anthropic(_) => BatchKind::Anthropic,
        }
    }

    pub fn provider(&self) -> Provider {
        self.kind().provider()
    }

    /// The call that takes a chat batch's requests, for a host that streams them (the Worker
    /// never holds a large batch whole): OpenAI's file upload, Anthropic's create. The body is
    /// `head`, then [`BatchApi::input_item`] of each request joined by `separator`, then
    /// `tail`. `boundary` frames OpenAI's multipart form.
    pub fn input_stream(&self, boundary: &str) -> InputStream {
        match self {
            BatchApi::OpenAI { cfg, .. } => {
                let up = openai::files::streamed_upload(cfg, boundary);
                InputStream {
                    operation: Operation::FileUpload,
                    url: up.url,
                    headers: up.headers,
                    head: up.head,
                    separator: "\n",
                    tail: up.tail,
                }
            }
            BatchApi::Anthropic(cfg) => {
                let (url, headers) = anthropic::batches::create_target(cfg);
                InputStream {
                    operation: Operation::BatchCreate,
                    url,
                    headers,
                    head: anthropic::batches::CREATE_HEAD.into(),
                    separator: ",",
                    tail: anthropic::batches::CREATE_TAIL.into(),
                }
            }
        }
    }

    /// One request's piece of [`BatchApi::input_stream`]: its JSONL line (OpenAI) or its
    /// `{custom_id, params}` (Anthropic).
    pub fn input_item(&self, request: &BatchChatRequest) -> String {
        match self {
            BatchApi::OpenAI { cfg, .. } => openai::batch_input::chat_line(cfg, request),
            BatchApi::Anthropic(cfg) => anthropic::batches::create_item(cfg, request),
        }
    }

    /// OpenAI: the input file upload. Anthropic has none.
    pub fn upload_request(&self, input: BatchInput<'_>) -> Option<HttpRequest> {
        let BatchApi::OpenAI {
            cfg, dimensions, ..
        } = self
        else {
            return None;
        };
        let jsonl = match input {
            BatchInput::Chat(requests) => openai::batch_input::chat_jsonl(cfg, requests),
            BatchInput::Embeddings(requests) => {
                openai::batch_input::embedding_jsonl(cfg, requests, *dimensions)
            }
        };
        Some(openai::files::upload_batch_input_request(cfg, jsonl))
    }

    /// The create call: from the uploaded file (OpenAI) or inline (Anthropic, chat only).
    /// `tag` is the Worker's own id for the batch, kept as upstream metadata where the API
    /// has it (OpenAI), so a create whose answer is lost can be found again.
    pub fn create_request(
        &self,
        input_file_id: Option<&str>,
        input: BatchInput<'_>,
        tag: Option<&str>,
    ) -> Result<HttpRequest, Error> {
        match (self, input) {
            (BatchApi::OpenAI { cfg, endpoint, .. }, _) => Ok(openai::batches::create_request(
                cfg,
                input_file_id.unwrap_or_default(),
                *endpoint,
                tag,
            )),
            (BatchApi::Anthropic(cfg), BatchInput::Chat(requests)) => {
                anthropic::batches::create_request(cfg, requests)
            }
            (BatchApi::Anthropic(_), BatchInput::Embeddings(_)) => Err(Error::InvalidInput {
                provider: Provider::Anthropic,
                message: "Anthropic has no embeddings API".into(),
            }),
        }
    }

    pub fn poll_request(&self, batch_id: &str) -> HttpRequest {
        match self {
            BatchApi::OpenAI { cfg, .. } => openai::batches::retrieve_request(cfg, batch_id),
            BatchApi::Anthropic(cfg) => anthropic::batches::retrieve_request(cfg, batch_id),
        }
    }

    pub fn cancel_request(&self, batch_id: &str) -> HttpRequest {
        match self {
            BatchApi::OpenAI { cfg, .. } => openai::batches::cancel_request(cfg, batch_id),
            BatchApi::Anthropic(cfg) => anthropic::batches::cancel_request(cfg, batch_id),
        }
    }

    /// A page of upstream's batches, newest first (`after`: the previous page's `next`).
    pub fn list_request(&self, after: Option<&str>) -> HttpRequest {
        match self {
            BatchApi::OpenAI { cfg, .. } => openai::batches::list_request(cfg, after),
            BatchApi::Anthropic(cfg) => anthropic::batches::list_request(cfg, after),
        }
    }

    pub fn parse_list(&self, body: serde_json::Value) -> Result<BatchList, AnswerProblem> {
        match self {
            BatchApi::OpenAI { .. } => openai::batches::parse_list(body),
            BatchApi::Anthropic(_) => anthropic::batches::parse_list(body),
        }
    }

    /// Reads the upload answer: the input file's id.
    pub fn parse_upload(&self, body: serde_json::Value) -> Result<String, AnswerProblem> {
        openai::files::parse_file(body)
    }

    /// Reads a create, poll or cancel answer.
    pub fn parse_snapshot(&self, body: serde_json::Value) -> Result<BatchSnapshot, AnswerProblem> {
        match self {
            BatchApi::OpenAI { .. } => openai::batches::parse_batch(body),
            BatchApi::Anthropic(_) => anthropic::batches::parse_batch(body),
        }
    }

    /// Where the results are may come from upstream's answer (Anthropic's `results_url`):
    /// refuses a download that would carry the key to another origin. The Worker checks this
    /// before collecting; the npm package fetches what it is given, as the reference.
    pub fn check_result_origins(&self, files: &ResultFiles) -> Result<(), Error> {
        match (self, &files.results_url) {
            (BatchApi::Anthropic(cfg), Some(url)) => {
                anthropic::batches::check_results_origin(cfg, url)
            }
            _ => Ok(()),
        }
    }

    /// The downloads that hold a finished batch's results (output file first).
    pub fn result_requests(&self, files: &ResultFiles) -> Vec<HttpRequest> {
        match self {
            BatchApi::OpenAI { cfg, .. } => [&files.output_file_id, &files.error_file_id]
                .into_iter()
                .flatten()
                .map(|id| openai::files::content_request(cfg, id))
                .collect(),
            BatchApi::Anthropic(cfg) => files
                .results_url
                .iter()
                .map(|url| anthropic::batches::results_request(cfg, url))
                .collect(),
        }
    }

    /// Reads one line of a result file.
    pub fn parse_line(&self, line: &str) -> Result<ItemLine, LineProblem> {
        match self {
            BatchApi::OpenAI { endpoint, .. } => {
                openai::batch_output::parse_output_line(line, *endpoint)
            }
            BatchApi::Anthropic(_) => anthropic::batch_results::parse_result_line(line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::ApiKey;

    #[test]
    fn context_windows_and_encodings_follow_the_contract() {
        let openai = ChatProvider::OpenAI(OpenAIConfig::new(ApiKey::new("k"), "gpt-4"));
        assert_eq!(
            (openai.max_context_tokens(), openai.encoding()),
            (128_000, Encoding::Cl100kBase)
        );
        let claude = ChatProvider::Anthropic(AnthropicConfig::new(ApiKey::new("k"), "claude"));
        assert_eq!(
            (claude.max_context_tokens(), claude.encoding()),
            (200_000, Encoding::O200kBase)
        );
        let llama = ChatProvider::Ollama {
            cfg: OllamaConfig::new("http://h", "llama3.2"),
            max_context_tokens: 8192,
            max_tokens: None,
        };
        assert_eq!(
            (llama.max_context_tokens(), llama.encoding()),
            (8192, Encoding::O200kBase)
        );
    }

    #[test]
    fn embedding_dimensions_of_known_models() {
        assert_eq!(
            known_embedding_dimensions("text-embedding-3-small"),
            Some(1536)
        );
        assert_eq!(
            known_embedding_dimensions("nomic-embed-text:latest"),
            Some(768)
        );
        assert_eq!(known_embedding_dimensions("mystery"), None);
    }

    #[test]
    fn a_streamed_input_is_the_whole_input_in_pieces() {
        use crate::message::{Message, Role};
        let reqs: Vec<BatchChatRequest> = ["a", "b"]
            .iter()
            .map(|id| BatchChatRequest {
                id: id.to_string(),
                messages: vec![Message::new(Role::User, "json")],
            })
            .collect();
        let joined = |api: &BatchApi, s: &InputStream| {
            let items: Vec<String> = reqs.iter().map(|r| api.input_item(r)).collect();
            format!("{}{}{}", s.head, items.join(s.separator), s.tail)
        };
        let claude = BatchApi::Anthropic(AnthropicConfig::new(ApiKey::new("k"), "claude"));
        let whole = claude
            .create_request(None, BatchInput::Chat(&reqs), None)
            .unwrap();
        let crate::http::Body::Json(body) = whole.body else {
            panic!()
        };
        let streamed = claude.input_stream("unused");
        assert_eq!(joined(&claude, &streamed), body);
        assert_eq!((streamed.url, streamed.headers), (whole.url, whole.headers));

        let openai = BatchApi::OpenAI {
            cfg: OpenAIConfig::new(ApiKey::new("k"), "gpt-4o"),
            endpoint: BatchEndpoint::ChatCompletions,
            dimensions: None,
        };
        let Some(HttpRequest {
            body: crate::http::Body::Multipart(form),
            ..
        }) = openai.upload_request(BatchInput::Chat(&reqs))
        else {
            panic!()
        };
        let streamed = openai.input_stream("B0UND");
        let text = joined(&openai, &streamed);
        let file = text
            .strip_prefix(streamed.head.as_str())
            .and_then(|t| t.strip_suffix(streamed.tail.as_str()))
            .unwrap();
        assert_eq!(file, form.file.content);
    }

    #[test]
    fn openai_result_requests_read_output_then_error_file() {
        let api = BatchApi::OpenAI {
            cfg: OpenAIConfig::new(ApiKey::new("k"), "gpt-4o"),
            endpoint: BatchEndpoint::ChatCompletions,
            dimensions: None,
        };
        let files = ResultFiles {
            output_file_id: Some("o".into()),
            error_file_id: Some("e".into()),
            results_url: None,
        };
        let urls: Vec<String> = api
            .result_requests(&files)
            .into_iter()
            .map(|r| r.url)
            .collect();
        assert_eq!(
            urls,
            [
                "https://api.openai.com/v1/files/o/content",
                "https://api.openai.com/v1/files/e/content"
            ]
        );
    }
}
