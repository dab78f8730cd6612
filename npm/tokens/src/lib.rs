//! The npm package's token counting, as a wasm module of its own: counting is what starts
//! cold most often (prompts are packed on every request), so it must not wait for the
//! provider code to load. This module is the vocabularies plus ~25 KB of code; the provider
//! module carries no vocabulary and counts through here (see `npm/js/surface.js`).

use edge_llm_tokens::Encoding;
use wasm_bindgen::prelude::*;

/// Tokens in `text` for `model` (default `gpt-4o`); special-token text counts as ordinary text.
#[wasm_bindgen(js_name = countTokens)]
pub fn count_tokens(text: &str, model: Option<String>) -> usize {
    edge_llm_tokens::count_tokens(text, model.as_deref().unwrap_or("gpt-4o"))
}

/// The encoding `countTokens` uses for `model` (`"o200k_base"` or `"cl100k_base"`).
#[wasm_bindgen(js_name = encodingForModel)]
pub fn encoding_for_model(model: Option<String>) -> String {
    Encoding::for_model(model.as_deref().unwrap_or("gpt-4o"))
        .name()
        .to_string()
}

/// Tokens in `text` for the encoding called `encoding`: what a provider's `countTokens` uses.
#[wasm_bindgen(js_name = countWithEncoding)]
pub fn count_with_encoding(text: &str, encoding: &str) -> Result<usize, JsError> {
    let encoding = Encoding::from_name(encoding)
        .ok_or_else(|| JsError::new(&format!("unknown encoding {encoding:?}")))?;
    Ok(encoding.count(text))
}
