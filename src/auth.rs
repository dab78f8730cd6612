//! `Authorization: Bearer <GATEWAY_TOKEN>` on every `/v1` route but `GET /v1/health/live`.

use crate::api_error::ApiError;

/// The shortest `GATEWAY_TOKEN` the Worker accepts (contract §4.1): a short token is easy to
/// guess, and every secret is kept out of what the Worker says by its value.
pub const MIN_TOKEN_CHARS: usize = 32;

/// Checks the request's `Authorization` header against the configured token.
pub fn check(header: Option<&str>, token: Option<&str>) -> Result<(), ApiError> {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(ApiError::new(
            503,
            "not_configured",
            "the gateway has no GATEWAY_TOKEN secret configured; set one with `wrangler secret put GATEWAY_TOKEN`",
        ));
    };
    if token.chars().count() < MIN_TOKEN_CHARS {
        return Err(ApiError::new(
            503,
            "not_configured",
            format!("the gateway's GATEWAY_TOKEN is shorter than {MIN_TOKEN_CHARS} characters; set a long random one (e.g. `openssl rand -hex 32`) with `wrangler secret put GATEWAY_TOKEN`"),
        ));
    }
    let Some(header) = header else {
        return Err(unauthorized(
            "missing Authorization header; send `Authorization: Bearer <token>`",
        ));
    };
    // Scheme names are case-insensitive (RFC 9110 §11.1): `bearer x` is the Bearer scheme.
    let presented = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token);
    let Some(presented) = presented else {
        return Err(unauthorized(
            "only the Bearer scheme is accepted: `Authorization: Bearer <token>`",
        ));
    };
    if constant_time_eq(presented.trim().as_bytes(), token.as_bytes()) {
        Ok(())
    } else {
        Err(unauthorized("invalid gateway token"))
    }
}

fn unauthorized(message: &str) -> ApiError {
    ApiError::new(401, "unauthorized", message)
}

/// Compares in time that depends only on the lengths, so the token cannot be guessed byte by
/// byte from response times.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = (a.len() ^ b.len()) as u8 | u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0xff);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_right_bearer_token_passes() {
        assert!(check(
            Some("Bearer s3cret-0123456789abcdefghijklmnopq"),
            Some("s3cret-0123456789abcdefghijklmnopq")
        )
        .is_ok());
        assert_eq!(
            check(
                Some("Bearer nope"),
                Some("s3cret-0123456789abcdefghijklmnopq")
            )
            .unwrap_err()
            .status,
            401
        );
        assert_eq!(
            check(
                Some("Bearer s3cre"),
                Some("s3cret-0123456789abcdefghijklmnopq")
            )
            .unwrap_err()
            .status,
            401
        );
        assert_eq!(
            check(
                Some("Basic s3cret-0123456789abcdefghijklmnopq"),
                Some("s3cret-0123456789abcdefghijklmnopq")
            )
            .unwrap_err()
            .status,
            401
        );
        assert!(check(
            Some("bearer s3cret-0123456789abcdefghijklmnopq"),
            Some("s3cret-0123456789abcdefghijklmnopq")
        )
        .is_ok());
        assert_eq!(
            check(
                Some("Bearers3cret-0123456789abcdefghijklmnopq"),
                Some("s3cret-0123456789abcdefghijklmnopq")
            )
            .unwrap_err()
            .status,
            401
        );
        assert_eq!(
            check(None, Some("s3cret-0123456789abcdefghijklmnopq"))
                .unwrap_err()
                .status,
            401
        );
        assert_eq!(check(Some("Bearer x"), None).unwrap_err().status, 503);
        assert_eq!(check(Some("Bearer "), Some("")).unwrap_err().status, 503);
        let short = "x".repeat(MIN_TOKEN_CHARS - 1);
        let e = check(Some(&format!("Bearer {short}")), Some(&short)).unwrap_err();
        assert_eq!(e.status, 503);
        assert!(
            e.message.contains("shorter than 32 characters"),
            "{}",
            e.message
        );
    }

    #[test]
    fn comparison_handles_every_length() {
        assert!(constant_time_eq(b"", b""));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(!constant_time_eq(b"ab", b"a"));
        assert!(constant_time_eq(b"abc", b"abc"));
    }
}
