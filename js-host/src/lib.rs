//! edge-llm's [`Host`](edge_llm_core::host::Host) on JavaScript, shared by the npm package and
//! the Worker: HTTP through the host's `fetch` (or an injected `fetchFn`), timers through the
//! global `setTimeout` (looked up at each call, so test fake timers apply), and the
//! caller's logger object.
//!
//! Everything here is lenient the way the contract asks: a `fetchFn` may be a test double
//! returning a plain object with only some of `ok`/`status`/`statusText`/`json()`/`text()`.

mod convert;
mod eager;
mod host;
mod interned;
mod response;
mod timers;

pub use convert::{error_message, from_js, from_js_json, js_error, to_js};
pub use eager::{future_to_promise_eager, settled, Settled};
pub use host::{JsHost, Logger};
pub use interned::{header, interned};
pub use response::{ChunkReader, JsResponse};
pub use timers::sleep;
