//! `java.text.SimpleDateFormat` in UTC with the English symbols, as `TimestampConverter` and
//! `TimestampRouter` use it: pattern compilation (with Java's errors), formatting, and lenient
//! parsing.
//!
//! Like Java's `GregorianCalendar`, instants before 1582-10-15 use the Julian calendar.

use connect_api::java;

const MILLIS_PER_DAY: i64 = 86_400_000;
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
/// Sunday first, as `Calendar.DAY_OF_WEEK` counts.
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
/// 1582-10-15, the first day of the Gregorian calendar, in days since the epoch.
const GREGORIAN_CUTOVER: i64 = -141_427;

/// Days since the epoch as (year, month, day) in Java's hybrid Julian/Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    if days >= GREGORIAN_CUTOVER {
        return java::civil_from_days(days);
    }
    let z = days + 719_470;
    let era = z.div_euclid(1461);
    let doe = z - era * 1461;
    let yoe = (doe / 365).min(3);
    let doy = doe - 365 * yoe;
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 4;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) as days since the epoch in the hybrid calendar: a date that falls before
/// the cutover in Gregorian terms is read as a Julian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let gregorian = java::days_from_civil(y, m, d);
    if gregorian >= GREGORIAN_CUTOVER {
        return gregorian;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(4);
    let yoe = y - era * 4;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    era * 1461 + yoe * 365 + doy - 719_470
}

const PATTERN_LETTERS: &str = "GyMdkHmsSEDFwWahKzZYuXL";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Literal(String),
    Field { letter: char, count: usize },
}

/// A compiled `SimpleDateFormat` pattern.
#[derive(Debug, Clone)]
pub(crate) struct SimpleDateFormat {
    pattern: String,
    items: Vec<Item>,
}

/// The calendar fields of an instant, in UTC.
struct Fields {
    year: i64,
    month: u32,
    day: u32,
    /// 0 = Sunday.
    weekday: usize,
    day_of_year: i64,
    millis_of_day: i64,
    days: i64,
}

impl Fields {
    fn of(millis: i64) -> Self {
        let days = millis.div_euclid(MILLIS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        Self {
            year,
            month,
            day,
            weekday: (days + 4).rem_euclid(7) as usize,
            day_of_year: days - days_from_civil(year, 1, 1) + 1,
            millis_of_day: millis.rem_euclid(MILLIS_PER_DAY),
            days,
        }
    }

    /// `WEEK_OF_YEAR` and its week-based year with the US rules (weeks start on Sunday; week 1
    /// is the one containing January 1).
    fn week_of_year(&self) -> (i64, i64) {
        let next_jan1 = days_from_civil(self.year + 1, 1, 1);
        let next_week1 = next_jan1 - (next_jan1 + 4).rem_euclid(7);
        if self.days >= next_week1 {
            return (self.year + 1, 1);
        }
        let jan1 = days_from_civil(self.year, 1, 1);
        let offset = (jan1 + 4).rem_euclid(7);
        (self.year, (self.day_of_year - 1 + offset) / 7 + 1)
    }

    /// The first day of this month (in October 1582, the 1st of the Julian month: the 5th to
    /// the 14th do not exist).
    fn month_start(&self) -> i64 {
        days_from_civil(self.year, self.month, 1)
    }

    fn week_of_month(&self) -> i64 {
        let first = self.month_start();
        let offset = (first + 4).rem_euclid(7);
        (self.days - first + offset) / 7 + 1
    }
}

impl SimpleDateFormat {
    /// `new SimpleDateFormat(pattern)`.
    ///
    /// # Errors
    /// Java's `IllegalArgumentException` message for an unknown letter or an open quote.
    pub(crate) fn new(pattern: &str) -> Result<Self, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut items = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '\'' {
                if chars.get(i + 1) == Some(&'\'') {
                    literal.push('\'');
                    i += 2;
                    continue;
                }
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err("Unterminated quote".to_owned()),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            literal.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(&q) => {
                            literal.push(q);
                            i += 1;
                        }
                    }
                }
                continue;
            }
            if c.is_ascii_alphabetic() {
                if !PATTERN_LETTERS.contains(c) {
                    return Err(format!("Illegal pattern character '{c}'"));
                }
                let mut count = 1;
                while chars.get(i + count) == Some(&c) {
                    count += 1;
                }
                if c == 'X' && count > 3 {
                    return Err(format!("invalid ISO 8601 format: length={count}"));
                }
                if !literal.is_empty() {
                    items.push(Item::Literal(std::mem::take(&mut literal)));
                }
                items.push(Item::Field { letter: c, count });
                i += count;
                continue;
            }
            literal.push(c);
            i += 1;
        }
        if !literal.is_empty() {
            items.push(Item::Literal(literal));
        }
        Ok(Self {
            pattern: pattern.to_owned(),
            items,
        })
    }

    /// `toPattern()`.
    pub(crate) fn pattern(&self) -> &str {
        &self.pattern
    }

    /// `format(new Date(millis))` in UTC.
    pub(crate) fn format(&self, millis: i64) -> String {
        let f = Fields::of(millis);
        let mut out = String::new();
        for item in &self.items {
            match item {
                Item::Literal(s) => out.push_str(s),
                Item::Field { letter, count } => format_field(&mut out, &f, *letter, *count),
            }
        }
        out
    }

    /// `parse(text)`, lenient as `SimpleDateFormat` is by default: numbers may overflow into
    /// the next field, trailing text is ignored.
    ///
    /// # Errors
    /// When the text does not fit the pattern (Java's `ParseException`).
    pub(crate) fn parse(&self, text: &str) -> Result<i64, ()> {
        let chars: Vec<char> = text.chars().collect();
        let mut p = Parsed::default();
        let mut pos = 0;
        for (i, item) in self.items.iter().enumerate() {
            match item {
                Item::Literal(lit) => {
                    for c in lit.chars() {
                        // Exact, as on Java 17 (JDK 20+ lets any space separator match a space).
                        if chars.get(pos) != Some(&c) {
                            return Err(());
                        }
                        pos += 1;
                    }
                }
                Item::Field { letter, count } => {
                    let obey_count = matches!(
                        self.items.get(i + 1),
                        Some(Item::Field { letter: next, count: n }) if is_numeric(*next, *n)
                    );
                    pos = parse_field(&chars, pos, *letter, *count, obey_count, &mut p)?;
                }
            }
        }
        Ok(p.resolve())
    }
}

fn pad(out: &mut String, value: i64, width: usize) {
    if value < 0 {
        out.push('-');
    }
    let digits = value.unsigned_abs().to_string();
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(&digits);
}

fn format_field(out: &mut String, f: &Fields, letter: char, count: usize) {
    let hour = f.millis_of_day / 3_600_000;
    match letter {
        'G' => out.push_str(if f.year > 0 { "AD" } else { "BC" }),
        'y' | 'Y' => {
            // `YEAR` is the year of the era; `getWeekYear()` counts BC years as 0, -1, …
            let year = if letter == 'y' {
                if f.year > 0 { f.year } else { 1 - f.year }
            } else {
                f.week_of_year().0
            };
            if count == 2 {
                pad(out, year % 100, 2);
            } else {
                pad(out, year, count);
            }
        }
        'M' | 'L' => match count {
            1 | 2 => pad(out, i64::from(f.month), count),
            3 => out.push_str(&MONTHS[f.month as usize - 1][..3]),
            _ => out.push_str(MONTHS[f.month as usize - 1]),
        },
        'd' => pad(out, i64::from(f.day), count),
        'k' => pad(out, if hour == 0 { 24 } else { hour }, count),
        'H' => pad(out, hour, count),
        'K' => pad(out, hour % 12, count),
        'h' => pad(out, if hour % 12 == 0 { 12 } else { hour % 12 }, count),
        'm' => pad(out, f.millis_of_day / 60_000 % 60, count),
        's' => pad(out, f.millis_of_day / 1000 % 60, count),
        'S' => pad(out, f.millis_of_day % 1000, count),
        'E' => {
            let name = DAYS[f.weekday];
            out.push_str(if count >= 4 { name } else { &name[..3] });
        }
        'u' => pad(
            out,
            if f.weekday == 0 { 7 } else { f.weekday as i64 },
            count,
        ),
        'D' => pad(out, f.day_of_year, count),
        'F' => pad(out, (f.days - f.month_start()) / 7 + 1, count),
        'w' => pad(out, f.week_of_year().1, count),
        'W' => pad(out, f.week_of_month(), count),
        'a' => out.push_str(if hour < 12 { "AM" } else { "PM" }),
        'z' => out.push_str(if count >= 4 {
            "Coordinated Universal Time"
        } else {
            "UTC"
        }),
        'Z' => out.push_str("+0000"),
        'X' => out.push('Z'),
        _ => {}
    }
}

/// `SimpleDateFormat.shouldObeyCount`: numeric fields whose width bounds the previous field
/// when they abut it.
fn is_numeric(letter: char, count: usize) -> bool {
    match letter {
        'M' | 'L' => count <= 2,
        'y' | 'd' | 'k' | 'H' | 'm' | 's' | 'S' | 'D' | 'F' | 'w' | 'W' | 'h' | 'K' | 'Y' | 'u' => {
            true
        }
        _ => false,
    }
}

/// The calendar fields a parse has set, each with the order it was set in (`CalendarBuilder`'s
/// stamps), because `GregorianCalendar` resolves a date from the most recently set combination.
#[derive(Default)]
struct Parsed {
    next_stamp: u32,
    era_bc: Option<bool>,
    /// (value, stamp) per field.
    year: Option<(i64, u32)>,
    week_year: Option<(i64, u32)>,
    month: Option<(i64, u32)>,
    day_of_month: Option<(i64, u32)>,
    day_of_year: Option<(i64, u32)>,
    /// `Calendar.DAY_OF_WEEK`: 1 = Sunday … 7 = Saturday.
    day_of_week: Option<(i64, u32)>,
    week_of_year: Option<(i64, u32)>,
    week_of_month: Option<(i64, u32)>,
    day_of_week_in_month: Option<(i64, u32)>,
    hour_of_day: Option<(i64, u32)>,
    hour: Option<(i64, u32)>,
    am_pm: Option<(i64, u32)>,
    minute: i64,
    second: i64,
    millis: i64,
    offset_millis: i64,
    ambiguous_year: bool,
}

fn stamp_of(f: Option<(i64, u32)>) -> u32 {
    f.map_or(0, |(_, s)| s)
}

/// `Calendar.aggregateStamp`: unset when either is.
fn aggregate(a: u32, b: u32) -> u32 {
    if a == 0 || b == 0 { 0 } else { a.max(b) }
}

/// The date on or before `fixed` that falls on `dow` (1 = Sunday).
fn day_of_week_on_or_before(fixed: i64, dow: i64) -> i64 {
    // Epoch day 0 was a Thursday (DAY_OF_WEEK 5).
    let current = (fixed + 4).rem_euclid(7) + 1;
    fixed - (current - dow).rem_euclid(7)
}

impl Parsed {
    fn set(&mut self, slot: fn(&mut Self) -> &mut Option<(i64, u32)>, value: i64) {
        self.next_stamp += 1;
        let stamp = self.next_stamp;
        *slot(self) = Some((value, stamp));
    }

    /// `CalendarBuilder.establish(calendar).getTime()` for a lenient UTC `GregorianCalendar`.
    fn establish(&self, years_added: i64) -> i64 {
        let week_date = self.week_year.is_some() && stamp_of(self.week_year) > stamp_of(self.year);
        let raw_year = if week_date {
            self.week_year.map_or(1970, |(v, _)| v)
        } else {
            self.year.map_or(1970, |(v, _)| v)
        } + years_added;
        let year = if self.era_bc == Some(true) {
            1 - raw_year
        } else {
            raw_year
        };
        let days = if week_date {
            let woy = self.week_of_year.map_or(1, |(v, _)| v);
            let dow = self.day_of_week.map_or(1, |(v, _)| v);
            let jan1 = days_from_civil(year, 1, 1);
            let week1 = day_of_week_on_or_before(jan1, 1);
            week1 + (dow - 1).rem_euclid(7) + 7 * (woy - 1)
        } else {
            self.fixed_date(year)
        };
        // `Calendar.selectFields` for the time of day.
        let hod_stamp = stamp_of(self.hour_of_day);
        let mut best = aggregate(stamp_of(self.hour), stamp_of(self.am_pm)).max(hod_stamp);
        if best == 0 {
            best = stamp_of(self.hour).max(stamp_of(self.am_pm));
        }
        let hour = if best == 0 {
            0
        } else if best == hod_stamp {
            self.hour_of_day.map_or(0, |(v, _)| v)
        } else {
            self.hour.map_or(0, |(v, _)| v) + 12 * self.am_pm.map_or(0, |(v, _)| v)
        };
        days.saturating_mul(MILLIS_PER_DAY)
            .saturating_add(hour.saturating_mul(3_600_000))
            .saturating_add(self.minute.saturating_mul(60_000))
            .saturating_add(self.second.saturating_mul(1000))
            .saturating_add(self.millis)
            .saturating_sub(self.offset_millis)
    }

    /// `Calendar.selectFields` and `GregorianCalendar.getFixedDate`, for US week rules.
    fn fixed_date(&self, year: i64) -> i64 {
        let dow_stamp = stamp_of(self.day_of_week);
        let mut dom_stamp = stamp_of(self.day_of_month);
        let month_stamp = stamp_of(self.month);
        let mut wom_stamp = aggregate(stamp_of(self.week_of_month), dow_stamp);
        let mut dowim_stamp = aggregate(stamp_of(self.day_of_week_in_month), dow_stamp);
        let doy_stamp = stamp_of(self.day_of_year);
        let mut woy_stamp = aggregate(stamp_of(self.week_of_year), dow_stamp);
        let mut best = dom_stamp
            .max(wom_stamp)
            .max(dowim_stamp)
            .max(doy_stamp)
            .max(woy_stamp);
        if best == 0 {
            wom_stamp = stamp_of(self.week_of_month);
            dowim_stamp = stamp_of(self.day_of_week_in_month).max(dow_stamp);
            woy_stamp = stamp_of(self.week_of_year);
            best = wom_stamp.max(dowim_stamp).max(woy_stamp);
            if best == 0 {
                dom_stamp = month_stamp;
                best = dom_stamp;
            }
        }
        let month = self.month.map_or(0, |(v, _)| v);
        let month_start = days_from_civil(
            year + month.div_euclid(12),
            month.rem_euclid(12) as u32 + 1,
            1,
        );
        let woy_set = stamp_of(self.week_of_year);
        let dow = self.day_of_week.map(|(v, _)| v);
        if best == dom_stamp
            || (best == wom_stamp && stamp_of(self.week_of_month) >= woy_set)
            || (best == dowim_stamp && stamp_of(self.day_of_week_in_month) >= woy_set)
        {
            if best == dom_stamp {
                return month_start + self.day_of_month.map_or(1, |(v, _)| v) - 1;
            }
            let use_wom = if wom_stamp == dowim_stamp {
                stamp_of(self.week_of_month) >= stamp_of(self.day_of_week_in_month)
            } else {
                best == wom_stamp
            };
            if use_wom {
                let mut first = day_of_week_on_or_before(month_start + 6, 1);
                if first - month_start >= 1 {
                    first -= 7;
                }
                if let Some(d) = dow {
                    first = day_of_week_on_or_before(first + 6, d);
                }
                return first + 7 * (self.week_of_month.map_or(1, |(v, _)| v) - 1);
            }
            let d = dow.unwrap_or(1);
            let dowim = self.day_of_week_in_month.map_or(1, |(v, _)| v);
            if dowim >= 0 {
                return day_of_week_on_or_before(month_start + 7 * dowim - 1, d);
            }
            let next_month = days_from_civil(
                year + (month + 1).div_euclid(12),
                (month + 1).rem_euclid(12) as u32 + 1,
                1,
            );
            return day_of_week_on_or_before(next_month - 1 + 7 * (dowim + 1), d);
        }
        let jan1 = days_from_civil(year, 1, 1);
        if best == doy_stamp {
            return jan1 + self.day_of_year.map_or(1, |(v, _)| v) - 1;
        }
        let mut first = day_of_week_on_or_before(jan1 + 6, 1);
        if first - jan1 >= 1 {
            first -= 7;
        }
        if let Some(d) = dow
            && d != 1
        {
            first = day_of_week_on_or_before(first + 6, d);
        }
        first + 7 * (self.week_of_year.map_or(1, |(v, _)| v) - 1)
    }

    fn resolve(&self) -> i64 {
        let millis = self.establish(0);
        if self.ambiguous_year && millis < default_century_start() {
            return self.establish(100);
        }
        millis
    }
}

/// `SimpleDateFormat`'s default century start: 80 years before now.
fn default_century_start() -> i64 {
    let now = chrono::Utc::now().timestamp_millis();
    let f = Fields::of(now);
    days_from_civil(f.year - 80, f.month, f.day.min(28)) * MILLIS_PER_DAY + f.millis_of_day
}

/// `DecimalFormat.parse(text, pos).intValue()` as `SimpleDateFormat` sets it up (integers only,
/// no grouping, a leading `-`): (value, end), reading no further than `limit`.
fn parse_number(chars: &[char], pos: usize, limit: usize) -> Option<(i64, usize)> {
    let limit = limit.min(chars.len());
    let mut i = pos;
    let negative = i < limit && chars[i] == '-';
    if negative {
        i += 1;
    }
    let start = i;
    let mut value: i64 = 0;
    while i < limit && chars[i].is_ascii_digit() {
        value = value
            .saturating_mul(10)
            .saturating_add(i64::from(chars[i] as u8 - b'0'));
        i += 1;
    }
    if i == start {
        return None;
    }
    let value = if negative { -value } else { value };
    // `Number.intValue()` keeps the low 32 bits.
    Some((i64::from(value as i32), i))
}

/// `matchString`: the longest of `names` (case-insensitive) at `pos`, as (index, end).
fn match_name(chars: &[char], pos: usize, names: &[&str]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for (idx, name) in names.iter().enumerate() {
        let n = name.chars().count();
        if best.is_none_or(|(_, len)| n > len)
            && pos + n <= chars.len()
            && chars[pos..pos + n]
                .iter()
                .zip(name.chars())
                .all(|(a, b)| a.to_lowercase().eq(b.to_lowercase()))
        {
            best = Some((idx, n));
        }
    }
    best.map(|(idx, n)| (idx, pos + n))
}

/// `subParseNumericZone`: `hh[[:]mm]` after the sign, as (offset millis, end).
fn numeric_zone(
    chars: &[char],
    pos: usize,
    sign: i64,
    count: usize,
    colon: bool,
) -> Option<(i64, usize)> {
    let digit = |i: usize| chars.get(i).and_then(|c| c.to_digit(10)).map(i64::from);
    let mut i = pos;
    let mut hours = digit(i)?;
    i += 1;
    match digit(i) {
        Some(d) => {
            hours = hours * 10 + d;
            i += 1;
        }
        // Without a colon (RFC 822) or in ISO form two digits are required.
        None if count > 0 || !colon => return None,
        None => {}
    }
    if hours > 23 {
        return None;
    }
    let mut minutes = 0;
    if count != 1 {
        if colon {
            if chars.get(i) != Some(&':') {
                return None;
            }
            i += 1;
        }
        minutes = digit(i)? * 10 + digit(i + 1)?;
        if minutes > 59 {
            return None;
        }
        i += 2;
    }
    Some((sign * (hours * 60 + minutes) * 60_000, i))
}

/// `subParse`: one field at `start`; returns where parsing continues.
fn parse_field(
    chars: &[char],
    start: usize,
    letter: char,
    count: usize,
    obey_count: bool,
    p: &mut Parsed,
) -> Result<usize, ()> {
    // Numbers and zones skip spaces and tabs first; text fields match at `start` itself.
    let mut pos = start;
    while matches!(chars.get(pos), Some(' ' | '\t')) {
        pos += 1;
    }
    if pos >= chars.len() {
        return Err(());
    }
    let actual_start = pos;
    let number = || {
        if obey_count {
            if start + count > chars.len() {
                return Err(());
            }
            parse_number(chars, pos, start + count).ok_or(())
        } else {
            parse_number(chars, pos, usize::MAX).ok_or(())
        }
    };
    let shorts =
        |names: &[&'static str]| -> Vec<&'static str> { names.iter().map(|m| &m[..3]).collect() };
    match letter {
        'G' => {
            let (idx, end) = match_name(chars, start, &["BC", "AD"]).ok_or(())?;
            p.era_bc = Some(idx == 0);
            Ok(end)
        }
        'y' | 'Y' => {
            let (mut value, end) = number()?;
            if count <= 2
                && end - actual_start == 2
                && chars[actual_start].is_ascii_digit()
                && chars[actual_start + 1].is_ascii_digit()
            {
                let start_year = Fields::of(default_century_start()).year;
                let two = start_year % 100;
                p.ambiguous_year = value == two;
                value += (start_year / 100) * 100 + if value < two { 100 } else { 0 };
            }
            if letter == 'y' {
                p.set(|p| &mut p.year, value);
            } else {
                p.set(|p| &mut p.week_year, value);
            }
            Ok(end)
        }
        'M' | 'L' if count <= 2 => {
            let (v, end) = number()?;
            p.set(|p| &mut p.month, v - 1);
            Ok(end)
        }
        'M' | 'L' => {
            let (idx, end) = match_name(chars, start, &MONTHS)
                .or_else(|| match_name(chars, start, &shorts(&MONTHS)))
                .ok_or(())?;
            p.set(|p| &mut p.month, idx as i64);
            Ok(end)
        }
        'E' => {
            let (idx, end) = match_name(chars, start, &DAYS)
                .or_else(|| match_name(chars, start, &shorts(&DAYS)))
                .ok_or(())?;
            p.set(|p| &mut p.day_of_week, idx as i64 + 1);
            Ok(end)
        }
        'a' => {
            let (idx, end) = match_name(chars, start, &["AM", "PM"]).ok_or(())?;
            p.set(|p| &mut p.am_pm, idx as i64);
            Ok(end)
        }
        'z' | 'Z' => parse_zone_name(chars, start, pos, p),
        'X' => {
            let sign = match chars[pos] {
                'Z' => {
                    p.offset_millis = 0;
                    return Ok(pos + 1);
                }
                '+' => 1,
                '-' => -1,
                _ => return Err(()),
            };
            let (offset, end) = numeric_zone(chars, pos + 1, sign, count, count == 3).ok_or(())?;
            p.offset_millis = offset;
            Ok(end)
        }
        _ => {
            let (v, end) = number()?;
            match letter {
                'd' => p.set(|p| &mut p.day_of_month, v),
                'D' => p.set(|p| &mut p.day_of_year, v),
                'F' => p.set(|p| &mut p.day_of_week_in_month, v),
                'w' => p.set(|p| &mut p.week_of_year, v),
                'W' => p.set(|p| &mut p.week_of_month, v),
                // ISO day number: Monday = 1 … Sunday = 7.
                'u' => p.set(|p| &mut p.day_of_week, v % 7 + 1),
                'H' => p.set(|p| &mut p.hour_of_day, v),
                'k' => p.set(|p| &mut p.hour_of_day, if v == 24 { 0 } else { v }),
                'K' => p.set(|p| &mut p.hour, v),
                'h' => p.set(|p| &mut p.hour, if v == 12 { 0 } else { v }),
                'm' => p.minute = v,
                's' => p.second = v,
                'S' => p.millis = v,
                _ => {}
            }
            Ok(end)
        }
    }
}

/// `z`/`Z`: `+hhmm`, `GMT`, `GMT±h[h]:mm`, or the names of UTC. (Java also knows every other
/// zone's names and abbreviations; Sluice reads only UTC's.)
fn parse_zone_name(chars: &[char], start: usize, pos: usize, p: &mut Parsed) -> Result<usize, ()> {
    let sign_at = |i: usize| match chars.get(i) {
        Some('+') => Some(1),
        Some('-') => Some(-1),
        _ => None,
    };
    if let Some(sign) = sign_at(pos) {
        let (offset, end) = numeric_zone(chars, pos + 1, sign, 0, false).ok_or(())?;
        p.offset_millis = offset;
        return Ok(end);
    }
    if matches!(chars[pos], 'G' | 'g')
        && let Some((_, after)) = match_name(chars, start, &["GMT"])
    {
        let Some(sign) = sign_at(after) else {
            p.offset_millis = 0;
            return Ok(after);
        };
        let (offset, end) = numeric_zone(chars, after + 1, sign, 0, true).ok_or(())?;
        p.offset_millis = offset;
        return Ok(end);
    }
    let (_, end) = match_name(chars, pos, &["Coordinated Universal Time", "UTC"]).ok_or(())?;
    p.offset_millis = 0;
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(pattern: &str, millis: i64) -> String {
        SimpleDateFormat::new(pattern).unwrap().format(millis)
    }

    fn parse(pattern: &str, text: &str) -> Result<i64, ()> {
        SimpleDateFormat::new(pattern).unwrap().parse(text)
    }

    // 2023-11-14T22:13:20.123Z, a Tuesday.
    const T: i64 = 1_700_000_000_123;

    #[test]
    fn numeric_fields_are_padded_to_their_count() {
        assert_eq!(fmt("yyyyMMdd", T), "20231114");
        assert_eq!(
            fmt("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", T),
            "2023-11-14T22:13:20.123Z"
        );
        assert_eq!(fmt("yy/M/d H:m:s.S", T), "23/11/14 22:13:20.123");
        assert_eq!(fmt("SSSSS", T), "00123");
        assert_eq!(fmt("y", 0), "1970");
    }

    #[test]
    fn text_fields_use_english_names() {
        assert_eq!(
            fmt("EEE, d MMM yyyy hh:mm a z", T),
            "Tue, 14 Nov 2023 10:13 PM UTC"
        );
        assert_eq!(
            fmt("EEEE MMMM G zzzz Z", T),
            "Tuesday November AD Coordinated Universal Time +0000"
        );
    }

    #[test]
    fn week_and_day_numbers_follow_us_rules() {
        assert_eq!(fmt("D w W F u k K", T), "318 46 3 2 2 22 10");
        // 2023-12-31 is a Sunday in the week of 2024-01-01: week 1 of week-year 2024.
        assert_eq!(fmt("YYYY-ww", 1_703_980_800_000), "2024-01");
    }

    #[test]
    fn quotes_and_bad_letters_are_handled_like_java() {
        assert_eq!(fmt("'at' HH 'o''clock' ''", T), "at 22 o'clock '");
        assert_eq!(
            SimpleDateFormat::new("yyyy-qq").unwrap_err(),
            "Illegal pattern character 'q'"
        );
        assert_eq!(
            SimpleDateFormat::new("yyyy 'x").unwrap_err(),
            "Unterminated quote"
        );
    }

    #[test]
    fn instants_before_1582_use_the_julian_calendar() {
        assert_eq!(civil_from_days(GREGORIAN_CUTOVER - 1), (1582, 10, 4));
        assert_eq!(days_from_civil(1582, 10, 4), GREGORIAN_CUTOVER - 1);
        assert_eq!(civil_from_days(GREGORIAN_CUTOVER), (1582, 10, 15));
        // What Java prints and parses for year 70 (two days off the proleptic Gregorian day).
        assert_eq!(
            parse("dd/MM/yyyy HH:mm", "1/1/70 0:0"),
            Ok(-59_958_316_800_000)
        );
        assert_eq!(fmt("yyyy-MM-dd G", -59_958_316_800_000), "0070-01-01 AD");
        assert_eq!(fmt("yyyy-MM-dd G", -62_135_769_600_001), "0001-12-31 BC");
    }

    #[test]
    fn parsing_reads_fields_leniently() {
        assert_eq!(
            parse("yyyy-MM-dd HH:mm:ss.SSS", "2023-11-14 22:13:20.123"),
            Ok(T)
        );
        assert_eq!(parse("yyyyMMdd", "20231114"), Ok(1_699_920_000_000));
        assert_eq!(
            parse("yyyy-MM-dd", "2023-11-14 trailing"),
            Ok(1_699_920_000_000)
        );
        // Month 13 rolls into the next year.
        assert_eq!(parse("yyyy-MM-dd", "2022-13-14"), Ok(1_673_654_400_000));
        assert_eq!(
            parse("yyyy-MM-dd'T'HH:mmXXX", "2023-11-14T23:13+01:00"),
            Ok(1_699_999_980_000)
        );
        assert_eq!(parse("dd MMM yyyy", "14 nov 2023"), Ok(1_699_920_000_000));
        assert_eq!(parse("yyyy-MM-dd", "2023/11/14"), Err(()));
        assert_eq!(parse("yyyy-MM-dd", ""), Err(()));
    }

    #[test]
    fn dates_resolve_from_the_most_recently_set_fields_as_gregorian_calendar_does() {
        // A week year takes over: the Sunday of its week 1, month and day ignored.
        assert_eq!(parse("YYYY-MM-dd", "2023-11-14"), Ok(1_672_531_200_000));
        assert_eq!(parse("YYYY-MM-dd", "2021-01-01"), Ok(1_609_027_200_000));
        // A day name alone picks its first occurrence in the month.
        assert_eq!(parse("yyyy-MM EEE", "2023-11 Tue"), Ok(1_699_315_200_000));
        // A day of month wins over a day name, whichever comes first.
        assert_eq!(
            parse("yyyy-MM-dd EEE", "2023-11-14 Fri"),
            Ok(1_699_920_000_000)
        );
        assert_eq!(parse("yyyy-'W'ww-u", "2023-W46-2"), Ok(1_699_920_000_000));
    }

    #[test]
    fn text_fields_do_not_skip_leading_spaces_but_numbers_do() {
        assert_eq!(
            parse("G yyyy-MM-dd", "ad   2023-11-14"),
            Ok(1_699_920_000_000)
        );
        assert_eq!(parse("G yyyy-MM-dd", "  AD 2023-11-14"), Err(()));
    }

    #[test]
    fn a_formatted_instant_parses_back() {
        let f = SimpleDateFormat::new("EEE, dd MMM yyyy hh:mm:ss.SSS a Z").unwrap();
        assert_eq!(f.parse(&f.format(T)), Ok(T));
        assert_eq!(f.pattern(), "EEE, dd MMM yyyy hh:mm:ss.SSS a Z");
    }
}
