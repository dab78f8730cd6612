//! edge-llm's pure core.
//!
//! Everything here is plain data and decisions: provider wire formats (one module per
//! provider and API resource: builders named `*_request`, parsers named `parse_*`), the
//! batch lifecycle as a state machine that takes `now` and returns the next action, typed
//! errors, the retry policy and health probes. There is no networking, no clock and no
//! environment read: the [`client`] drivers reach the outside world only through the
//! [`host::Host`] a front end passes in (JavaScript `fetch` in the npm package and the Worker,
//! a fake in tests).

pub mod anthropic;
pub mod batch;
pub mod client;
pub mod compat;
pub mod error;
pub mod health;
pub mod host;
pub mod http;
pub mod json_mode;
pub mod lint;
pub mod message;
pub mod ollama;
pub mod openai;
pub mod provider;
pub mod retry;
pub mod sse;
pub mod time;

pub use edge_llm_tokens as tokens;
pub use error::{Error, Provider};
