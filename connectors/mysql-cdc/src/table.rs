//! The tracked relational model: tables and their columns, as the DDL describes them.

use std::fmt;

use crate::event::{Flavor, Layout};

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
    /// Upper-case base type name (`INT`, `VARCHAR`, `DECIMAL`, `ENUM`, `GEOMETRY` …), aliases
    /// resolved (`INTEGER` → `INT`): what the value conversion goes by.
    pub type_name: String,
    /// The type's words as declared, upper case, aliases kept (`INTEGER`, `DOUBLE PRECISION`):
    /// what Debezium's DDL parser names the type in `typeName` and maps to a JDBC type.
    pub declared_type: String,
    pub length: Option<i32>,
    pub scale: Option<i32>,
    pub unsigned: bool,
    /// `ZEROFILL` was declared (MySQL: implies `UNSIGNED`).
    pub zerofill: bool,
    pub optional: bool,
    /// The definition says `NULL` (Debezium 2.2 counts only this as an implicit default).
    pub explicit_null: bool,
    /// The definition leaves the column nullable (neither `NOT NULL` nor an inline `PRIMARY
    /// KEY`): Debezium 3.x's column editor then records an implicit `NULL` default.
    pub declared_nullable: bool,
    /// The definition has `ON UPDATE <now>` as a clause of its own.
    pub on_update: bool,
    pub auto_incremented: bool,
    /// `AUTO_INCREMENT`, or a generated column (`AS (…)`); Debezium's history marks only the
    /// former (see [`Column::history_view`]).
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
            declared_type: t.declared,
            length: t.length,
            scale: t.scale,
            unsigned: t.unsigned,
            zerofill: t.zerofill,
            optional: true,
            explicit_null: false,
            declared_nullable: true,
            on_update: false,
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

    /// The column as Debezium's DDL parser describes it in schema change and history records
    /// (`tableChanges[].table.columns[]`) when it writes `layout`'s output.
    ///
    /// Debezium 2.2 (`io.debezium.connector.mysql.antlr.MySqlAntlrDdlParser`, its
    /// `listener.ColumnDefinitionParserListener` and `DefaultValueParserListener`) and 3.6
    /// (the same classes over the Oracle MySQL grammar) agree on all but two rules: which columns
    /// have an implicit `NULL` default, and whether `ON UPDATE` counts as auto-incremented when it
    /// follows `DEFAULT CURRENT_TIMESTAMP`. 3.x's `MariaDbConnector` parses with its own
    /// `MariaDBParser` grammar, whose `defaultValue` rule still swallows `ON UPDATE` as 2.2's did
    /// (debezium-connector-mariadb `antlr.listener.ColumnDefinitionParserListener`).
    pub fn history_view(&self, layout: Layout, flavor: Flavor) -> HistoryColumn {
        let declared = if self.declared_type.is_empty() {
            self.type_name.as_str()
        } else {
            self.declared_type.as_str()
        };
        let base = declared.split_whitespace().next().unwrap_or("");
        // DataTypeResolver appends the SIGNED/UNSIGNED/ZEROFILL suffix tokens of numeric types
        // (2.2); 3.6's listener appends its fieldOptions the same way. SERIAL is spelled out.
        let type_name = if declared == "SERIAL" {
            "BIGINT UNSIGNED".to_owned()
        } else if is_numeric_type(base) && self.zerofill {
            format!("{declared} UNSIGNED ZEROFILL")
        } else if is_numeric_type(base) && self.unsigned {
            format!("{declared} UNSIGNED")
        } else {
            declared.to_owned()
        };
        let (length, scale) = match base {
            "ENUM" => (Some(1), None),
            "SET" => {
                let n = i32::try_from(self.enum_values.len()).unwrap_or(i32::MAX / 2);
                (Some((n * 2 - 1).max(0)), None)
            }
            // setDefaultLengthScaleDimension(10, 0)
            "DECIMAL" | "DEC" | "FIXED" | "NUMERIC" => (
                Some(self.length.unwrap_or(10)),
                Some(self.scale.unwrap_or(0)),
            ),
            // 3.6 registers BIT with setDefaultLengthDimension(1); 2.2 with no default.
            "BIT" if layout.is_3x() => (Some(self.length.unwrap_or(1)), self.scale),
            _ => (self.length, self.scale),
        };
        let default = self
            .default_expression
            .as_deref()
            .map(|raw| debezium_default(raw, layout));
        let explicit_default = default.as_ref().is_some_and(|d| d.is_some());
        let now_default = self
            .default_expression
            .as_deref()
            .is_some_and(is_now_function);
        let has_default = if layout.is_3x() {
            // ColumnEditorImpl.optional(true) sets the implicit NULL default, and 3.6's
            // exitColumnDefinition calls it for every column not declared NOT NULL.
            self.declared_nullable || self.default_expression.is_some()
        } else {
            // 2.2 calls optional(true) only for an explicit NULL; `DEFAULT NULL` sets nothing.
            self.explicit_null || explicit_default
        };
        // `ON UPDATE now()` is an AUTO_INCREMENT-like column attribute in both grammars, but 2.2's
        // `defaultValue` rule swallows it when it follows `DEFAULT CURRENT_TIMESTAMP`.
        let oracle_grammar = layout.is_3x() && flavor == Flavor::MySql;
        let on_update = self.on_update && (oracle_grammar || !now_default);
        let auto = self.auto_incremented || on_update;
        HistoryColumn {
            jdbc_type: jdbc_type(declared),
            type_name,
            length,
            scale,
            auto_incremented: auto,
            generated: auto,
            has_default,
            default_expression: default.flatten().flatten(),
            enum_values: self
                .enum_values
                .iter()
                .map(|v| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "''")))
                .collect(),
        }
    }
}

/// What Debezium's history records say of a column (see [`Column::history_view`]).
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryColumn {
    /// `java.sql.Types` code.
    pub jdbc_type: i32,
    /// `typeName` and `typeExpression`.
    pub type_name: String,
    pub length: Option<i32>,
    pub scale: Option<i32>,
    pub auto_incremented: bool,
    pub generated: bool,
    pub has_default: bool,
    pub default_expression: Option<String>,
    /// The labels as the DDL spells them, quotes kept (`'S'`).
    pub enum_values: Vec<String>,
}

/// The integer, floating point and fixed point types, whose `UNSIGNED`/`ZEROFILL` Debezium keeps
/// in the type name.
fn is_numeric_type(base: &str) -> bool {
    matches!(
        base,
        "TINYINT"
            | "SMALLINT"
            | "MEDIUMINT"
            | "MIDDLEINT"
            | "INT"
            | "INTEGER"
            | "INT1"
            | "INT2"
            | "INT3"
            | "INT4"
            | "INT8"
            | "BIGINT"
            | "REAL"
            | "DOUBLE"
            | "FLOAT"
            | "FLOAT4"
            | "FLOAT8"
            | "DECIMAL"
            | "DEC"
            | "FIXED"
            | "NUMERIC"
    )
}

/// The `java.sql.Types` code Debezium's `DataTypeResolver` registers for a declared type (the
/// same table in 2.2's and 3.6's `MySqlAntlrDdlParser.initializeDataTypeResolver`).
fn jdbc_type(declared: &str) -> i32 {
    match declared {
        "CHAR" | "CHARACTER" | "ENUM" | "SET" => 1,
        "VARCHAR" | "CHAR VARYING" | "CHARACTER VARYING" | "TINYTEXT" | "TEXT" | "MEDIUMTEXT"
        | "LONGTEXT" | "LONG" | "LONG VARCHAR" | "LONG CHAR VARYING" => 12,
        "NCHAR" | "NATIONAL CHAR" | "NATIONAL CHARACTER" => -15,
        "NVARCHAR"
        | "NCHAR VARCHAR"
        | "NCHAR VARYING"
        | "NATIONAL VARCHAR"
        | "NATIONAL CHAR VARYING"
        | "NATIONAL CHARACTER VARYING" => -9,
        "TINYINT" | "INT1" | "SMALLINT" | "INT2" => 5,
        "MEDIUMINT" | "INT3" | "MIDDLEINT" | "INT" | "INTEGER" | "INT4" | "YEAR" => 4,
        "BIGINT" | "INT8" | "SERIAL" => -5,
        "REAL" => 7,
        "DOUBLE" | "DOUBLE PRECISION" | "FLOAT8" => 8,
        "FLOAT" | "FLOAT4" => 6,
        "DECIMAL" | "DEC" | "FIXED" => 3,
        "NUMERIC" => 2,
        "BIT" => -7,
        "BOOL" | "BOOLEAN" => 16,
        "DATE" => 91,
        "TIME" => 92,
        "DATETIME" => 93,
        "TIMESTAMP" => 2014,
        "BINARY" => -2,
        "VARBINARY" => -3,
        "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" | "LONG VARBINARY" => 2004,
        _ => 1111,
    }
}

/// Whether a `DEFAULT` expression is `CURRENT_TIMESTAMP`, `NOW()` or a synonym.
fn is_now_function(expr: &str) -> bool {
    let upper = expr.trim().to_ascii_uppercase();
    ["CURRENT_TIMESTAMP", "NOW(", "LOCALTIME"]
        .iter()
        .any(|p| upper.starts_with(p))
}

/// `defaultValueExpression` for a declared `DEFAULT`: `None` when the clause sets no expression
/// (`DEFAULT NULL`), `Some(None)` when it sets a null one (an expression Debezium cannot
/// evaluate), else the text (DefaultValueParserListener: literals unquoted, `b'…'`/`x'…'` without
/// their quotes, `CURRENT_TIMESTAMP`/`NOW()` as the epoch).
fn debezium_default(raw: &str, layout: Layout) -> Option<Option<String>> {
    let t = raw.trim();
    let upper = t.to_ascii_uppercase();
    if upper == "NULL" {
        return None;
    }
    if is_now_function(t) {
        // 2.2 maps only CURRENT_TIMESTAMP and NOW to the epoch; LOCALTIME[STAMP] keeps its text.
        if layout.is_3x() || !upper.starts_with("LOCALTIME") {
            return Some(Some("1970-01-01 00:00:00".into()));
        }
        return Some(Some(t.to_owned()));
    }
    let quoted = |s: &str| {
        s.len() >= 2
            && (s.starts_with('\'') && s.ends_with('\'') || s.starts_with('"') && s.ends_with('"'))
    };
    if quoted(t) {
        return Some(Some(t[1..t.len() - 1].to_owned()));
    }
    if (upper.starts_with("B'") || upper.starts_with("X'")) && t.ends_with('\'') && t.len() >= 3 {
        return Some(Some(t[2..t.len() - 1].to_owned()));
    }
    if let Some(i) = t.find(['\'', '"'])
        && t.starts_with('_')
        && quoted(t[i..].trim())
    {
        // A charset introducer: `_utf8mb4'abc'`.
        let lit = t[i..].trim();
        return Some(Some(lit[1..lit.len() - 1].to_owned()));
    }
    if t.starts_with('(') || t.contains('(') {
        // "Default value is calculated. We thus handle it as NULL."
        return Some(None);
    }
    Some(Some(t.to_owned()))
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
    /// The words as written (upper case), before aliases are resolved.
    pub declared: String,
    pub length: Option<i32>,
    pub scale: Option<i32>,
    pub unsigned: bool,
    pub zerofill: bool,
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
    let zerofill = words.iter().chain(&modifiers).any(|w| w == "ZEROFILL");
    words.retain(|w| w != "UNSIGNED" && w != "SIGNED" && w != "ZEROFILL");
    let declared = words.join(" ");
    let mut name = declared.clone();
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
        declared,
        unsigned,
        zerofill,
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
    use crate::ddl::Schemas;

    fn table(ddl: &str) -> Table {
        let mut s = Schemas::default();
        s.apply(
            "db",
            "SET character_set_server=utf8mb4, collation_server=utf8mb4_general_ci",
        )
        .unwrap();
        s.apply(
            "db",
            "CREATE DATABASE `db` CHARSET latin1 COLLATE latin1_swedish_ci",
        )
        .unwrap();
        s.apply("db", "USE `db`").unwrap();
        s.apply("db", ddl).unwrap();
        s.tables().next().unwrap().clone()
    }

    #[test]
    fn columns_are_described_as_debeziums_ddl_parser_describes_them() {
        let t = table(
            "CREATE TABLE `t` (`id` int(10) unsigned zerofill NOT NULL, \
             `f` float DEFAULT NULL, `b` bit(1) DEFAULT b'1', `ts` timestamp NULL DEFAULT NULL, \
             `x` text DEFAULT NULL, `e` enum('S','it''s') DEFAULT 'S', `s` set('a','b','c'), \
             `u` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(), \
             `w` datetime DEFAULT '2020-01-01 00:00:00' ON UPDATE current_timestamp(), \
             `d` decimal(5,0) NOT NULL DEFAULT 7, PRIMARY KEY (`id`))",
        );
        assert_eq!(t.default_charset.as_deref(), Some("latin1"));
        let v = |name: &str, layout| t.column(name).unwrap().history_view(layout, Flavor::MySql);
        for layout in [Layout::V2_2, Layout::V3_6] {
            let id = v("id", layout);
            assert_eq!(
                (id.type_name.as_str(), id.jdbc_type),
                ("INT UNSIGNED ZEROFILL", 4)
            );
            assert!(!id.has_default);
            assert_eq!(v("f", layout).jdbc_type, 6);
            assert_eq!(v("b", layout).jdbc_type, -7);
            assert_eq!(v("b", layout).default_expression.as_deref(), Some("1"));
            assert_eq!(v("ts", layout).jdbc_type, 2014);
            assert_eq!(v("x", layout).jdbc_type, 12);
            let e = v("e", layout);
            assert_eq!(
                (e.length, e.enum_values.clone()),
                (Some(1), vec!["'S'".to_owned(), "'it''s'".to_owned()])
            );
            assert_eq!(e.default_expression.as_deref(), Some("S"));
            assert_eq!(v("s", layout).length, Some(5));
            let u = v("u", layout);
            assert_eq!(u.default_expression.as_deref(), Some("1970-01-01 00:00:00"));
            // `ON UPDATE` alone is an auto-increment-like attribute in both grammars.
            assert!(v("w", layout).auto_incremented && v("w", layout).generated);
            assert_eq!(v("d", layout).default_expression.as_deref(), Some("7"));
            assert_eq!(t.column("x").unwrap().charset.as_deref(), Some("latin1"));
        }
        // After `DEFAULT CURRENT_TIMESTAMP`, 2.2's defaultValue rule swallows it; 3.6's grammar
        // makes it an attribute of its own (so does neither MariaDB grammar).
        assert!(!v("u", Layout::V2_2).auto_incremented);
        assert!(v("u", Layout::V3_6).auto_incremented);
        let maria = t
            .column("u")
            .unwrap()
            .history_view(Layout::V3_6, Flavor::MariaDb);
        assert!(!maria.auto_incremented);
        // `DEFAULT NULL` without the NULL keyword: 2.2 sets no default at all, 3.6's
        // exitColumnDefinition makes every nullable column's implicit NULL default explicit.
        assert!(!v("f", Layout::V2_2).has_default);
        assert!(v("f", Layout::V3_6).has_default);
        assert!(v("ts", Layout::V2_2).has_default);
        assert!(v("f", Layout::V3_6).default_expression.is_none());
        // 3.6 registers BIT with a default length of 1; 2.2 with none.
        let bare = table("CREATE TABLE `t` (`b` bit)");
        let b = bare.column("b").unwrap();
        assert_eq!(b.history_view(Layout::V2_2, Flavor::MySql).length, None);
        assert_eq!(b.history_view(Layout::V3_6, Flavor::MySql).length, Some(1));
    }

    #[test]
    fn a_table_without_a_charset_takes_its_databases_then_the_servers() {
        // d_new of tests/debezium_diff.rs: created in the binlog without a charset.
        assert_eq!(
            table("CREATE TABLE d_new (id INT PRIMARY KEY, s VARCHAR(4))")
                .column("s")
                .unwrap()
                .charset
                .as_deref(),
            Some("latin1")
        );
        let mut s = Schemas::default();
        s.apply(
            "",
            "SET character_set_server=utf8mb4, collation_server=utf8mb4_general_ci",
        )
        .unwrap();
        s.apply("other", "CREATE TABLE other.t (s VARCHAR(4))")
            .unwrap();
        assert_eq!(
            s.tables().next().unwrap().default_charset.as_deref(),
            Some("utf8mb4")
        );
    }

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
