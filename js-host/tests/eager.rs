//! `future_to_promise_eager` under wasm-bindgen-test, in Node: it settles as
//! `future_to_promise` would, and polls at once and inside the reaction that wakes it.
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::rc::Rc;
use std::task::{Poll, Waker};

use edge_llm_js_host::{future_to_promise_eager, settled, sleep};
use futures_util::FutureExt;
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

#[wasm_bindgen(inline_js = r#"
// What `state.resumed` is in the first reaction to `p` registered after the task's own.
export function resumedByNextReaction(p, state) { return p.then(() => state.resumed); }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = resumedByNextReaction)]
    fn resumed_by_next_reaction(p: &Promise, state: &js_sys::Object) -> Promise;
}

async fn settle(promise: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}

#[wasm_bindgen_test]
async fn resolves_with_the_value_after_several_awaits() {
    let promise = future_to_promise_eager(async {
        let a: JsValue = JsFuture::from(Promise::resolve(&JsValue::from(2))).await?;
        sleep(5.0).await;
        let b: JsValue = JsFuture::from(Promise::resolve(&JsValue::from(3))).await?;
        Ok((a.as_f64().unwrap() * b.as_f64().unwrap()).into())
    });
    assert_eq!(settle(promise).await.unwrap(), 6.0);
}

#[wasm_bindgen_test]
async fn rejects_with_the_error_and_with_a_rejection_it_awaited() {
    let own = future_to_promise_eager(async { Err("own".into()) });
    assert_eq!(settle(own).await.unwrap_err(), "own");
    let awaited = future_to_promise_eager(async {
        JsFuture::from(Promise::reject(&"upstream".into())).await
    });
    assert_eq!(settle(awaited).await.unwrap_err(), "upstream");
}

#[wasm_bindgen_test]
async fn runs_up_to_its_first_await_before_returning() {
    let reached = Rc::new(Cell::new(0));
    let seen = reached.clone();
    let promise = future_to_promise_eager(async move {
        seen.set(1);
        JsFuture::from(Promise::resolve(&JsValue::NULL)).await?;
        seen.set(2);
        Ok(JsValue::NULL)
    });
    // `future_to_promise` would not have polled yet: its first poll is a queued microtask.
    assert_eq!(reached.get(), 1);
    settle(promise).await.unwrap();
    assert_eq!(reached.get(), 2);
}

/// Starts a task that awaits `awaited` with `settled` or `JsFuture`, then sets
/// `state.resumed`; answers what the next reaction to `awaited` sees.
async fn resumed_by_next_reaction_after(with_settled: bool) -> JsValue {
    let awaited = Promise::resolve(&JsValue::NULL);
    let state = js_sys::Object::new();
    let (p, s) = (awaited.clone(), state.clone());
    let _task = future_to_promise_eager(async move {
        if with_settled {
            settled(p).await?;
        } else {
            JsFuture::from(p).await?;
        }
        js_sys::Reflect::set(&s, &"resumed".into(), &true.into())?;
        Ok(JsValue::NULL)
    });
    JsFuture::from(resumed_by_next_reaction(&awaited, &state))
        .await
        .unwrap()
}

#[wasm_bindgen_test]
async fn resumes_inside_the_reaction_of_a_settled_promise() {
    // `future_to_promise` would still be waiting for its first poll.
    assert_eq!(resumed_by_next_reaction_after(true).await, true);
}

#[wasm_bindgen_test]
async fn any_other_wake_is_deferred_to_a_microtask() {
    assert_eq!(
        resumed_by_next_reaction_after(false).await,
        JsValue::UNDEFINED
    );
}

#[wasm_bindgen_test]
async fn a_waker_called_under_a_lock_does_not_poll_under_it() {
    // `Shared` wakes its waiters holding its mutex; a task polled in place would take that
    // mutex again (a panic: "cannot recursively acquire mutex").
    let shared = async { settled(Promise::resolve(&JsValue::from(5))).await.unwrap() }.shared();
    let driver = shared.clone();
    let promise = future_to_promise_eager(async move { Ok(shared.await) });
    wasm_bindgen_futures::spawn_local(async move {
        driver.await;
    });
    assert_eq!(settle(promise).await.unwrap(), 5.0);
}

#[wasm_bindgen_test]
async fn a_future_that_wakes_itself_while_polled_is_polled_again() {
    let polls = Rc::new(Cell::new(0));
    let counted = polls.clone();
    let promise = future_to_promise_eager(async move {
        poll_fn(|cx| {
            counted.set(counted.get() + 1);
            if counted.get() < 3 {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Poll::Ready(())
        })
        .await;
        Ok(JsValue::NULL)
    });
    assert_eq!(
        polls.get(),
        3,
        "all three polls happen before the call returns"
    );
    settle(promise).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_wake_after_the_end_does_nothing() {
    let kept: Rc<RefCell<Option<Waker>>> = Rc::default();
    let keep = kept.clone();
    let promise = future_to_promise_eager(async move {
        poll_fn(|cx| {
            *keep.borrow_mut() = Some(cx.waker().clone());
            Poll::Ready(())
        })
        .await;
        Ok(7.into())
    });
    assert_eq!(settle(promise).await.unwrap(), 7.0);
    let waker = kept.borrow_mut().take().unwrap();
    waker.wake_by_ref();
    waker.wake();
}

#[wasm_bindgen_test]
async fn a_wake_from_another_task_resumes_it() {
    let (send, receive) = futures_oneshot();
    let promise = future_to_promise_eager(async move { Ok(receive.await.into()) });
    wasm_bindgen_futures::spawn_local(async move {
        sleep(1.0).await;
        send(11.0);
    });
    assert_eq!(settle(promise).await.unwrap(), 11.0);
}

/// A one-shot channel from a cell and a waker: enough to wake one task from another.
fn futures_oneshot() -> (impl FnOnce(f64), impl Future<Output = f64>) {
    let slot: Rc<RefCell<(Option<f64>, Option<Waker>)>> = Rc::default();
    let sender = slot.clone();
    let send = move |value| {
        let waker = {
            let mut slot = sender.borrow_mut();
            slot.0 = Some(value);
            slot.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    };
    let receive = poll_fn(move |cx| {
        let mut slot = slot.borrow_mut();
        match slot.0.take() {
            Some(value) => Poll::Ready(value),
            None => {
                slot.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    });
    (send, receive)
}
