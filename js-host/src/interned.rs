//! JavaScript strings for the fixed names the host passes on every call (`"method"`,
//! `"headers"`, `"ok"`, `"setTimeout"`, header names…), made once per instance.
//!
//! Each string made from wasm memory is a `TextDecoder.decode` call, which in workerd is a
//! call into the runtime: about a dozen of them per chat were the same names every time
//! (issue 10).

use std::cell::RefCell;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

thread_local! {
    /// By address and length: a `&'static str` never moves, so two lookups of one literal
    /// find one entry without hashing or comparing text. A few dozen names at most.
    static NAMES: RefCell<Vec<(usize, usize, JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// The JavaScript string `name`, made on first use.
pub fn interned(name: &'static str) -> JsValue {
    let key = (name.as_ptr() as usize, name.len());
    NAMES.with_borrow_mut(|names| {
        if let Some((_, _, value)) = names.iter().find(|(ptr, len, _)| (*ptr, *len) == key) {
            return value.clone();
        }
        let value = JsValue::from_str(name);
        names.push((key.0, key.1, value.clone()));
        value
    })
}

#[wasm_bindgen]
extern "C" {
    /// A `Headers`, with `get` taking the name as a JavaScript string.
    type NamedHeaders;
    #[wasm_bindgen(method)]
    fn get(this: &NamedHeaders, name: &JsValue) -> Option<String>;
}

/// `headers.get(name)` for a fixed name (`"authorization"`, `"content-length"`).
pub fn header(headers: &web_sys::Headers, name: &'static str) -> Option<String> {
    headers.unchecked_ref::<NamedHeaders>().get(&interned(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    static NAME: &str = "statusText";

    #[wasm_bindgen_test]
    fn a_name_is_made_once_and_reads_as_itself() {
        assert_eq!(interned(NAME).as_string().as_deref(), Some("statusText"));
        let count = NAMES.with_borrow(|names| names.len());
        assert_eq!(interned(NAME).as_string().as_deref(), Some("statusText"));
        assert_eq!(NAMES.with_borrow(|names| names.len()), count);
        assert_eq!(interned("ok").as_string().as_deref(), Some("ok"));
    }

    #[wasm_bindgen_test]
    fn a_header_is_read_by_its_interned_name() {
        let headers = web_sys::Headers::new().unwrap();
        headers.set("Authorization", "Bearer t").unwrap();
        assert_eq!(
            header(&headers, "authorization").as_deref(),
            Some("Bearer t")
        );
        assert_eq!(header(&headers, "content-length"), None);
    }
}
