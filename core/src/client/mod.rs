//! Async drivers over a [`Host`](crate::host::Host): the calls every front end makes (chat,
//! embeddings, health, batch steps), written once. They only decide and sequence; the host
//! does the IO.

pub mod batch;
pub mod chat;
pub mod embed;
pub mod health;
mod send;

pub use send::{check_status, read_answer, read_json, send, send_once, CallOptions};

#[cfg(test)]
pub(crate) mod fake_host;
