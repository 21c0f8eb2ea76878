//! Golden tests of `connect_api::java` against real Java: `testdata/java_text_golden.txt` was
//! printed by `testdata/JavaTextGolden.java` on OpenJDK 17 (the oracle worker's JDK) with
//! Jackson's `JsonGenerator.writeString`.

use connect_api::java;
use num_bigint::BigInt;

const GOLDEN: &str = include_str!("testdata/java_text_golden.txt");

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn cases(kind: &str) -> impl Iterator<Item = Vec<&'static str>> + '_ {
    GOLDEN
        .lines()
        .filter(move |l| l.split(' ').next() == Some(kind))
        .map(|l| l.split(' ').skip(1).collect())
}

fn check(kind: &str, actual: impl Fn(&[&str]) -> String) {
    let mut count = 0;
    let mismatches: Vec<String> = cases(kind)
        .inspect(|_| count += 1)
        .filter_map(|c| {
            let (expected, input) = c.split_last().unwrap();
            let got = actual(input);
            (got != *expected).then(|| format!("{input:?}: Java {expected}, Sluice {got}"))
        })
        .collect();
    assert!(count > 100, "{kind}: only {count} cases");
    assert!(
        mismatches.is_empty(),
        "{} of {count} differ:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(20)].join("\n")
    );
}

#[test]
fn doubles_print_as_jdk_17_double_to_string() {
    check("D", |c| {
        java::double_to_string(f64::from_bits(u64::from_str_radix(c[0], 16).unwrap()))
    });
}

#[test]
fn floats_print_as_jdk_17_float_to_string() {
    check("F", |c| {
        java::float_to_string(f32::from_bits(u32::from_str_radix(c[0], 16).unwrap()))
    });
}

#[test]
fn big_decimals_print_as_big_decimal_to_string() {
    check("B", |c| {
        java::big_decimal_to_string(&c[0].parse::<BigInt>().unwrap(), c[1].parse().unwrap())
    });
}

#[test]
fn strings_escape_as_jackson_write_string() {
    let mut count = 0;
    for c in cases("S") {
        count += 1;
        let input = String::from_utf8(hex(c.first().copied().unwrap_or(""))).unwrap();
        let expected = hex(c.get(1).copied().unwrap_or(""));
        let mut out = Vec::new();
        java::write_json_string(&mut out, &input);
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&expected),
            "{input:?}"
        );
        assert_eq!(
            format!("\"{}\"", java::json_escape(&input)).as_bytes(),
            &expected[..]
        );
    }
    assert!(count > 100);
}
