//! A promise for a future that is polled at once, and after an awaited promise settles,
//! inside that promise's own reaction.
//!
//! `wasm_bindgen_futures::future_to_promise` polls on a later microtask: the first poll, and
//! each one after an awaited promise settles, is queued with `queueMicrotask` and run from
//! there. In workerd each hop is a JavaScript→wasm→JavaScript round trip plus the runtime's
//! own bookkeeping for the queued callback, and a chat request made five of them (0.498 →
//! 0.433 ms of CPU a chat without them, benches/README.md, issue 10).
//!
//! Polling from inside a wake is only sound where nothing is held: a waker may be called
//! with a lock taken (futures' `Shared` wakes its waiters holding its mutex). So a task here
//! polls in place in two places only: in the call that creates it, and in the reaction of a
//! promise it awaited with [`settled`] directly (its own waker registered, not a
//! combinator's), which runs on an empty stack from the microtask checkpoint. Any other wake
//! (a `JsFuture`, a channel, a lock, a combinator) is deferred to a microtask, as
//! `future_to_promise` would do.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use js_sys::{Function, Promise};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;

/// The promise of `future`'s result; `future` is first polled before this returns.
pub fn future_to_promise_eager<F>(future: F) -> Promise
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    let mut future = Some(future);
    Promise::new(&mut |resolve: Function, reject: Function| {
        let future = future.take().expect("a promise executor runs once");
        Task::start(async move {
            let (settle, value) = match future.await {
                Ok(value) => (resolve, value),
                Err(error) => (reject, error),
            };
            let _ = settle.call1(&JsValue::UNDEFINED, &value);
        });
    })
}

/// Awaits `promise` as `JsFuture` does; a task of [`future_to_promise_eager`] then resumes
/// inside the promise's reaction instead of on a microtask after it.
pub fn settled(promise: Promise) -> Settled {
    Settled {
        promise: Some(promise),
        slot: Rc::default(),
    }
}

pub struct Settled {
    /// Until the first poll subscribes to it.
    promise: Option<Promise>,
    slot: Rc<Slot>,
}

type Callback = Closure<dyn FnMut(JsValue)>;

#[derive(Default)]
struct Slot {
    result: RefCell<Option<Result<JsValue, JsValue>>>,
    waker: RefCell<Option<Waker>>,
    /// Kept until the promise settles, even when the `Settled` is dropped before: JavaScript
    /// would otherwise call freed closures.
    callbacks: RefCell<Option<[Callback; 2]>>,
}

impl Future for Settled {
    type Output = Result<JsValue, JsValue>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(result) = self.slot.result.borrow_mut().take() {
            return Poll::Ready(result);
        }
        *self.slot.waker.borrow_mut() = Some(cx.waker().clone());
        if let Some(promise) = self.promise.take() {
            let on = |fulfilled: bool| {
                let slot = self.slot.clone();
                Closure::once(move |value| {
                    slot.settle(if fulfilled { Ok(value) } else { Err(value) })
                })
            };
            let callbacks = [on(true), on(false)];
            let _ = promise.then2(&callbacks[0], &callbacks[1]);
            *self.slot.callbacks.borrow_mut() = Some(callbacks);
        }
        Poll::Pending
    }
}

impl Slot {
    fn settle(&self, result: Result<JsValue, JsValue>) {
        *self.result.borrow_mut() = Some(result);
        drop(self.callbacks.borrow_mut().take());
        let waker = self.waker.borrow_mut().take();
        match waker {
            // Our task's own waker, called with nothing held: poll here. Its data is the
            // `Rc<Task>` that `raw` made, still owned by `waker`.
            Some(waker) if std::ptr::eq(waker.vtable(), &VTABLE) => {
                let task = std::mem::ManuallyDrop::new(unsafe {
                    Rc::from_raw(waker.data().cast::<Task>())
                });
                task.run_unless_polling();
            }
            // Any other (a combinator's, which may forward it under a lock): as it asks.
            Some(waker) => waker.wake(),
            None => {}
        }
    }
}

struct Task {
    future: RefCell<Option<Pin<Box<dyn Future<Output = ()>>>>>,
    /// Set while `poll` runs: a wake then only asks for another poll after it.
    polling: Cell<bool>,
    woken: Cell<bool>,
    /// A deferred poll is queued.
    queued: Cell<bool>,
}

impl Task {
    fn start(future: impl Future<Output = ()> + 'static) {
        let task = Rc::new(Task {
            future: RefCell::new(Some(Box::pin(future))),
            polling: Cell::new(false),
            woken: Cell::new(false),
            queued: Cell::new(false),
        });
        task.run();
    }

    fn run_unless_polling(self: &Rc<Self>) {
        if self.polling.get() {
            self.woken.set(true);
        } else {
            self.run();
        }
    }

    fn wake(self: &Rc<Self>) {
        if self.polling.get() {
            self.woken.set(true);
        } else if !self.queued.replace(true) {
            let task = self.clone();
            wasm_bindgen_futures::spawn_local(async move {
                task.queued.set(false);
                task.run();
            });
        }
    }

    fn run(self: &Rc<Self>) {
        self.polling.set(true);
        let waker = waker(self.clone());
        let mut cx = Context::from_waker(&waker);
        loop {
            self.woken.set(false);
            let mut slot = self.future.borrow_mut();
            let Some(future) = slot.as_mut() else { break };
            if let Poll::Ready(()) = future.as_mut().poll(&mut cx) {
                // Dropped while `polling` is still set: a wake from a destructor is ignored.
                *slot = None;
                break;
            }
            drop(slot);
            if !self.woken.get() {
                break;
            }
        }
        self.polling.set(false);
    }
}

// A waker is an `Rc<Task>` behind a raw pointer. `Waker` is `Send + Sync` in its type only:
// without wasm's atomics feature there is one thread, so an `Rc` is never shared across
// threads (js-sys' own executor makes the same assumption).
fn waker(task: Rc<Task>) -> Waker {
    unsafe { Waker::from_raw(raw(task)) }
}

fn raw(task: Rc<Task>) -> RawWaker {
    RawWaker::new(Rc::into_raw(task).cast(), &VTABLE)
}

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

unsafe fn clone(data: *const ()) -> RawWaker {
    let task = data.cast::<Task>();
    Rc::increment_strong_count(task);
    raw(Rc::from_raw(task))
}

unsafe fn wake(data: *const ()) {
    Rc::from_raw(data.cast::<Task>()).wake();
}

unsafe fn wake_by_ref(data: *const ()) {
    let task = std::mem::ManuallyDrop::new(Rc::from_raw(data.cast::<Task>()));
    task.wake();
}

unsafe fn drop_waker(data: *const ()) {
    drop(Rc::from_raw(data.cast::<Task>()));
}
