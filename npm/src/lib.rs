//! The `edge-llm` npm package: the TypeScript provider layer's classes and functions, same
//! names, options and messages (contract §1–3), running on edge-llm's core.
//!
//! Each file is one part of the public surface; all of them are thin: they read JS options,
//! call the core's drivers through a [`edge_llm_js_host::JsHost`], and turn core errors into
//! JS `Error`s with the contract's messages.

mod batch_call;
mod chat_providers;
mod embedding_providers;
mod factory;
mod health;
mod options;
