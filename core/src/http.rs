//! HTTP as plain data. The core builds [`HttpRequest`]s and reads [`ResponseHead`]s and
//! bodies; the front ends (JavaScript `fetch`, the Worker) move the bytes.

use std::fmt;

/// The HTTP methods the providers need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A request to send. Header names keep the exact spelling the reference uses,
/// because drop-in test doubles look them up by name (`init.headers["Content-Type"]`).
#[derive(Clone, Debug, PartialEq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

impl HttpRequest {
    pub fn get(url: String, headers: Vec<(&'static str, String)>) -> Self {
        HttpRequest {
            method: Method::Get,
            url,
            headers,
            body: Body::Empty,
        }
    }

    pub fn post_json(url: String, headers: Vec<(&'static str, String)>, json: String) -> Self {
        HttpRequest {
            method: Method::Post,
            url,
            headers,
            body: Body::Json(json),
        }
    }

    /// The value of header `name` (case-insensitive), if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request body.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Empty,
    /// A JSON document, already serialised.
    Json(String),
    /// A `multipart/form-data` form; the host builds its own `FormData` (and boundary).
    Multipart(MultipartForm),
}

/// A form with text fields and one file, as the OpenAI files endpoint takes it.
#[derive(Clone, Debug, PartialEq)]
pub struct MultipartForm {
    pub fields: Vec<(&'static str, String)>,
    pub file: FilePart,
}

/// The file of a [`MultipartForm`].
#[derive(Clone, Debug, PartialEq)]
pub struct FilePart {
    pub field: &'static str,
    pub filename: &'static str,
    pub content_type: &'static str,
    pub content: String,
}

/// What the core reads of a response before its body, with the duck-typed laxity of the
/// contract: a test double may leave out `status` and `statusText`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResponseHead {
    pub ok: bool,
    pub status: Option<u16>,
    pub status_text: Option<String>,
}

impl ResponseHead {
    /// A head from a real status code, as a native host or a test sees it.
    pub fn from_status(status: u16, status_text: &str) -> Self {
        ResponseHead {
            ok: (200..300).contains(&status),
            status: Some(status),
            status_text: Some(status_text.to_string()),
        }
    }
}

/// A secret (an API key). It can be read where a header needs it, but it never prints:
/// `Debug` shows a placeholder, and there is no `Display`, so it cannot slip into an
/// error message or a log line by accident.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself, for an auth header.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// `base` joined with `path`, tolerating a trailing slash on `base` ("…/v1/" + "/files").
pub fn join_url(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

/// `segment` made safe for a URL path (ids come from users and upstream answers).
pub fn path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_never_print() {
        let key = ApiKey::new("sk-secret");
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert_eq!(key.expose(), "sk-secret");
    }

    #[test]
    fn urls_join_with_or_without_trailing_slash() {
        assert_eq!(join_url("http://x/v1/", "/files"), "http://x/v1/files");
        assert_eq!(join_url("http://x/v1", "/files"), "http://x/v1/files");
    }

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(path_segment("batch_abc-1"), "batch_abc-1");
        assert_eq!(path_segment("a/b?c d"), "a%2Fb%3Fc%20d");
    }

    #[test]
    fn ok_follows_the_status_class() {
        assert!(ResponseHead::from_status(204, "No Content").ok);
        assert!(!ResponseHead::from_status(404, "Not Found").ok);
    }
}
