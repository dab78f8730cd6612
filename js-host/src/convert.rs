//! Crossing the JS boundary with plain data: JSON-compatible values both ways, and errors.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

/// `value` as a plain JS value: objects (not `Map`s), numbers (not `BigInt`s), and absent
/// optional fields left out (never `null`), as the contract's TypeScript types say.
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value
        .serialize(&serializer)
        .expect("plain data always converts to JS")
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
