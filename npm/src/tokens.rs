//! `countTokens(text, model = "gpt-4o")`.

use wasm_bindgen::prelude::*;

/// Tokens in `text` for `model`; special-token text counts as ordinary text.
#[wasm_bindgen(js_name = countTokens)]
pub fn count_tokens(text: &str, model: Option<String>) -> usize {
    edge_llm_tokens::count_tokens(text, model.as_deref().unwrap_or("gpt-4o"))
}

/// The encoding `countTokens` uses for `model` (`"o200k_base"` or `"cl100k_base"`).
#[wasm_bindgen(js_name = encodingForModel)]
pub fn encoding_for_model(model: Option<String>) -> String {
    edge_llm_tokens::Encoding::for_model(model.as_deref().unwrap_or("gpt-4o"))
        .name()
        .to_string()
}
