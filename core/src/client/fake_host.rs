//! A scripted [`Host`] for the drivers' native unit tests: replies in order, a virtual clock
//! that sleeping advances, and a record of what was sent and logged. (End-to-end tests use a
//! real loopback server instead: tests/support/fake-provider.)

use crate::host::{BodyError, FetchError, Host, Level, UpstreamResponse};
use crate::http::{HttpRequest, ResponseHead};
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

#[derive(Clone, Debug)]
pub enum Reply {
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    Network(String),
    Timeout,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Self {
        Reply::Response {
            status,
            headers: vec![],
            body: body.to_string(),
        }
    }

    pub fn status(status: u16, body: &str) -> Self {
        Reply::Response {
            status,
            headers: vec![],
            body: body.into(),
        }
    }

    pub fn network(message: &str) -> Self {
        Reply::Network(message.into())
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Reply::Response { headers, .. } = &mut self {
            headers.push((name.into(), value.into()));
        }
        self
    }
}

pub struct FakeHost {
    replies: RefCell<VecDeque<Reply>>,
    sent: RefCell<Vec<HttpRequest>>,
    sleeps: RefCell<Vec<f64>>,
    logs: RefCell<Vec<(Level, String, Value)>>,
    now: Cell<f64>,
}

impl FakeHost {
    pub fn new(replies: Vec<Reply>) -> Self {
        FakeHost {
            replies: RefCell::new(replies.into()),
            sent: RefCell::default(),
            sleeps: RefCell::default(),
            logs: RefCell::default(),
            now: Cell::new(1_000_000.0),
        }
    }

    pub fn sent(&self) -> Vec<HttpRequest> {
        self.sent.borrow().clone()
    }

    pub fn sleeps(&self) -> Vec<f64> {
        self.sleeps.borrow().clone()
    }

    pub fn logs(&self) -> Vec<(Level, String, Value)> {
        self.logs.borrow().clone()
    }

    pub fn log_messages(&self) -> Vec<String> {
        self.logs
            .borrow()
            .iter()
            .map(|(_, m, _)| m.clone())
            .collect()
    }
}

pub struct FakeResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

impl UpstreamResponse for FakeResponse {
    fn head(&self) -> ResponseHead {
        ResponseHead::from_status(self.status, reason(self.status))
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    async fn json(self) -> Result<Value, BodyError> {
        serde_json::from_str(&self.body)
            .map_err(|_| BodyError::NotJson(self.body.chars().take(200).collect()))
    }

    async fn text(self) -> Result<String, BodyError> {
        Ok(self.body)
    }
}

impl Host for FakeHost {
    type Response = FakeResponse;

    async fn fetch(
        &self,
        request: &HttpRequest,
        _timeout_ms: Option<u64>,
    ) -> Result<FakeResponse, FetchError> {
        self.sent.borrow_mut().push(request.clone());
        match self
            .replies
            .borrow_mut()
            .pop_front()
            .expect("the test scripted too few replies")
        {
            Reply::Response {
                status,
                headers,
                body,
            } => Ok(FakeResponse {
                status,
                headers,
                body,
            }),
            Reply::Network(message) => Err(FetchError::Network(message)),
            Reply::Timeout => Err(FetchError::Timeout),
        }
    }

    fn now_ms(&self) -> f64 {
        self.now.get()
    }

    async fn sleep(&self, ms: f64) {
        self.sleeps.borrow_mut().push(ms);
        self.now.set(self.now.get() + ms);
    }

    fn random(&self) -> f64 {
        0.5
    }

    fn log(&self, level: Level, message: &str, meta: Value) {
        self.logs.borrow_mut().push((level, message.into(), meta));
    }
}
