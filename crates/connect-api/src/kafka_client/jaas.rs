//! `sasl.jaas.config` as Kafka's `org.apache.kafka.common.security.JaasConfig` reads it: a
//! `java.io.StreamTokenizer` with `//` and `/* */` comments, `-`, `_` and `$` as word characters,
//! `"…"`/`'…'` strings with Java's escapes, exactly one login module entry
//! (`JaasContext.loadClientContext`), and a control flag. Option values must be words or quoted
//! strings: an unquoted number (`password=123`) is a numeric token without text, which Kafka
//! refuses too.

use std::collections::BTreeMap;

/// One parsed login module entry.
#[derive(Clone, PartialEq, Eq)]
pub struct JaasEntry {
    pub login_module: String,
    pub options: BTreeMap<String, String>,
}

impl std::fmt::Debug for JaasEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Options hold passwords and client secrets: show the option names only.
        f.debug_struct("JaasEntry")
            .field("login_module", &self.login_module)
            .field("options", &self.options.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Number,
    Char(char),
}

struct Tokenizer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, '-' | '_' | '$') || (c as u32) >= 160
}

fn is_word_part(c: char) -> bool {
    is_word_start(c) || c.is_ascii_digit() || c == '.'
}

impl Tokenizer<'_> {
    fn next_token(&mut self) -> Option<Token> {
        loop {
            let c = self.chars.next()?;
            if c <= ' ' {
                continue;
            }
            if c == '/' {
                match self.chars.peek() {
                    Some('*') => {
                        self.chars.next();
                        let mut prev = ' ';
                        for c in self.chars.by_ref() {
                            if prev == '*' && c == '/' {
                                break;
                            }
                            prev = c;
                        }
                    }
                    // `//` and a lone `/` (the tokenizer's comment character) both run to the
                    // end of the line.
                    _ => {
                        for c in self.chars.by_ref() {
                            if c == '\n' || c == '\r' {
                                break;
                            }
                        }
                    }
                }
                continue;
            }
            // StreamTokenizer checks numbers before words: `-` starts a number only when a digit
            // or `.` follows, else it is an ordinary character.
            if c.is_ascii_digit() || c == '.' {
                while self
                    .chars
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || *c == '.')
                {
                    self.chars.next();
                }
                return Some(Token::Number);
            }
            if c == '-' {
                if self
                    .chars
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || *c == '.')
                {
                    while self
                        .chars
                        .peek()
                        .is_some_and(|c| c.is_ascii_digit() || *c == '.')
                    {
                        self.chars.next();
                    }
                    return Some(Token::Number);
                }
                return Some(Token::Char('-'));
            }
            if is_word_start(c) {
                let mut word = String::from(c);
                while let Some(&n) = self.chars.peek() {
                    if !is_word_part(n) {
                        break;
                    }
                    word.push(n);
                    self.chars.next();
                }
                return Some(Token::Word(word));
            }
            if c == '"' || c == '\'' {
                return Some(Token::Quoted(self.quoted(c)));
            }
            return Some(Token::Char(c));
        }
    }

    /// A quoted string: ends at the matching quote, a line end or the input's end; escapes as
    /// `StreamTokenizer` reads them (`\n`, `\t`, octal, and `\x` for any other `x`).
    fn quoted(&mut self, quote: char) -> String {
        let mut out = String::new();
        while let Some(c) = self.chars.next() {
            if c == quote {
                break;
            }
            if c == '\n' || c == '\r' {
                break;
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some(e) = self.chars.next() else { break };
            match e {
                'a' => out.push('\u{7}'),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'v' => out.push('\u{b}'),
                '0'..='7' => {
                    let mut value = e as u32 - '0' as u32;
                    let max_digits = if e <= '3' { 3 } else { 2 };
                    for _ in 1..max_digits {
                        match self.chars.peek() {
                            Some(&d @ '0'..='7') => {
                                value = value * 8 + (d as u32 - '0' as u32);
                                self.chars.next();
                            }
                            _ => break,
                        }
                    }
                    out.push(char::from_u32(value).unwrap_or('\u{fffd}'));
                }
                other => out.push(other),
            }
        }
        out
    }
}

/// Parses a client's `sasl.jaas.config`.
///
/// # Errors
/// Kafka's own messages for a malformed entry (they never quote option values).
pub fn parse(text: &str) -> Result<JaasEntry, String> {
    let mut t = Tokenizer {
        chars: text.chars().peekable(),
    };
    let mut entries = Vec::new();
    while let Some(tok) = t.next_token() {
        let login_module = match tok {
            Token::Word(w) | Token::Quoted(w) => w,
            _ => return Err("Login module not specified in JAAS config".to_owned()),
        };
        let flag = match t.next_token() {
            None => return Err("Login module control flag not specified in JAAS config".to_owned()),
            Some(Token::Word(w) | Token::Quoted(w)) => w,
            Some(_) => String::new(),
        };
        if !matches!(
            flag.to_ascii_uppercase().as_str(),
            "REQUIRED" | "REQUISITE" | "SUFFICIENT" | "OPTIONAL"
        ) {
            return Err(format!(
                "Invalid login module control flag '{flag}' in JAAS config"
            ));
        }
        let mut options = BTreeMap::new();
        let mut terminated = false;
        while let Some(tok) = t.next_token() {
            let key = match tok {
                Token::Char(';') => {
                    terminated = true;
                    break;
                }
                Token::Word(w) | Token::Quoted(w) => w,
                _ => "null".to_owned(),
            };
            let value = match (t.next_token(), t.next_token()) {
                (Some(Token::Char('=')), Some(Token::Word(v) | Token::Quoted(v))) => v,
                _ => {
                    return Err(format!(
                        "Value not specified for key '{key}' in JAAS config"
                    ));
                }
            };
            options.insert(key, value);
        }
        if !terminated {
            return Err("JAAS config entry not terminated by semi-colon".to_owned());
        }
        entries.push(JaasEntry {
            login_module,
            options,
        });
    }
    match entries.len() {
        0 => Err("Login module not specified in JAAS config".to_owned()),
        1 => Ok(entries.remove(0)),
        n => Err(format!(
            "JAAS config property contains {n} login module entries, should be 1"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_login_module_gives_its_username_and_password() {
        let e = parse(
            r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cr\"et";"#,
        )
        .unwrap();
        assert_eq!(
            e.login_module,
            "org.apache.kafka.common.security.plain.PlainLoginModule"
        );
        assert_eq!(e.options["username"], "alice");
        assert_eq!(e.options["password"], "s3cr\"et");
    }

    #[test]
    fn unquoted_words_single_quotes_comments_and_octal_escapes_are_read_as_java_does() {
        let e = parse(
            "/* c */ x.y.LoginModule Optional // line\n user_name=bob-1 pw='a\\101b' $k=\"v\";",
        )
        .unwrap();
        assert_eq!(e.options["user_name"], "bob-1");
        assert_eq!(e.options["pw"], "aAb");
        assert_eq!(e.options["$k"], "v");
    }

    #[test]
    fn an_unquoted_numeric_value_is_refused_like_kafka() {
        let err = parse("m.M required password=123;").unwrap_err();
        assert_eq!(err, "Value not specified for key 'password' in JAAS config");
    }

    #[test]
    fn a_missing_semicolon_a_bad_flag_and_two_entries_are_refused() {
        assert_eq!(
            parse("m.M required a=\"b\"").unwrap_err(),
            "JAAS config entry not terminated by semi-colon"
        );
        assert_eq!(
            parse("m.M needed;").unwrap_err(),
            "Invalid login module control flag 'needed' in JAAS config"
        );
        assert_eq!(
            parse("m.M required; n.N required;").unwrap_err(),
            "JAAS config property contains 2 login module entries, should be 1"
        );
        assert_eq!(
            parse("  ").unwrap_err(),
            "Login module not specified in JAAS config"
        );
    }

    #[test]
    fn debug_output_names_options_without_their_values() {
        let e = parse("m.M required password=\"hunter2\";").unwrap();
        assert!(!format!("{e:?}").contains("hunter2"));
    }
}
