//! The request the runtime hands the Worker, with the few reads the routes make. It replaces
//! `worker::Request`, which copies `request.cf` into Rust on arrival: materialising `cf`
//! cost more than routing the request (issue 10), and no route reads it.

use worker::{ByteStream, Headers, Method, Url};

pub struct Incoming {
    raw: web_sys::Request,
    method: Method,
    url: Url,
    headers: Headers,
}

impl Incoming {
    pub fn new(raw: web_sys::Request) -> Result<Incoming, String> {
        let url = raw.url();
        Ok(Incoming {
            method: Method::from(raw.method()),
            url: url.parse().map_err(|e| format!("{e}: {url}"))?,
            headers: Headers(raw.headers()),
            raw,
        })
    }

    pub fn method(&self) -> Method {
        self.method.clone()
    }

    /// The URL's path, percent-encoding kept.
    pub fn path(&self) -> String {
        self.url.path().to_string()
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    pub fn headers(&self) -> &Headers {
        &self.headers
    }

    /// The query string read into `Q`.
    pub fn query<Q: serde::de::DeserializeOwned>(&self) -> Result<Q, String> {
        Q::deserialize(serde_urlencoded::Deserializer::new(self.url.query_pairs()))
            .map_err(|e| e.to_string())
    }

    /// The whole body, in one call (its length is bounded by the caller).
    pub async fn bytes(&mut self) -> Result<Vec<u8>, String> {
        let promise = self.raw.array_buffer().map_err(|e| message(&e))?;
        let buffer = wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .map_err(|e| message(&e))?;
        Ok(js_sys::Uint8Array::new(&buffer).to_vec())
    }

    /// The body as a stream of chunks (a request without one has nothing to stream).
    pub fn stream(&mut self) -> Result<ByteStream, String> {
        match self.raw.body() {
            Some(body) => Ok(ByteStream::from(body)),
            None => Err("no body for request".into()),
        }
    }
}

fn message(e: &wasm_bindgen::JsValue) -> String {
    edge_llm_js_host::error_message(e)
}
