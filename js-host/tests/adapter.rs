//! The JavaScript adapter under wasm-bindgen-test, in Node: how `JsHost` talks to `fetchFn`
//! doubles and what it makes of their answers.
#![cfg(target_arch = "wasm32")]

use edge_llm_core::host::{Answer, BodyError, FetchError, Host, Level, UpstreamResponse};
use edge_llm_core::http::{Body, FilePart, HttpRequest, Method, MultipartForm};
use edge_llm_js_host::{JsHost, JsResponse, Logger};
use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

#[wasm_bindgen(inline_js = r#"
export function recordingFetch(answer) {
  const calls = [];
  const fn = async (url, init) => { calls.push({ url, init }); return answer; };
  return { fn, calls };
}
export function syncFetch(answer) { return () => answer; }
export function throwingFetch(message) { return () => { throw new Error(message); }; }
export function rejectingFetch(message) { return async () => { throw new TypeError(message); }; }
export function hangingFetch() {
  const seen = {};
  return { seen, fn: (url, init) => { seen.signal = init.signal; return new Promise(() => {}); } };
}
export function recordingLogger() {
  const lines = [];
  return { lines, logger: { info: (msg, meta) => lines.push(["info", msg, meta]) } };
}
export function isPlainObject(v) { return Object.getPrototypeOf(v) === Object.prototype; }
export function isFormData(v) { return v instanceof FormData; }
export async function formFile(form) { const f = form.get("file"); return [f.name, f.type, await f.text(), form.get("purpose")]; }
"#)]
extern "C" {
    #[wasm_bindgen(js_name = recordingFetch)]
    fn recording_fetch(answer: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = syncFetch)]
    fn sync_fetch(answer: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = throwingFetch)]
    fn throwing_fetch(message: &str) -> JsValue;
    #[wasm_bindgen(js_name = rejectingFetch)]
    fn rejecting_fetch(message: &str) -> JsValue;
    #[wasm_bindgen(js_name = hangingFetch)]
    fn hanging_fetch() -> JsValue;
    #[wasm_bindgen(js_name = recordingLogger)]
    fn recording_logger() -> JsValue;
    #[wasm_bindgen(js_name = isPlainObject)]
    fn is_plain_object(v: &JsValue) -> bool;
    #[wasm_bindgen(js_name = isFormData)]
    fn is_form_data(v: &JsValue) -> bool;
    #[wasm_bindgen(js_name = formFile)]
    async fn form_file(form: &JsValue) -> JsValue;
}

fn get(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &k.into()).unwrap()
}

fn eval_object(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap()
}

fn host(fetch: JsValue) -> JsHost {
    JsHost::new(fetch, Logger::none()).unwrap()
}

fn post() -> HttpRequest {
    HttpRequest::post_json(
        "http://x/chat".into(),
        vec![("Content-Type", "application/json".into())],
        "{}".into(),
    )
}

#[wasm_bindgen_test]
async fn init_is_a_plain_object_with_plain_headers() {
    let rec = recording_fetch(&eval_object(r#"{"ok":true}"#));
    let h = host(get(&rec, "fn"));
    h.fetch(&post(), None).await.unwrap();
    let call = js_sys::Array::from(&get(&rec, "calls")).get(0);
    assert_eq!(get(&call, "url").as_string().unwrap(), "http://x/chat");
    let init = get(&call, "init");
    assert!(is_plain_object(&init));
    assert!(is_plain_object(&get(&init, "headers")));
    assert_eq!(
        get(&get(&init, "headers"), "Content-Type")
            .as_string()
            .unwrap(),
        "application/json"
    );
    assert_eq!(get(&init, "body").as_string().unwrap(), "{}");
    assert!(
        get(&init, "signal").is_undefined(),
        "no signal without a timeout"
    );
}

#[wasm_bindgen_test]
async fn a_get_without_headers_sends_only_the_method() {
    let rec = recording_fetch(&eval_object(r#"{"ok":true}"#));
    let h = host(get(&rec, "fn"));
    h.fetch(&HttpRequest::get("http://x/api/tags".into(), vec![]), None)
        .await
        .unwrap();
    let init = get(&js_sys::Array::from(&get(&rec, "calls")).get(0), "init");
    let keys: Vec<String> = Object::keys(&init.into())
        .iter()
        .map(|k| k.as_string().unwrap())
        .collect();
    assert_eq!(keys, ["method"]);
}

#[wasm_bindgen_test]
async fn multipart_bodies_are_form_data_with_a_named_blob() {
    let rec = recording_fetch(&eval_object(r#"{"ok":true}"#));
    let h = host(get(&rec, "fn"));
    let req = HttpRequest {
        method: Method::Post,
        url: "http://x/files".into(),
        headers: vec![("Authorization", "Bearer k".into())],
        body: Body::Multipart(MultipartForm {
            fields: vec![("purpose", "batch".into())],
            file: FilePart {
                field: "file",
                filename: "batch-input.jsonl",
                content_type: "application/jsonl",
                content: "{}\n{}".into(),
            },
        }),
    };
    h.fetch(&req, None).await.unwrap();
    let body = get(
        &get(&js_sys::Array::from(&get(&rec, "calls")).get(0), "init"),
        "body",
    );
    assert!(is_form_data(&body));
    let parts = js_sys::Array::from(&form_file(&body).await);
    let parts: Vec<String> = parts.iter().map(|p| p.as_string().unwrap()).collect();
    assert_eq!(
        parts,
        ["batch-input.jsonl", "application/jsonl", "{}\n{}", "batch"]
    );
}

#[wasm_bindgen_test]
async fn a_double_with_only_ok_and_json_is_enough() {
    let answer = eval_object(r#"{"ok":true}"#);
    let json = Function::new_no_args("return Promise.resolve({a: 1})");
    Reflect::set(&answer, &"json".into(), &json).unwrap();
    let response = host(sync_fetch(&answer))
        .fetch(&post(), None)
        .await
        .unwrap();
    let head = response.head();
    assert!(head.ok);
    assert_eq!((head.status, head.status_text), (None, None));
    assert_eq!(
        response.header("retry-after"),
        None,
        "no headers object is fine"
    );
    assert_eq!(response.json().await.unwrap(), serde_json::json!({"a": 1}));
}

#[wasm_bindgen_test]
async fn a_missing_text_reads_as_empty_and_json_falls_back_to_text() {
    let answer = eval_object(r#"{"ok":false,"status":500,"statusText":"Oops"}"#);
    let response = host(sync_fetch(&answer))
        .fetch(&post(), None)
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "");
    let answer = eval_object(r#"{"ok":true}"#);
    Reflect::set(
        &answer,
        &"text".into(),
        &Function::new_no_args("return Promise.resolve('{\"b\":2}')"),
    )
    .unwrap();
    let response = host(sync_fetch(&answer))
        .fetch(&post(), None)
        .await
        .unwrap();
    assert_eq!(response.json().await.unwrap(), serde_json::json!({"b": 2}));
    let answer = eval_object(r#"{"ok":true}"#);
    Reflect::set(
        &answer,
        &"text".into(),
        &Function::new_no_args("return Promise.resolve('<html>')"),
    )
    .unwrap();
    let response = host(sync_fetch(&answer))
        .fetch(&post(), None)
        .await
        .unwrap();
    assert_eq!(
        response.json().await.unwrap_err(),
        BodyError::NotJson("<html>".into())
    );
}

#[wasm_bindgen_test]
async fn thrown_and_rejected_fetches_are_network_errors_with_their_message() {
    let err = host(throwing_fetch("boom"))
        .fetch(&post(), None)
        .await
        .err()
        .unwrap();
    assert_eq!(err, FetchError::Network("boom".into()));
    let err = host(rejecting_fetch("fetch failed"))
        .fetch(&post(), None)
        .await
        .err()
        .unwrap();
    assert_eq!(err, FetchError::Network("fetch failed".into()));
}

#[wasm_bindgen_test]
async fn a_fetch_that_never_answers_times_out_and_is_aborted() {
    let hang = hanging_fetch();
    let err = host(get(&hang, "fn"))
        .fetch(&post(), Some(20))
        .await
        .err()
        .unwrap();
    assert_eq!(err, FetchError::Timeout);
    let signal = get(&get(&hang, "seen"), "signal");
    assert!(get(&signal, "aborted").as_bool().unwrap());
}

#[wasm_bindgen_test]
async fn headers_are_read_when_present() {
    let answer = eval_object(r#"{"ok":false,"status":429}"#);
    let headers = web_sys_headers(&[("retry-after-ms", "150")]);
    Reflect::set(&answer, &"headers".into(), &headers).unwrap();
    let response = host(sync_fetch(&answer))
        .fetch(&post(), None)
        .await
        .unwrap();
    assert_eq!(response.header("Retry-After-Ms").as_deref(), Some("150"));
}

fn web_sys_headers(pairs: &[(&str, &str)]) -> JsValue {
    let ctor = Reflect::get(&js_sys::global(), &"Headers".into()).unwrap();
    let headers = Reflect::construct(&ctor.into(), &js_sys::Array::new()).unwrap();
    let set: Function = Reflect::get(&headers, &"set".into()).unwrap().into();
    for (k, v) in pairs {
        set.call2(&headers, &(*k).into(), &(*v).into()).unwrap();
    }
    headers
}

#[wasm_bindgen_test]
fn loggers_get_message_and_a_plain_meta_object_and_may_lack_methods() {
    let rec = recording_logger();
    let logger = Logger::new(get(&rec, "logger"));
    logger.log(
        Level::Info,
        "Batch created",
        &serde_json::json!({"batchId": "b1"}),
    );
    logger.log(
        Level::Warn,
        "no warn method: skipped",
        &serde_json::json!({}),
    );
    let lines = js_sys::Array::from(&get(&rec, "lines"));
    assert_eq!(lines.length(), 1);
    let line = js_sys::Array::from(&lines.get(0));
    assert_eq!(line.get(1).as_string().unwrap(), "Batch created");
    assert!(is_plain_object(&line.get(2)));
    assert_eq!(get(&line.get(2), "batchId").as_string().unwrap(), "b1");
    // A logger without child() is its own child.
    assert!(Logger::new(get(&rec, "logger")).child("x").js().is_object());
}

/// A real `Response` (the Worker's case), not a double.
fn real_response(body: &str) -> JsResponse {
    let make = Function::new_with_args("body", "return new Response(body)");
    JsResponse::new(make.call1(&JsValue::NULL, &body.into()).unwrap())
}

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Shape {
    a: u32,
}

#[wasm_bindgen_test]
async fn a_real_response_is_read_straight_into_the_answer_type_else_as_json() {
    match real_response(r#"{"a":1,"other":[true]}"#)
        .json_answer::<Shape>()
        .await
    {
        Ok(Answer::Typed(shape)) => assert_eq!(shape, Shape { a: 1 }),
        other => panic!("{other:?}"),
    }
    // Not a `Shape`: the JSON, for the caller to say why.
    match real_response(r#"{"b":2}"#).json_answer::<Shape>().await {
        Ok(Answer::Json(json)) => assert_eq!(json, serde_json::json!({"b": 2})),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        real_response("<html>").json_answer::<Shape>().await,
        Err(BodyError::NotJson(_))
    ));
    // A double goes through its json().
    let double = eval_object(r#"{"ok": true}"#);
    let json = Function::new_with_args("", "return Promise.resolve({a: 3})");
    Reflect::set(&double, &"json".into(), &json).unwrap();
    match JsResponse::new(double).json_answer::<Shape>().await {
        Ok(Answer::Json(json)) => assert_eq!(json, serde_json::json!({"a": 3})),
        other => panic!("{other:?}"),
    }
}
