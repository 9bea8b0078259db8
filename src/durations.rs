//! Durations as people write and read them: parsing the human durations of the command line
//! and the config file (`2s`, `30m`, `300ms`, humantime's syntax), and formatting them for
//! logs and screens. A module of its own so the inner layers (the Google clients, the
//! warmer, the logs) need not import the command line.

use std::time::Duration;

/// Parse a human duration (`2s`, `30m`, `300ms`); zero is refused.
///
/// Errors: a message naming the text and how to write a duration.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("'{s}' is not a duration ({e}); write e.g. 2s, 300ms, 30m"))?;
    if d.is_zero() {
        return Err(format!("'{s}' is zero; give a positive duration"));
    }
    Ok(d)
}

/// Parse a latency range `A..B` (`300ms..2500ms`); `A` ≤ `B`.
///
/// Errors: no `..`, a bound that is not a duration, or a range that runs backwards.
pub fn parse_latency_range(s: &str) -> Result<(Duration, Duration), String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("'{s}' is not a range; write e.g. 300ms..2500ms"))?;
    let parse = |x: &str| {
        humantime::parse_duration(x.trim()).map_err(|e| format!("'{x}' is not a duration ({e})"))
    };
    let (a, b) = (parse(a)?, parse(b)?);
    if a > b {
        return Err(format!(
            "range '{s}' runs backwards; write the smaller bound first"
        ));
    }
    Ok((a, b))
}

/// Parse a rate between 0 and 1 (`0.03`).
///
/// Errors: not a number, or outside 0..1.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let x: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number; write a fraction like 0.03"))?;
    if !(0.0..=1.0).contains(&x) {
        return Err(format!("'{s}' is outside 0..1"));
    }
    Ok(x)
}

/// Format a duration compactly for logs and settings: `2s`, `30m`, `24m`, `1h30m`, `250ms`,
/// `1.5s`.
pub fn fmt_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    if !ms.is_multiple_of(1000) && ms < 60_000 {
        return format!("{:.1}s", d.as_secs_f64());
    }
    let s = d.as_secs();
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if sec > 0 || out.is_empty() {
        out.push_str(&format!("{sec}s"));
    }
    out
}

/// A compact age for screens, whole seconds: `0s`, `41s`, `3m12s`, `1h02m`.
pub fn fmt_age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_human() {
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("fast").unwrap_err().contains("'fast'"));
        assert_eq!(fmt_duration(Duration::from_secs(1440)), "24m");
        assert_eq!(fmt_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(fmt_duration(Duration::from_millis(4000)), "4s");
        assert_eq!(fmt_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(fmt_duration(Duration::from_secs(5400)), "1h30m");
    }

    #[test]
    fn latency_ranges_and_rates() {
        assert_eq!(
            parse_latency_range("300ms..2500ms"),
            Ok((Duration::from_millis(300), Duration::from_millis(2500)))
        );
        assert!(parse_latency_range("3s..1s").is_err());
        assert!(parse_latency_range("3s").is_err());
        assert_eq!(parse_rate("0.03"), Ok(0.03));
        assert!(parse_rate("1.5").is_err());
        assert!(parse_rate("x").is_err());
    }

    #[test]
    fn ages_are_compact() {
        assert_eq!(fmt_age(Duration::from_millis(999)), "0s");
        assert_eq!(fmt_age(Duration::from_secs(41)), "41s");
        assert_eq!(fmt_age(Duration::from_secs(192)), "3m12s");
        assert_eq!(fmt_age(Duration::from_secs(3720)), "1h02m");
    }
}
