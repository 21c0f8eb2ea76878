//! Differential tests against Jackson 2.16.2 (the version Kafka Connect 3.9 ships).
//!
//! `testdata/jackson_golden.txt` holds cases whose expected outcome was produced by the real
//! Jackson reading Kafka's own entity classes (`CreateConnectorRequest`, `ConnectorOffsets`) and
//! `Map<String,String>` exactly as `JacksonJsonProvider.readFrom` does. Each line is
//! `<kind> <hex body>\t<outcome>`, the outcome being `NULL`, `OK:<rendering>` or
//! `ERR:<getMessage()>` with `\` and newlines escaped.

use super::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

fn render_map(map: &JavaMap) -> String {
    let entries: Vec<String> = map
        .iter()
        .map(|(k, v)| {
            format!(
                "{}:{}",
                serde_json::to_string(k).expect("json"),
                v.as_ref()
                    .map_or("null".to_owned(), |v| serde_json::to_string(v)
                        .expect("json"))
            )
        })
        .collect();
    format!("{{{}}}", entries.join(","))
}

/// Renders an outcome the way the Java side of the differential harness does.
fn outcome(kind: &str, body: &[u8]) -> String {
    let rendered = match kind {
        "map" => read::<JavaMap>(body).map(|v| v.map(|m| render_map(&m))),
        "create" => read::<CreateConnectorRequest>(body).map(|v| {
            v.map(|r| {
                let state = match r.initial_state {
                    None => "null",
                    Some(TargetState::Started) => "RUNNING",
                    Some(TargetState::Paused) => "PAUSED",
                    Some(TargetState::Stopped) => "STOPPED",
                };
                format!(
                    "{}|{}|{state}",
                    r.name
                        .map_or("null".to_owned(), |n| serde_json::to_string(&n)
                            .expect("json")),
                    r.config.map_or("null".to_owned(), |c| render_map(&c)),
                )
            })
        }),
        _ => read::<ConnectorOffsetsRequest>(body)
            .map(|v| v.map(|o| o.offsets.map_or("null".to_owned(), |l| l.len().to_string()))),
    };
    match rendered {
        Ok(None) => "NULL".to_owned(),
        Ok(Some(s)) => format!("OK:{}", escape(&s)),
        Err(e) => format!("ERR:{}", escape(&e.message())),
    }
}

#[test]
fn matches_jackson_on_golden_cases() {
    let golden = include_str!("../../testdata/jackson_golden.txt");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in golden.lines().filter(|l| !l.is_empty()) {
        let (input, expected) = line.split_once('\t').expect("tab-separated");
        let (kind, body) = input.split_once(' ').unwrap_or((input, ""));
        let actual = outcome(kind, &hex(body));
        count += 1;
        if actual != expected {
            failures.push(format!(
                "{kind} {:?}\n  jackson: {expected}\n  ours:    {actual}",
                String::from_utf8_lossy(&hex(body))
            ));
        }
    }
    assert!(count > 100, "golden file too small");
    assert!(
        failures.is_empty(),
        "{} of {count} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Writes our outcomes for the cases in `$JACKSON_CASES` (`<kind> <hex>` per line) to
/// `$JACKSON_OUT`; used to regenerate and extend the golden file next to a Jackson harness.
#[test]
#[ignore = "tooling: run by hand with JACKSON_CASES and JACKSON_OUT"]
fn dump_outcomes() {
    let cases = std::env::var("JACKSON_CASES").expect("JACKSON_CASES");
    let out = std::env::var("JACKSON_OUT").expect("JACKSON_OUT");
    let input = std::fs::read_to_string(cases).expect("read cases");
    let mut lines = Vec::new();
    for line in input.lines() {
        let (kind, body) = line.split_once(' ').unwrap_or((line, ""));
        lines.push(outcome(kind, &hex(body)));
    }
    std::fs::write(out, lines.join("\n") + "\n").expect("write");
}

#[test]
fn location_formats() {
    assert_eq!(
        Loc::At { line: 1, col: 7 }.to_string(),
        "[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 7]"
    );
    assert_eq!(
        Loc::At { line: 1, col: 0 }.to_string(),
        "[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1]"
    );
}

#[test]
fn config_values_keep_their_text() {
    let m =
        read::<JavaMap>(br#"{"tasks.max": 1, "x": 1.50, "b": true, "n": null, "tasks.max": 2}"#)
            .expect("valid")
            .expect("not null");
    assert_eq!(
        m,
        vec![
            ("tasks.max".to_owned(), Some("2".to_owned())),
            ("x".to_owned(), Some("1.50".to_owned())),
            ("b".to_owned(), Some("true".to_owned())),
            ("n".to_owned(), None),
        ]
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let body = format!(
        "{{\"offsets\":[{{\"partition\":{{\"a\":{}",
        "[".repeat(100_000)
    );
    let e = read::<ConnectorOffsetsRequest>(body.as_bytes()).expect_err("too deep");
    assert!(
        e.message()
            .starts_with("Document nesting depth (1001) exceeds the maximum allowed")
    );
}
