//! The tracked relational model: tables and their columns, as the DDL describes them.

use std::fmt;

/// `<db>.<table>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId {
    pub db: String,
    pub table: String,
}

impl TableId {
    pub fn new(db: impl Into<String>, table: impl Into<String>) -> Self {
        Self {
            db: db.into(),
            table: table.into(),
        }
    }

    /// Debezium's quoted id form used in `tableChanges[].id`: `"db"."table"`.
    pub fn quoted(&self) -> String {
        format!("\"{}\".\"{}\"", self.db, self.table)
    }
}

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.db, self.table)
    }
}

/// One column, as declared.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    /// Upper-case base type name (`INT`, `VARCHAR`, `DECIMAL`, `ENUM`, `GEOMETRY` …).
    pub type_name: String,
    pub length: Option<i32>,
    pub scale: Option<i32>,
    pub unsigned: bool,
    pub optional: bool,
    pub auto_incremented: bool,
    pub generated: bool,
    pub charset: Option<String>,
    /// The declared `DEFAULT` expression, as written (`'M'`, `0`, `NULL`, `current_timestamp()`).
    pub default_expression: Option<String>,
    pub enum_values: Vec<String>,
    /// 1-based.
    pub position: i32,
    pub comment: Option<String>,
}

impl Column {
    /// A nullable column of `type_expr` (e.g. `varchar(255)`, `int unsigned`, `enum('a','b')`).
    pub fn new(name: &str, type_expr: &str) -> Self {
        let t = parse_type(type_expr);
        Self {
            name: name.to_owned(),
            type_name: t.name,
            length: t.length,
            scale: t.scale,
            unsigned: t.unsigned,
            optional: true,
            auto_incremented: false,
            generated: false,
            charset: None,
            default_expression: None,
            enum_values: t.values,
            position: 0,
            comment: None,
        }
    }

    /// Whether values are text in a character set (vs raw bytes).
    pub fn is_text(&self) -> bool {
        matches!(
            self.type_name.as_str(),
            "CHAR"
                | "VARCHAR"
                | "TINYTEXT"
                | "TEXT"
                | "MEDIUMTEXT"
                | "LONGTEXT"
                | "NCHAR"
                | "NVARCHAR"
        )
    }

    /// Whether the MySQL JDBC type is one of the binary string types.
    pub fn is_binary(&self) -> bool {
        matches!(
            self.type_name.as_str(),
            "BINARY" | "VARBINARY" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB"
        )
    }

    /// `java.sql.Types` code, as Debezium's history records carry it.
    pub fn jdbc_type(&self) -> i32 {
        match self.type_name.as_str() {
            "BIT" => {
                if self.length.unwrap_or(1) == 1 {
                    16
                } else {
                    -7
                }
            }
            "BOOL" | "BOOLEAN" => 16,
            "TINYINT" | "SMALLINT" => 5,
            "MEDIUMINT" | "INT" | "INTEGER" | "YEAR" => 4,
            "BIGINT" => -5,
            "FLOAT" | "REAL" => 7,
            "DOUBLE" => 8,
            "DECIMAL" | "NUMERIC" => 3,
            "DATE" => 91,
            "TIME" => 92,
            "DATETIME" | "TIMESTAMP" => 93,
            "CHAR" | "NCHAR" | "ENUM" | "SET" => 1,
            "VARCHAR" | "NVARCHAR" => 12,
            "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT" | "JSON" => -1,
            "BINARY" => -2,
            "VARBINARY" => -3,
            "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" => 2004,
            _ => 1111,
        }
    }
}

/// A table's structure.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub id: TableId,
    pub columns: Vec<Column>,
    pub primary_key: Vec<String>,
    pub default_charset: Option<String>,
    pub comment: Option<String>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// Renumbers positions after a column was added, dropped or moved.
    pub fn renumber(&mut self) {
        for (i, c) in self.columns.iter_mut().enumerate() {
            c.position = i32::try_from(i + 1).unwrap_or(i32::MAX);
        }
    }
}

/// A parsed type expression.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ParsedType {
    pub name: String,
    pub length: Option<i32>,
    pub scale: Option<i32>,
    pub unsigned: bool,
    pub values: Vec<String>,
}

/// Parses a MySQL type expression such as `INT(11) UNSIGNED`, `DECIMAL(10, 2)`,
/// `ENUM('S', 'M')` or `DOUBLE PRECISION`. Unknown words are kept as the name, so an exotic type
/// degrades to the catch-all mapping instead of failing.
pub(crate) fn parse_type(expr: &str) -> ParsedType {
    let expr = expr.trim();
    let (head, args, tail) = match expr.find('(') {
        Some(open) => {
            let close = matching_paren(expr, open).unwrap_or(expr.len());
            (
                &expr[..open],
                &expr[open + 1..close.min(expr.len())],
                expr.get(close + 1..).unwrap_or(""),
            )
        }
        None => (expr, "", ""),
    };
    let mut words: Vec<String> = head
        .split_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    let modifiers: Vec<String> = tail
        .split_whitespace()
        .map(str::to_ascii_uppercase)
        .collect();
    let unsigned = words
        .iter()
        .chain(&modifiers)
        .any(|w| w == "UNSIGNED" || w == "ZEROFILL");
    words.retain(|w| w != "UNSIGNED" && w != "SIGNED" && w != "ZEROFILL");
    let mut name = words.join(" ");
    name = match name.as_str() {
        "INTEGER" => "INT".into(),
        "DOUBLE PRECISION" => "DOUBLE".into(),
        "DEC" | "FIXED" => "DECIMAL".into(),
        "BOOL" => "BOOLEAN".into(),
        "INT1" => "TINYINT".into(),
        "INT2" => "SMALLINT".into(),
        "INT3" | "MIDDLEINT" => "MEDIUMINT".into(),
        "INT4" => "INT".into(),
        "INT8" => "BIGINT".into(),
        "CHARACTER" => "CHAR".into(),
        "CHARACTER VARYING" | "CHAR VARYING" => "VARCHAR".into(),
        "NATIONAL CHAR" => "NCHAR".into(),
        "NATIONAL VARCHAR" => "NVARCHAR".into(),
        "SERIAL" => "BIGINT".into(),
        _ => name,
    };
    let mut t = ParsedType {
        name,
        unsigned,
        ..ParsedType::default()
    };
    if t.name == "ENUM" || t.name == "SET" {
        t.values = split_quoted(args);
        return t;
    }
    let mut nums = args.split(',').map(str::trim).filter(|s| !s.is_empty());
    t.length = nums.next().and_then(|s| s.parse().ok());
    t.scale = nums.next().and_then(|s| s.parse().ok());
    t
}

pub(crate) fn matching_paren(s: &str, open: usize) -> Option<usize> {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices().skip_while(|(i, _)| *i < open) {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits `'a','b''c', 'd'` into labels, undoing SQL quoting.
pub(crate) fn split_quoted(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' && c != '"' {
            continue;
        }
        let q = c;
        let mut cur = String::new();
        while let Some(c) = chars.next() {
            if c == '\\' {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            } else if c == q {
                if chars.peek() == Some(&q) {
                    cur.push(q);
                    chars.next();
                } else {
                    break;
                }
            } else {
                cur.push(c);
            }
        }
        out.push(cur);
    }
    out
}

/// Removes SQL quoting from a literal (`'abc'` → `abc`); other expressions are returned as is.
pub(crate) fn unquote_literal(s: &str) -> String {
    let t = s.trim();
    if t.len() >= 2
        && (t.starts_with('\'') && t.ends_with('\'') || t.starts_with('"') && t.ends_with('"'))
    {
        split_quoted(t).into_iter().next().unwrap_or_default()
    } else {
        t.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_expressions_split_into_name_length_scale_and_sign() {
        let t = parse_type("INT(10) UNSIGNED");
        assert_eq!(
            (t.name.as_str(), t.length, t.unsigned),
            ("INT", Some(10), true)
        );
        let t = parse_type("decimal(10, 2)");
        assert_eq!(
            (t.name.as_str(), t.length, t.scale),
            ("DECIMAL", Some(10), Some(2))
        );
        let t = parse_type("ENUM('S', 'M''x', 'L')");
        assert_eq!(t.values, ["S", "M'x", "L"]);
        assert_eq!(parse_type("DOUBLE PRECISION").name, "DOUBLE");
        assert_eq!(parse_type("bigint unsigned zerofill").name, "BIGINT");
        let t = parse_type("SET('a,b', 'c')");
        assert_eq!((t.name.as_str(), t.values.len()), ("SET", 2));
    }
}
