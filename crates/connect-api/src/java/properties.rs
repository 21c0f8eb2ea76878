//! `java.util.Properties.load`: the `.properties` text format of worker configs, connector
//! files and the `FileConfigProvider`'s files.

use std::fmt;

use crate::Props;

/// A `.properties` text `java.util.Properties` would refuse (`IllegalArgumentException`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertiesError {
    /// The 1-based line the offending logical line starts on.
    pub line: usize,
    /// Java's message (`Malformed \\uxxxx encoding.`).
    pub message: String,
}

impl fmt::Display for PropertiesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for PropertiesError {}

/// Parses `.properties` text with `java.util.Properties.load` rules: `#`/`!` comment lines;
/// `key=value`, `key: value` and `key value`; `\` line continuations (leading whitespace of the
/// next line dropped); escapes `\t \n \r \f \uXXXX` (surrogate pairs joined) and `\x` → `x`;
/// whitespace is space, tab and form feed; a later duplicate key wins.
///
/// # Errors
/// A malformed `\uXXXX` escape, as `IllegalArgumentException` in Java.
pub fn parse_properties(text: &str) -> Result<Props, PropertiesError> {
    let mut props = Props::new();
    for (line_no, line) in logical_lines(text) {
        let (key, value) = split_key_value(&line);
        let err = |message: String| PropertiesError {
            line: line_no,
            message,
        };
        props.insert(unescape(key).map_err(err)?, unescape(value).map_err(err)?);
    }
    Ok(props)
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\x0c')
}

/// Logical lines (continuations joined, comments and blank lines dropped), each with the
/// 1-based number of the natural line it starts on.
fn logical_lines(text: &str) -> Vec<(usize, Vec<char>)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line_no = 1;
    loop {
        // Skip leading whitespace and blank lines before a logical line.
        while let Some(&c) = chars.peek() {
            if is_ws(c) {
                chars.next();
            } else if c == '\n' || c == '\r' {
                chars.next();
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                line_no += 1;
            } else {
                break;
            }
        }
        let Some(&first) = chars.peek() else { break };
        let start_line = line_no;
        if first == '#' || first == '!' {
            // Comments end at the line terminator, backslash or not.
            read_natural_line(&mut chars);
            line_no += 1;
            continue;
        }
        let mut logical = Vec::new();
        loop {
            let (mut natural, terminated) = read_natural_line(&mut chars);
            line_no += usize::from(terminated);
            let trailing = natural.iter().rev().take_while(|c| **c == '\\').count();
            let continues = trailing % 2 == 1;
            if continues {
                natural.pop();
            }
            logical.extend(natural);
            if !continues || !terminated {
                break;
            }
            // The continuation's leading whitespace is not part of the value; an empty
            // continuation line simply ends the logical line.
            while chars.peek().is_some_and(|c| is_ws(*c)) {
                chars.next();
            }
        }
        out.push((start_line, logical));
    }
    out
}

/// The characters up to the next `\n`, `\r` or `\r\n` (consumed), and whether one was found.
fn read_natural_line(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> (Vec<char>, bool) {
    let mut line = Vec::new();
    while let Some(c) = chars.next() {
        match c {
            '\n' => return (line, true),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                return (line, true);
            }
            _ => line.push(c),
        }
    }
    (line, false)
}

/// `Properties.load0`: the key ends at the first unescaped `=`, `:` or whitespace; then
/// whitespace, at most one `=`/`:`, and whitespace again are skipped.
fn split_key_value(line: &[char]) -> (&[char], &[char]) {
    let mut key_end = line.len();
    let mut value_start = line.len();
    let mut has_sep = false;
    let mut escaped = false;
    for (i, &c) in line.iter().enumerate() {
        if !escaped && (c == '=' || c == ':') {
            key_end = i;
            value_start = i + 1;
            has_sep = true;
            break;
        }
        if !escaped && is_ws(c) {
            key_end = i;
            value_start = i + 1;
            break;
        }
        escaped = c == '\\' && !escaped;
    }
    while let Some(&c) = line.get(value_start) {
        if is_ws(c) {
            value_start += 1;
        } else if !has_sep && (c == '=' || c == ':') {
            has_sep = true;
            value_start += 1;
        } else {
            break;
        }
    }
    (&line[..key_end], &line[value_start..])
}

/// `Properties.loadConvert`. `\uXXXX` escapes are UTF-16 code units, so consecutive ones are
/// decoded together and a surrogate pair becomes one character.
fn unescape(s: &[char]) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut units: Vec<u16> = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        i += 1;
        if c != '\\' {
            flush_units(&mut out, &mut units);
            out.push(c);
            continue;
        }
        let Some(&e) = s.get(i) else { break };
        i += 1;
        if e == 'u' {
            let hex: String = s
                .get(i..i + 4)
                .map(|h| h.iter().collect())
                .unwrap_or_default();
            let unit = (hex.len() == 4)
                .then(|| u16::from_str_radix(&hex, 16).ok())
                .flatten()
                .ok_or_else(|| "Malformed \\uxxxx encoding.".to_owned())?;
            units.push(unit);
            i += 4;
            continue;
        }
        flush_units(&mut out, &mut units);
        out.push(match e {
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            'f' => '\x0c',
            other => other,
        });
    }
    flush_units(&mut out, &mut units);
    Ok(out)
}

fn flush_units(out: &mut String, units: &mut Vec<u16>) {
    out.extend(
        char::decode_utf16(units.drain(..)).map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Props {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn properties_separators_comments_and_whitespace_follow_java() {
        let text = "# comment\n! bang comment\n  key1 = value1  \nkey2:value2\nkey3 value3\n\
                    key4   :   spaced\nkey5==double\n\t\x0cindented=yes\nnovalue\nempty=\n";
        let p = parse_properties(text).unwrap();
        assert_eq!(
            p,
            props(&[
                ("key1", "value1  "),
                ("key2", "value2"),
                ("key3", "value3"),
                ("key4", "spaced"),
                ("key5", "=double"),
                ("indented", "yes"),
                ("novalue", ""),
                ("empty", ""),
            ])
        );
    }

    #[test]
    fn properties_continuations_join_lines_and_drop_leading_whitespace() {
        let text = "list=a,\\\n    b,\\\r\n\t c\nodd=x\\\\\nnext=y\ncomment=1\n# not continued \\\nafter=2\n\
                    tail=end\\";
        let p = parse_properties(text).unwrap();
        assert_eq!(p["list"], "a,b,c");
        assert_eq!(
            p["odd"], "x\\",
            "an even run of backslashes is escaped, not a continuation"
        );
        assert_eq!(p["next"], "y");
        assert_eq!(p["after"], "2", "a comment line never continues");
        assert_eq!(p["tail"], "end", "a backslash at end of input is dropped");
    }

    #[test]
    fn properties_escapes_decode_like_java() {
        let text = "tab=a\\tb\nnl=a\\nb\nuni=\\u0041\\u00e9\nemoji=\\uD83D\\uDE00\n\
                    key\\ with\\ spaces=v\ncolon\\:key=1\nother=\\q\\=\\#\nutf8=héllo\n";
        let p = parse_properties(text).unwrap();
        assert_eq!(p["tab"], "a\tb");
        assert_eq!(p["nl"], "a\nb");
        assert_eq!(p["uni"], "Aé");
        assert_eq!(p["emoji"], "😀");
        assert_eq!(p["key with spaces"], "v");
        assert_eq!(p["colon:key"], "1");
        assert_eq!(p["other"], "q=#");
        assert_eq!(p["utf8"], "héllo");
    }

    #[test]
    fn properties_later_duplicates_win_and_cr_line_endings_work() {
        let p = parse_properties("a=1\r\na=2\rb=3").unwrap();
        assert_eq!(p, props(&[("a", "2"), ("b", "3")]));
    }

    #[test]
    fn a_malformed_unicode_escape_names_its_line() {
        let err = parse_properties("ok=1\nbad=\\u12G4\n").unwrap_err();
        assert_eq!(err.line, 2);
        assert_eq!(err.to_string(), "line 2: Malformed \\uxxxx encoding.");
    }
}
