//! RFC 3339 timestamps (`2024-10-01T12:30:00.123Z`), as Anthropic's API writes them, read
//! into milliseconds since the epoch — without a date library for one function.

/// `text` as milliseconds since the epoch, or `None` when it is not an RFC 3339 date-time.
pub fn parse_rfc3339_ms(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let digits = b.get(from..from + len)?;
        digits.iter().try_fold(0i64, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
        })
    };
    let sep = |at: usize, ok: &[u8]| b.get(at).is_some_and(|c| ok.contains(c));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut at = 19;
    let mut fraction_ms = 0.0;
    if sep(at, b".") {
        let start = at + 1;
        at = start;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        let digits = text.get(start..at).filter(|d| !d.is_empty())?;
        fraction_ms = format!("0.{digits}").parse::<f64>().ok()? * 1000.0;
    }
    let offset_minutes = match b.get(at)? {
        b'Z' | b'z' if at + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if at + 6 == b.len() && sep(at + 3, b":") => {
            let minutes = num(at + 1, 2)? * 60 + num(at + 4, 2)?;
            if *sign == b'+' {
                minutes
            } else {
                -minutes
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds as f64 * 1000.0 + fraction_ms)
}

/// Milliseconds since the epoch as JavaScript's `Date.prototype.toISOString` writes them
/// (`2024-10-01T12:30:00.250Z`), for times from year 0 to 9999.
pub fn format_iso_ms(ms: f64) -> String {
    let ms = ms.floor() as i64;
    let (days, ms_of_day) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    let (h, m, s, milli) = (
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000,
    );
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

/// The date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_apis_write() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(
            parse_rfc3339_ms("2024-10-01T12:30:00Z"),
            Some(1_727_785_800_000.0)
        );
        assert_eq!(
            parse_rfc3339_ms("2024-10-01T12:30:00.250Z"),
            Some(1_727_785_800_250.0)
        );
        assert_eq!(
            parse_rfc3339_ms("2024-10-01T14:30:00+02:00"),
            Some(1_727_785_800_000.0)
        );
        assert_eq!(
            parse_rfc3339_ms("2000-02-29T00:00:00.123456Z"),
            Some(951_782_400_123.456)
        );
    }

    #[test]
    fn writes_what_javascript_writes_and_reads_it_back() {
        assert_eq!(format_iso_ms(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_iso_ms(1_727_785_800_250.7),
            "2024-10-01T12:30:00.250Z"
        );
        assert_eq!(format_iso_ms(951_782_400_123.0), "2000-02-29T00:00:00.123Z");
        for ms in [
            0.0,
            86_399_999.0,
            1_700_000_000_000.0,
            4_102_444_800_000.0,
            1e12 + 7.0,
        ] {
            assert_eq!(parse_rfc3339_ms(&format_iso_ms(ms)), Some(ms), "{ms}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_date_time() {
        for bad in [
            "",
            "2024-10-01",
            "2024-13-01T00:00:00Z",
            "2024-10-01T00:00:00",
            "2024-10-01T00:00:00Zjunk",
            "yyyy-10-01T00:00:00Z",
            "2024-10-01T00:00:00.Z",
        ] {
            assert_eq!(parse_rfc3339_ms(bad), None, "{bad}");
        }
    }
}
