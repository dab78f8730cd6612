//! Configuration from `[vars]` and secrets (contract §4), and which provider a request gets.

use crate::api_error::ApiError;
use edge_llm_core::batch::PollSchedule;
use edge_llm_core::client::CallOptions;
use edge_llm_core::http::ApiKey;
use edge_llm_core::openai::batches::BatchEndpoint;
use edge_llm_core::provider::{BatchApi, ChatProvider, EmbeddingProvider};
use edge_llm_core::{anthropic, ollama, openai, Provider};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use worker::Env;

/// A provider named in vars (`LLM_*` or `EMBEDDING_*`).
#[derive(Clone, Debug)]
pub struct Configured {
    pub provider: Result<Provider, String>,
    pub model: String,
    pub url: Option<String>,
}

pub struct Config {
    pub llm: Option<Configured>,
    pub embedding: Option<Configured>,
    openai_key: Option<ApiKey>,
    anthropic_key: Option<ApiKey>,
    openai_base_url: String,
    anthropic_base_url: String,
    pub gateway_token: Option<String>,
    pub schedule: PollSchedule,
    /// Which browser origins may call (`CORS_ORIGINS`); `None`: same-origin only.
    pub cors: Option<crate::cors::Cors>,
    /// Retries and timeout of sync calls (chat, batch create, cancel); `UPSTREAM_TIMEOUT_MS`
    /// sets the timeout (tests set it low).
    pub call: CallOptions,
    secrets: Rc<Vec<String>>,
}

thread_local! {
    /// The `env` last read and what it said. workerd hands every event of an isolate the same
    /// `env` object, so vars and secrets are read once per isolate, not once per request
    /// (reading them cost more than the rest of a chat's own work; issue 10).
    static LAST: RefCell<Option<(JsValue, Rc<Config>)>> = const { RefCell::new(None) };
}

fn text(env: &Env, name: &str) -> Option<String> {
    let value = env
        .var(name)
        .map(|v| v.to_string())
        .or_else(|_| env.secret(name).map(|s| s.to_string()))
        .ok()?;
    let value = value.trim().to_string();
    (!value.is_empty()).then_some(value)
}

fn configured(env: &Env, prefix: &str) -> Option<Configured> {
    let name = text(env, &format!("{prefix}_PROVIDER"))?;
    let provider = Provider::from_id(&name).ok_or_else(|| {
        format!("{prefix}_PROVIDER {name:?} is not one of openai, anthropic, ollama")
    });
    Some(Configured {
        provider,
        model: text(env, &format!("{prefix}_MODEL")).unwrap_or_default(),
        url: text(env, &format!("{prefix}_URL")),
    })
}

impl Config {
    /// The configuration `env` holds: read once, then reused for as long as events bring the
    /// same `env` object (a different object, as a test double may bring, is read afresh).
    pub fn of(env: &Env) -> Rc<Config> {
        let js: &JsValue = env.as_ref();
        if let Some(config) = LAST.with_borrow(|last| {
            last.as_ref()
                .filter(|(seen, _)| js_sys::Object::is(seen, js))
                .map(|(_, config)| config.clone())
        }) {
            return config;
        }
        let config = Rc::new(Config::from_env(env));
        LAST.set(Some((js.clone(), config.clone())));
        config
    }

    fn from_env(env: &Env) -> Config {
        let number = |name: &str, default: f64| {
            text(env, name)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(default)
        };
        let defaults = PollSchedule::default();
        let openai_key = text(env, "OPENAI_API_KEY");
        let anthropic_key = text(env, "ANTHROPIC_API_KEY");
        let gateway_token = text(env, "GATEWAY_TOKEN");
        let secrets = [&openai_key, &anthropic_key, &gateway_token]
            .into_iter()
            .flatten()
            .filter(|s| s.len() >= 4)
            .cloned()
            .collect();
        Config {
            llm: configured(env, "LLM"),
            embedding: configured(env, "EMBEDDING"),
            openai_key: openai_key.map(ApiKey::new),
            anthropic_key: anthropic_key.map(ApiKey::new),
            openai_base_url: text(env, "OPENAI_BASE_URL")
                .unwrap_or_else(|| openai::DEFAULT_BASE_URL.into()),
            anthropic_base_url: text(env, "ANTHROPIC_BASE_URL")
                .unwrap_or_else(|| anthropic::DEFAULT_BASE_URL.into()),
            gateway_token,
            cors: text(env, "CORS_ORIGINS").and_then(|v| crate::cors::Cors::parse(&v)),
            call: CallOptions {
                timeout_ms: Some(number("UPSTREAM_TIMEOUT_MS", 60_000.0) as u64),
                ..crate::routes::CHAT_CALL
            },
            schedule: PollSchedule {
                poll_interval_ms: number("BATCH_POLL_INTERVAL_MS", defaults.poll_interval_ms),
                max_poll_interval_ms: number(
                    "BATCH_MAX_POLL_INTERVAL_MS",
                    defaults.max_poll_interval_ms,
                ),
                timeout_ms: defaults.timeout_ms,
            },
            secrets: Rc::new(secrets),
        }
    }

    /// Every secret value, to scrub from anything the Worker says.
    pub fn secrets(&self) -> Rc<Vec<String>> {
        self.secrets.clone()
    }

    /// The provider and model a request asks for (`provider`/`model` override `LLM_*`).
    fn resolve(
        &self,
        provider: Option<&str>,
        model: Option<&str>,
    ) -> Result<(Provider, String), ApiError> {
        let llm = self.llm.as_ref();
        let provider = match (provider, llm) {
            (Some(name), _) => Provider::from_id(name).ok_or_else(|| {
                ApiError::field(
                    "provider",
                    format!("{name:?} is not one of openai, anthropic, ollama"),
                )
            })?,
            (None, Some(c)) => c.provider.clone().map_err(ApiError::misconfigured)?,
            (None, None) => {
                return Err(ApiError::field(
                    "provider",
                    "is required: this gateway has no LLM_PROVIDER configured",
                ))
            }
        };
        let default_model = llm
            .filter(|c| c.provider.as_ref().ok() == Some(&provider))
            .map(|c| c.model.clone());
        let model = match model
            .map(str::to_string)
            .or(default_model)
            .filter(|m| !m.is_empty())
        {
            Some(m) => m,
            None => {
                return Err(ApiError::field(
                    "model",
                    format!(
                    "is required for provider {:?} (it is not LLM_PROVIDER, or LLM_MODEL is empty)",
                    provider.id()
                ),
                ))
            }
        };
        Ok((provider, model))
    }

    fn not_configured(provider: Provider, what: &str) -> ApiError {
        ApiError::field(
            "provider",
            format!(
                "{:?} is not configured on this gateway ({what})",
                provider.id()
            ),
        )
    }

    fn openai(&self, model: String) -> Result<openai::OpenAIConfig, ApiError> {
        let key = self
            .openai_key
            .clone()
            .ok_or_else(|| Self::not_configured(Provider::OpenAI, "no OPENAI_API_KEY secret"))?;
        Ok(openai::OpenAIConfig {
            base_url: self.openai_base_url.clone(),
            ..openai::OpenAIConfig::new(key, model)
        })
    }

    fn anthropic(&self, model: String) -> Result<anthropic::AnthropicConfig, ApiError> {
        let key = self.anthropic_key.clone().ok_or_else(|| {
            Self::not_configured(Provider::Anthropic, "no ANTHROPIC_API_KEY secret")
        })?;
        Ok(anthropic::AnthropicConfig {
            base_url: self.anthropic_base_url.clone(),
            ..anthropic::AnthropicConfig::new(key, model)
        })
    }

    /// Ollama's URL: LLM_URL, else EMBEDDING_URL (whichever names Ollama).
    fn ollama(&self, model: String) -> Result<ollama::OllamaConfig, ApiError> {
        let url = [&self.llm, &self.embedding]
            .into_iter()
            .flatten()
            .find(|c| c.provider.as_ref().ok() == Some(&Provider::Ollama) && c.url.is_some())
            .and_then(|c| c.url.clone())
            .ok_or_else(|| {
                Self::not_configured(Provider::Ollama, "no LLM_URL or EMBEDDING_URL for ollama")
            })?;
        Ok(ollama::OllamaConfig::new(url, model))
    }

    fn chat_for(&self, provider: Provider, model: String) -> Result<ChatProvider, ApiError> {
        Ok(match provider {
            Provider::OpenAI => ChatProvider::OpenAI(self.openai(model)?),
            Provider::Anthropic => ChatProvider::Anthropic(self.anthropic(model)?),
            Provider::Ollama => ChatProvider::Ollama {
                cfg: self.ollama(model)?,
                max_context_tokens: ollama::DEFAULT_MAX_CONTEXT_TOKENS,
                max_tokens: None,
            },
        })
    }

    /// The chat provider for a request.
    pub fn chat_provider(
        &self,
        provider: Option<&str>,
        model: Option<&str>,
    ) -> Result<ChatProvider, ApiError> {
        let (provider, model) = self.resolve(provider, model)?;
        self.chat_for(provider, model)
    }

    /// The Batch API for a request, with the chat provider its one-request shortcut uses.
    pub fn batch_api(
        &self,
        provider: Option<&str>,
        model: Option<&str>,
    ) -> Result<(BatchApi, ChatProvider), ApiError> {
        let (provider, model) = self.resolve(provider, model)?;
        // Before credentials: configuring Ollama would not give it a Batch API.
        if provider == Provider::Ollama {
            return Err(ApiError::field(
                "provider",
                "\"ollama\" has no Batch API; use openai or anthropic",
            ));
        }
        let chat = self.chat_for(provider, model)?;
        let api = match &chat {
            ChatProvider::OpenAI(cfg) => BatchApi::OpenAI {
                cfg: cfg.clone(),
                endpoint: BatchEndpoint::ChatCompletions,
                dimensions: None,
            },
            ChatProvider::Anthropic(cfg) => BatchApi::Anthropic(cfg.clone()),
            ChatProvider::Ollama { .. } => {
                return Err(ApiError::field(
                    "provider",
                    "\"ollama\" has no Batch API; use openai or anthropic",
                ))
            }
        };
        Ok((api, chat))
    }

    /// The Batch API a stored batch was created with (its provider and model).
    pub fn batch_api_for(&self, provider: Provider, model: &str) -> Result<BatchApi, ApiError> {
        self.batch_api(Some(provider.id()), Some(model))
            .map(|(api, _)| api)
    }

    /// The configured LLM as a chat provider (health).
    pub fn llm_provider(&self) -> Option<Result<ChatProvider, ApiError>> {
        let c = self.llm.as_ref()?;
        Some(
            c.provider
                .clone()
                .map_err(ApiError::misconfigured)
                .and_then(|p| self.chat_for(p, c.model.clone())),
        )
    }

    /// The configured embedding provider (health).
    pub fn embedding_provider(&self) -> Option<Result<EmbeddingProvider, ApiError>> {
        let c = self.embedding.as_ref()?;
        Some(
            c.provider
                .clone()
                .map_err(ApiError::misconfigured)
                .and_then(|p| match p {
                    Provider::OpenAI => Ok(EmbeddingProvider::OpenAI {
                        cfg: self.openai(c.model.clone())?,
                        dimensions: None,
                    }),
                    Provider::Ollama => {
                        Ok(EmbeddingProvider::Ollama(self.ollama(c.model.clone())?))
                    }
                    Provider::Anthropic => Err(ApiError::misconfigured(
                        "EMBEDDING_PROVIDER \"anthropic\": Anthropic has no embeddings API",
                    )),
                }),
        )
    }
}
