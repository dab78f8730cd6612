//! Cross-origin access for browser apps served from other origins (CORS), opt-in by the
//! `CORS_ORIGINS` var: `*`, or origins (`https://app.example`, `http://localhost:5173`)
//! separated by commas or spaces. Unset, the Worker answers as before: same-origin only (the
//! demo page is served by the Worker itself).
//!
//! The gateway is called with a Bearer token, never with cookies, so no credentials mode is
//! offered; a preflight is answered before auth, since browsers send it without the
//! `Authorization` header it asks about.

use worker::{Headers, Response};

/// The headers a browser app may read besides the CORS-safelisted ones: what the OpenAI SDKs
/// act on (`retry-after`, `retry-after-ms`) and what the compatible routes add.
const EXPOSED: &str = "retry-after, retry-after-ms, x-edge-llm-provider, x-edge-llm-ignored-params";
/// How long a browser may keep a preflight's answer (seconds; browsers cap it lower).
const MAX_AGE: &str = "86400";

/// Which origins may call the gateway from a browser.
#[derive(Debug, PartialEq)]
pub struct Cors {
    any: bool,
    origins: Vec<String>,
    /// Entries of `CORS_ORIGINS` that are not origins, said in the log when they could matter.
    pub invalid: Vec<String>,
}

/// What a request from an allowed origin gets in `access-control-allow-origin`.
pub struct Allowed(String);

impl Cors {
    /// `CORS_ORIGINS` read; `None` when it names nothing.
    pub fn parse(var: &str) -> Option<Cors> {
        let mut cors = Cors {
            any: false,
            origins: Vec::new(),
            invalid: Vec::new(),
        };
        for entry in var.split([',', ' ', '\t', '\n']).filter(|e| !e.is_empty()) {
            match entry {
                "*" => cors.any = true,
                _ => match normalise(entry) {
                    Some(origin) => cors.origins.push(origin),
                    None => cors.invalid.push(entry.chars().take(200).collect()),
                },
            }
        }
        (cors.any || !cors.origins.is_empty() || !cors.invalid.is_empty()).then_some(cors)
    }

    /// Whether a request sent with `Origin: origin` may read the answer, and how to say so.
    pub fn allow(&self, origin: &str) -> Option<Allowed> {
        if self.any {
            Some(Allowed("*".into()))
        } else {
            self.origins
                .iter()
                .any(|o| o == origin)
                .then(|| Allowed(origin.to_string()))
        }
    }
}

impl Allowed {
    /// The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`): any method
    /// the gateway has, and the headers the browser asked for, whatever the route (the route
    /// itself says 404 or 405 when the real request comes).
    pub fn preflight(&self, requested_headers: Option<&str>) -> Response {
        let mut response = Response::empty().expect("an empty body").with_status(204);
        let headers = response.headers_mut();
        self.mark(headers);
        let _ = headers.set("access-control-allow-methods", "GET, POST");
        if let Some(requested) = requested_headers {
            let _ = headers.set("access-control-allow-headers", requested);
            let _ = headers.append("vary", "Access-Control-Request-Headers");
        }
        let _ = headers.set("access-control-max-age", MAX_AGE);
        response
    }

    /// Lets the browser hand `response` to the page that asked.
    pub fn expose(&self, response: &mut Response) {
        let headers = response.headers_mut();
        self.mark(headers);
        let _ = headers.set("access-control-expose-headers", EXPOSED);
    }

    fn mark(&self, headers: &mut Headers) {
        let _ = headers.set("access-control-allow-origin", &self.0);
        if self.0 != "*" {
            // The answer depends on who asked: caches must keep one per origin.
            let _ = headers.append("vary", "Origin");
        }
    }
}

/// `entry` as browsers serialise an `Origin` header (lower case, no default port, no path),
/// or `None` when it is not an http(s) origin.
fn normalise(entry: &str) -> Option<String> {
    let entry = entry.trim_end_matches('/').to_ascii_lowercase();
    let (scheme, authority) = entry.split_once("://")?;
    let default_port = match scheme {
        "https" => ":443",
        "http" => ":80",
        _ => return None,
    };
    let host_ok = |c: char| c.is_ascii_alphanumeric() || "-.:[]".contains(c);
    if authority.is_empty() || !authority.chars().all(host_ok) {
        return None;
    }
    let authority = authority.strip_suffix(default_port).unwrap_or(authority);
    Some(format!("{scheme}://{authority}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(cors: &Cors, origin: &str) -> Option<String> {
        cors.allow(origin).map(|a| a.0)
    }

    #[test]
    fn unset_or_empty_allows_nothing_and_costs_nothing() {
        assert_eq!(Cors::parse(""), None);
        assert_eq!(Cors::parse(" , "), None);
    }

    #[test]
    fn listed_origins_are_matched_as_browsers_send_them() {
        let cors = Cors::parse("https://App.example/, http://localhost:5173 https://x.example:443")
            .unwrap();
        assert_eq!(
            allowed(&cors, "https://app.example").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            allowed(&cors, "http://localhost:5173").as_deref(),
            Some("http://localhost:5173")
        );
        assert_eq!(
            allowed(&cors, "https://x.example").as_deref(),
            Some("https://x.example")
        );
        assert_eq!(allowed(&cors, "http://app.example"), None);
        assert_eq!(allowed(&cors, "https://app.example.evil.test"), None);
        assert_eq!(allowed(&cors, "null"), None);
        assert!(cors.invalid.is_empty());
    }

    #[test]
    fn a_star_allows_every_origin_without_echoing_it() {
        let cors = Cors::parse("*").unwrap();
        assert_eq!(
            allowed(&cors, "https://anyone.example").as_deref(),
            Some("*")
        );
    }

    #[test]
    fn entries_that_are_not_origins_are_kept_aside_to_be_reported() {
        let cors =
            Cors::parse("app.example, https://ok.example, ftp://x.example, https://a.example/path")
                .unwrap();
        assert_eq!(
            cors.invalid,
            ["app.example", "ftp://x.example", "https://a.example/path"]
        );
        assert_eq!(
            allowed(&cors, "https://ok.example").as_deref(),
            Some("https://ok.example")
        );
        assert!(Cors::parse("nonsense").is_some_and(|c| c.allow("https://a.example").is_none()));
    }
}
