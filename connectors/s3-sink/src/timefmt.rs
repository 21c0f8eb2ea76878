//! Time zones and Joda-Time `path.format` patterns, as Confluent's time-based partitioners use them.
//!
//! Confluent formats paths with Joda-Time, whose pattern letters differ from `chrono` and
//! `java.time` (`YYYY` is the year of era, not the week-based year), so the pattern language is
//! parsed here rather than translated.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Timelike, Utc};
use connect_api::java::ZoneRules;

/// A Joda `DateTimeZone`: a region id (`America/New_York`, `UTC`) or a fixed offset (`+02:00`).
#[derive(Debug, Clone, PartialEq)]
pub enum Zone {
    Named(ZoneRules),
    Fixed(chrono::FixedOffset),
}

impl Zone {
    /// Parses a `timezone` value the way `DateTimeZone.forID` accepts it.
    ///
    /// # Errors
    /// When the id is unknown.
    pub fn parse(id: &str) -> Result<Self, String> {
        let id = id.trim();
        if let Some(fixed) = parse_fixed_offset(id) {
            return Ok(Self::Fixed(fixed));
        }
        ZoneRules::of(id)
            .map(Self::Named)
            .ok_or_else(|| format!("The datetime zone id '{id}' is not recognised"))
    }

    /// The zone's offset from UTC at `utc_ms`, in milliseconds.
    pub fn offset_ms(&self, utc_ms: i64) -> i64 {
        // Transitions fall on whole seconds: the second holding `utc_ms` has its offset.
        let secs = match self {
            Self::Named(rules) => rules.offset_at_instant(utc_ms.div_euclid(1000)),
            Self::Fixed(f) => f.local_minus_utc(),
        };
        i64::from(secs) * 1000
    }

    /// Joda's `convertLocalToUTC(local, false)`: the instant whose local time is `local_ms`
    /// (DST gaps and overlaps resolve approximately, as Joda's non-strict mode does).
    pub fn local_to_utc(&self, local_ms: i64) -> i64 {
        // Joda's first step: the offset in force at the instant `local - offset(local)`.
        local_ms - self.offset_ms(local_ms - self.offset_ms(local_ms))
    }

    /// Local calendar fields of `utc_ms`.
    pub fn local(&self, utc_ms: i64) -> NaiveDateTime {
        utc_datetime(utc_ms + self.offset_ms(utc_ms)).naive_utc()
    }
}

fn parse_fixed_offset(id: &str) -> Option<chrono::FixedOffset> {
    let (sign, rest) = match id.as_bytes().first()? {
        b'+' => (1, &id[1..]),
        b'-' => (-1, &id[1..]),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    let h: i32 = h.parse().ok()?;
    let m: i32 = m.parse().ok()?;
    if !(0..=23).contains(&h) || !(0..=59).contains(&m) {
        return None;
    }
    chrono::FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

fn utc_datetime(ms: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// `TimeBasedPartitioner.getPartition`: the start of the `duration_ms` bucket holding `ts`, where
/// buckets are aligned in local time (Java's truncating division included).
pub fn bucket_start(duration_ms: i64, ts: i64, zone: &Zone) -> i64 {
    let adjusted = ts + zone.offset_ms(ts);
    let bucket = if duration_ms > 0 {
        (adjusted / duration_ms) * duration_ms
    } else {
        adjusted
    };
    zone.local_to_utc(bucket)
}

/// `DateTimeUtils.getNextTimeAdjustedByDay`: the next scheduled-rotation instant after `now`,
/// aligned to local midnight and never past the next midnight.
pub fn next_scheduled_rotation(now: i64, interval_ms: i64, zone: &Zone) -> i64 {
    let local = zone.local(now);
    let day = local.date();
    let start_of_day = zone.local_to_utc(midnight_ms(day));
    let next_day = day.succ_opt().unwrap_or(day);
    let length_of_day = (zone.local_to_utc(midnight_ms(next_day)) - start_of_day).max(1);
    let interval = interval_ms.max(1);
    let steps = (now - start_of_day) / interval + 1;
    start_of_day + steps.saturating_mul(interval).min(length_of_day)
}

fn midnight_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc().timestamp_millis())
        .unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(String),
    Field(char, usize),
}

/// A parsed Joda `DateTimeFormat` pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JodaPattern {
    tokens: Vec<Token>,
}

const SUPPORTED: &str = "GCYyxwMdDeEaHkhKmsSZ";

impl JodaPattern {
    /// Parses a pattern: letters are fields, text inside `'…'` is literal (`''` is a quote), and
    /// every other character is literal.
    ///
    /// # Errors
    /// On an unterminated quote or a letter Joda would reject or Sluice does not implement.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut lit = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                if chars.get(i + 1) == Some(&'\'') {
                    lit.push('\'');
                    i += 2;
                    continue;
                }
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => return Err(format!("Unterminated quote in pattern: {pattern}")),
                        Some('\'') if chars.get(j + 1) == Some(&'\'') => {
                            lit.push('\'');
                            j += 2;
                        }
                        Some('\'') => break,
                        Some(&other) => {
                            lit.push(other);
                            j += 1;
                        }
                    }
                }
                i = j + 1;
            } else if c.is_ascii_alphabetic() {
                if !SUPPORTED.contains(c) {
                    return Err(format!("Illegal pattern component: {c}"));
                }
                let mut n = 1;
                while chars.get(i + n) == Some(&c) {
                    n += 1;
                }
                if !lit.is_empty() {
                    tokens.push(Token::Literal(std::mem::take(&mut lit)));
                }
                tokens.push(Token::Field(c, n));
                i += n;
            } else {
                lit.push(c);
                i += 1;
            }
        }
        if !lit.is_empty() {
            tokens.push(Token::Literal(lit));
        }
        Ok(Self { tokens })
    }

    /// Formats the instant `utc_ms` in `zone` (English text for month and day names).
    pub fn format(&self, utc_ms: i64, zone: &Zone) -> String {
        let t = zone.local(utc_ms);
        let mut out = String::new();
        for token in &self.tokens {
            match token {
                Token::Literal(s) => out.push_str(s),
                Token::Field(c, n) => format_field(&mut out, *c, *n, &t, utc_ms, zone),
            }
        }
        out
    }
}

fn pad(out: &mut String, v: i64, width: usize) {
    if v < 0 {
        out.push('-');
    }
    let digits = v.unsigned_abs().to_string();
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

fn year(out: &mut String, y: i64, n: usize) {
    if n == 2 {
        pad(out, y.rem_euclid(100), 2);
    } else {
        pad(out, y, n);
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn text(out: &mut String, full: &str, n: usize) {
    if n >= 4 {
        out.push_str(full)
    } else {
        out.extend(full.chars().take(3))
    }
}

fn format_field(out: &mut String, c: char, n: usize, t: &NaiveDateTime, utc_ms: i64, zone: &Zone) {
    let y = i64::from(t.year());
    let hour = i64::from(t.hour());
    match c {
        'G' => out.push_str(if y > 0 { "AD" } else { "BC" }),
        'C' => pad(out, if y > 0 { y / 100 } else { (1 - y) / 100 }, n),
        'Y' => year(out, if y > 0 { y } else { 1 - y }, n),
        'y' => year(out, y, n),
        'x' => year(out, i64::from(t.iso_week().year()), n),
        'w' => pad(out, i64::from(t.iso_week().week()), n),
        'M' if n >= 3 => text(out, MONTHS[t.month0() as usize], n),
        'M' => pad(out, i64::from(t.month()), n),
        'd' => pad(out, i64::from(t.day()), n),
        'D' => pad(out, i64::from(t.ordinal()), n),
        'e' => pad(out, i64::from(t.weekday().number_from_monday()), n),
        'E' => text(out, DAYS[t.weekday().num_days_from_monday() as usize], n),
        'a' => out.push_str(if hour < 12 { "AM" } else { "PM" }),
        'H' => pad(out, hour, n),
        'k' => pad(out, if hour == 0 { 24 } else { hour }, n),
        'K' => pad(out, hour % 12, n),
        'h' => pad(out, if hour % 12 == 0 { 12 } else { hour % 12 }, n),
        'm' => pad(out, i64::from(t.minute()), n),
        's' => pad(out, i64::from(t.second()), n),
        'S' => {
            // Joda prints the fraction of second with exactly `n` digits.
            let millis = format!("{:03}", t.and_utc().timestamp_subsec_millis());
            let digits: String = millis
                .chars()
                .chain(std::iter::repeat('0'))
                .take(n)
                .collect();
            out.push_str(&digits);
        }
        'Z' => {
            let off = zone.offset_ms(utc_ms) / 60_000;
            if n == 1 && off == 0 {
                out.push_str("+0000");
                return;
            }
            out.push(if off < 0 { '-' } else { '+' });
            pad(out, off.abs() / 60, 2);
            if n >= 2 {
                out.push(':');
            }
            pad(out, off.abs() % 60, 2);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hourly() -> JodaPattern {
        JodaPattern::parse("'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH").unwrap()
    }

    #[test]
    fn hourly_paths_follow_local_time_per_zone() {
        let ts = 1_700_000_000_000;
        for (zone, path) in [
            ("UTC", "year=2023/month=11/day=14/hour=22"),
            ("America/Los_Angeles", "year=2023/month=11/day=14/hour=14"),
            ("Asia/Kolkata", "year=2023/month=11/day=15/hour=03"),
        ] {
            let zone = Zone::parse(zone).unwrap();
            let bucket = bucket_start(3_600_000, ts, &zone);
            assert_eq!(hourly().format(bucket, &zone), path);
        }
    }

    #[test]
    fn fifteen_minute_buckets_truncate_minutes() {
        let zone = Zone::parse("UTC").unwrap();
        let p = JodaPattern::parse("'dt'=YYYY-MM-dd/'hr'=HH/'min'=mm").unwrap();
        assert_eq!(
            p.format(bucket_start(900_000, 1_700_000_000_000, &zone), &zone),
            "dt=2023-11-14/hr=22/min=00"
        );
    }

    #[test]
    fn joda_year_of_era_is_not_the_week_year() {
        // 2024-12-30 is in ISO week 1 of 2025; Joda's YYYY still prints 2024.
        let zone = Zone::parse("UTC").unwrap();
        let ts = 1_735_560_000_000; // 2024-12-30T12:00:00Z
        assert_eq!(
            JodaPattern::parse("YYYY/xxxx").unwrap().format(ts, &zone),
            "2024/2025"
        );
    }

    #[test]
    fn quotes_text_and_fixed_offsets() {
        let zone = Zone::parse("+02:00").unwrap();
        let p = JodaPattern::parse("'it''s' MMM EEEE yy HH:mm:ss.SSS Z").unwrap();
        assert_eq!(
            p.format(1_700_000_000_123, &zone),
            "it's Nov Wednesday 23 00:13:20.123 +0200"
        );
    }

    #[test]
    fn bad_patterns_and_zones_are_errors() {
        assert!(JodaPattern::parse("'open").is_err());
        assert!(JodaPattern::parse("YYYY/q").is_err());
        assert!(Zone::parse("Mars/Olympus").is_err());
    }

    #[test]
    fn scheduled_rotation_aligns_to_local_midnight() {
        let zone = Zone::parse("UTC").unwrap();
        let day = 1_699_920_000_000; // 2023-11-14T00:00:00Z
        assert_eq!(
            next_scheduled_rotation(day + 1, 3_600_000, &zone),
            day + 3_600_000
        );
        assert_eq!(
            next_scheduled_rotation(day + 3_600_000, 3_600_000, &zone),
            day + 7_200_000
        );
        // 7 h does not divide the day: the last slot is cut at midnight.
        assert_eq!(
            next_scheduled_rotation(day + 22 * 3_600_000, 7 * 3_600_000, &zone),
            day + 86_400_000
        );
    }
}
