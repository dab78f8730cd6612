//! Waiting through the global `setTimeout`, looked up at each call: tests that install fake
//! timers after the package loaded (vitest `useFakeTimers`) still control our waits.

use crate::eager::settled;
use crate::interned::interned;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};

fn global_fn(name: &'static str) -> Function {
    Reflect::get(&js_sys::global(), &interned(name))
        .ok()
        .and_then(|f| f.dyn_into::<Function>().ok())
        .unwrap_or_else(|| panic!("this JavaScript host has no global {name}"))
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: f64) {
    let set_timeout = global_fn("setTimeout");
    let promise = Promise::new(&mut |resolve, _reject| {
        let _ = set_timeout.call2(
            &JsValue::UNDEFINED,
            &resolve,
            &JsValue::from_f64(ms.max(0.0)),
        );
    });
    let _ = settled(promise).await;
}

/// A promise that resolves to `marker` after `ms`, and the timer id to clear it with.
pub(crate) fn timeout_promise(ms: f64, marker: &JsValue) -> (Promise, JsValue) {
    let set_timeout = global_fn("setTimeout");
    let mut id = JsValue::UNDEFINED;
    let promise = Promise::new(&mut |resolve, _reject| {
        // setTimeout passes `marker` on to `resolve`: no Rust closure to leak when cleared.
        id = set_timeout
            .call3(
                &JsValue::UNDEFINED,
                &resolve,
                &JsValue::from_f64(ms),
                marker,
            )
            .unwrap_or(JsValue::UNDEFINED);
    });
    (promise, id)
}

pub(crate) fn clear_timeout(id: &JsValue) {
    let _ = global_fn("clearTimeout").call1(&JsValue::UNDEFINED, id);
}
