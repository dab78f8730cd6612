//! When to try a call again, and how long to wait first (opt-in `maxRetries`).
//!
//! Exponential backoff with jitter like the OpenAI and Anthropic SDKs (0.5 s doubling to
//! 8 s, minus up to 25 %), unless upstream says how long to wait (`retry-after-ms`, then
//! `retry-after` in seconds or as an HTTP date) and that wait is sane (≤ 60 s).

/// How often to retry a failed call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_retries: u32,
}

const INITIAL_DELAY_MS: f64 = 500.0;
const MAX_DELAY_MS: f64 = 8_000.0;
const MAX_RETRY_AFTER_MS: u64 = 60_000;

impl RetryPolicy {
    pub const NONE: RetryPolicy = RetryPolicy { max_retries: 0 };

    /// The wait before retry `attempt` (1 for the first retry). `random` is in `[0, 1)`.
    pub fn delay_ms(&self, attempt: u32, retry_after_ms: Option<u64>, random: f64) -> f64 {
        if let Some(ms) = retry_after_ms.filter(|&ms| ms <= MAX_RETRY_AFTER_MS) {
            return ms as f64;
        }
        let exp = attempt.saturating_sub(1).min(16) as i32;
        let backoff = (INITIAL_DELAY_MS * 2f64.powi(exp)).min(MAX_DELAY_MS);
        backoff * (1.0 - 0.25 * random.clamp(0.0, 1.0))
    }
}

/// The wait upstream asks for, from the `retry-after-ms` and `retry-after` headers.
pub fn parse_retry_after(
    retry_after_ms: Option<&str>,
    retry_after: Option<&str>,
    now_ms: f64,
) -> Option<u64> {
    if let Some(ms) = retry_after_ms
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
    {
        return Some(ms.round() as u64);
    }
    let value = retry_after?.trim();
    if let Some(secs) = value
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
    {
        return Some((secs * 1000.0).round() as u64);
    }
    let at = parse_http_date(value)?;
    Some((at - now_ms).max(0.0) as u64)
}

/// An IMF-fixdate (`Wed, 21 Oct 2015 07:28:00 GMT`) in milliseconds since the epoch.
fn parse_http_date(value: &str) -> Option<f64> {
    let mut parts = value.split_whitespace();
    let _weekday = parts.next()?;
    let day: i64 = parts.next()?.parse().ok()?;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month_name = parts.next()?.get(..3)?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as i64 + 1;
    let year: i64 = parts.next()?.parse().ok()?;
    let mut hms = parts.next()?.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if parts.next()? != "GMT" {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 86_400 + h * 3_600 + m * 60 + s) * 1_000) as f64)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_a_cap_with_jitter_below() {
        let p = RetryPolicy { max_retries: 5 };
        assert_eq!(p.delay_ms(1, None, 0.0), 500.0);
        assert_eq!(p.delay_ms(2, None, 0.0), 1_000.0);
        assert_eq!(p.delay_ms(10, None, 0.0), 8_000.0);
        assert_eq!(
            p.delay_ms(1, None, 0.999_999),
            500.0 * (1.0 - 0.25 * 0.999_999)
        );
    }

    #[test]
    fn upstream_waits_win_when_sane() {
        let p = RetryPolicy { max_retries: 2 };
        assert_eq!(p.delay_ms(1, Some(1_234), 0.5), 1_234.0);
        assert_eq!(p.delay_ms(1, Some(3_600_000), 0.0), 500.0);
    }

    #[test]
    fn retry_after_headers_in_every_form() {
        assert_eq!(parse_retry_after(Some("250"), Some("9"), 0.0), Some(250));
        assert_eq!(parse_retry_after(None, Some("2"), 0.0), Some(2_000));
        assert_eq!(parse_retry_after(None, Some("0.5"), 0.0), Some(500));
        let now = 1_445_412_478_000.0; // Wed, 21 Oct 2015 07:27:58 GMT
        assert_eq!(
            parse_retry_after(None, Some("Wed, 21 Oct 2015 07:28:00 GMT"), now),
            Some(2_000)
        );
        assert_eq!(parse_retry_after(None, Some("soon"), 0.0), None);
        assert_eq!(parse_retry_after(Some("-1"), None, 0.0), None);
        assert_eq!(parse_retry_after(None, None, 0.0), None);
    }

    #[test]
    fn civil_days_are_right() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2015, 10, 21), 16_729);
    }
}
