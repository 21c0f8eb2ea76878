//! Keeps the table model current from DDL text: `SHOW CREATE TABLE` output at snapshot time and
//! QUERY events while streaming, parsed with `sqlparser`'s MySQL dialect.
//!
//! Statements that cannot change a table's structure (`GRANT`, `FLUSH`, `CREATE USER`, views,
//! procedures …) are recognised by their leading keywords and never parsed, so that the
//! parser's gaps in MySQL's long tail cannot stop the connector; only statements that do change
//! tables are parsed, and a failure there is reported (a silently wrong schema would corrupt
//! every later row).

use std::collections::BTreeMap;

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, ColumnDef, ColumnOption, CreateTable,
    MySQLColumnPosition, ObjectName, ObjectNamePart, ObjectType, RenameTableNameKind, Statement,
    TableConstraint,
};
use sqlparser::dialect::MySqlDialect;
use sqlparser::parser::Parser;

use crate::table::{Column, Table, TableId, parse_type};

/// What one DDL statement did to one table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableChange {
    /// `CREATE`, `ALTER` or `DROP`, as in `tableChanges[].type`.
    pub kind: &'static str,
    pub id: TableId,
    /// The table after the change (`None` for `DROP`).
    pub table: Option<Table>,
    pub previous_id: Option<TableId>,
}

/// The effects of one statement.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DdlEffect {
    pub changes: Vec<TableChange>,
    pub truncated: Vec<TableId>,
    /// The database a `USE` switched to.
    pub use_database: Option<String>,
    /// Databases the statement touched (for the schema-change key).
    pub databases: Vec<String>,
}

/// The tracked tables, by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schemas {
    tables: BTreeMap<TableId, Table>,
}

impl Schemas {
    pub fn get(&self, id: &TableId) -> Option<&Table> {
        self.tables.get(id)
    }

    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.tables.values()
    }

    pub fn put(&mut self, table: Table) {
        self.tables.insert(table.id.clone(), table);
    }

    pub fn clear(&mut self) {
        self.tables.clear();
    }

    /// Applies `ddl`, run with `current_db` as the default database.
    ///
    /// # Errors
    /// The parser's message when a structure-changing statement cannot be parsed.
    pub fn apply(&mut self, current_db: &str, ddl: &str) -> Result<DdlEffect, String> {
        let stripped = strip_comments(ddl);
        let words: Vec<String> = stripped.split_whitespace().take(4).map(|w| w.to_ascii_uppercase()).collect();
        let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        let mut effect = DdlEffect::default();
        match (w(0), w(1)) {
            ("USE", _) => {
                let db = stripped.split_whitespace().nth(1).unwrap_or("").trim_matches(['`', ';']).to_owned();
                effect.databases.push(db.clone());
                effect.use_database = Some(db);
                return Ok(effect);
            }
            ("CREATE", "DATABASE" | "SCHEMA") | ("ALTER", "DATABASE" | "SCHEMA") => {
                let name = stripped
                    .split_whitespace()
                    .skip(2)
                    .find(|t| !matches!(t.to_ascii_uppercase().as_str(), "IF" | "NOT" | "EXISTS"))
                    .unwrap_or("")
                    .trim_matches(['`', ';']);
                effect.databases.push(name.to_owned());
                return Ok(effect);
            }
            ("DROP", "DATABASE" | "SCHEMA") => {
                let name = stripped
                    .split_whitespace()
                    .skip(2)
                    .find(|t| !matches!(t.to_ascii_uppercase().as_str(), "IF" | "EXISTS"))
                    .unwrap_or("")
                    .trim_matches(['`', ';'])
                    .to_owned();
                let ids: Vec<TableId> = self.tables.keys().filter(|id| id.db == name).cloned().collect();
                for id in ids {
                    self.tables.remove(&id);
                    effect.changes.push(TableChange { kind: "DROP", id, table: None, previous_id: None });
                }
                effect.databases.push(name);
                return Ok(effect);
            }
            ("CREATE", "TABLE")
            | ("CREATE", "TEMPORARY")
            | ("CREATE", "OR")
            | ("ALTER", "TABLE")
            | ("ALTER", "IGNORE")
            | ("ALTER", "ONLINE")
            | ("DROP", "TABLE")
            | ("DROP", "TEMPORARY")
            | ("RENAME", "TABLE")
            | ("TRUNCATE", _) => {}
            _ => return Ok(effect),
        }
        if w(0) == "CREATE" && w(1) == "OR" && w(3) != "TABLE" {
            return Ok(effect);
        }
        if w(1) == "TEMPORARY" {
            // Temporary tables never reach the binlog as rows in ROW format.
            return Ok(effect);
        }
        let normalized = normalize(&stripped);
        let statements = Parser::parse_sql(&MySqlDialect {}, &normalized).map_err(|e| e.to_string())?;
        for st in statements {
            self.apply_statement(current_db, &st, &stripped, &mut effect)?;
        }
        Ok(effect)
    }

    fn apply_statement(
        &mut self,
        current_db: &str,
        st: &Statement,
        ddl: &str,
        effect: &mut DdlEffect,
    ) -> Result<(), String> {
        match st {
            Statement::CreateTable(ct) => {
                let id = table_id(current_db, &ct.name)?;
                let table = match &ct.like {
                    Some(like) => {
                        let src = match like {
                            sqlparser::ast::CreateTableLikeKind::Parenthesized(l)
                            | sqlparser::ast::CreateTableLikeKind::Plain(l) => &l.name,
                        };
                        let src = table_id(current_db, src)?;
                        let mut t = self.tables.get(&src).cloned().ok_or_else(|| format!("CREATE TABLE … LIKE unknown table {src}"))?;
                        t.id = id.clone();
                        t
                    }
                    None => create_table(id.clone(), ct, ddl),
                };
                if ct.if_not_exists && self.tables.contains_key(&id) {
                    return Ok(());
                }
                effect.databases.push(id.db.clone());
                self.tables.insert(id.clone(), table.clone());
                effect.changes.push(TableChange { kind: "CREATE", id, table: Some(table), previous_id: None });
            }
            Statement::AlterTable { name, operations, .. } => {
                let id = table_id(current_db, name)?;
                effect.databases.push(id.db.clone());
                let Some(mut table) = self.tables.get(&id).cloned() else {
                    // Debezium ignores ALTERs of tables it never saw (e.g. filtered out).
                    return Ok(());
                };
                let mut new_id = id.clone();
                for op in operations {
                    alter(&mut table, op, current_db, &mut new_id)?;
                }
                table.renumber();
                self.tables.remove(&id);
                table.id = new_id.clone();
                self.tables.insert(new_id.clone(), table.clone());
                let previous_id = (new_id != id).then_some(id);
                effect.changes.push(TableChange { kind: "ALTER", id: new_id, table: Some(table), previous_id });
            }
            Statement::Drop { object_type: ObjectType::Table, names, .. } => {
                for n in names {
                    let id = table_id(current_db, n)?;
                    effect.databases.push(id.db.clone());
                    if self.tables.remove(&id).is_some() {
                        effect.changes.push(TableChange { kind: "DROP", id, table: None, previous_id: None });
                    }
                }
            }
            Statement::RenameTable(renames) => {
                for r in renames {
                    let old = table_id(current_db, &r.old_name)?;
                    let new = table_id(current_db, &r.new_name)?;
                    effect.databases.push(new.db.clone());
                    if let Some(mut t) = self.tables.remove(&old) {
                        t.id = new.clone();
                        self.tables.insert(new.clone(), t.clone());
                        effect.changes.push(TableChange { kind: "ALTER", id: new, table: Some(t), previous_id: Some(old) });
                    }
                }
            }
            Statement::Truncate { table_names, .. } => {
                for t in table_names {
                    let id = table_id(current_db, &t.name)?;
                    effect.databases.push(id.db.clone());
                    effect.truncated.push(id);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn ident_parts(name: &ObjectName) -> Vec<String> {
    name.0
        .iter()
        .map(|p| match p {
            ObjectNamePart::Identifier(i) => i.value.clone(),
            ObjectNamePart::Function(f) => f.name.value.clone(),
        })
        .collect()
}

fn table_id(current_db: &str, name: &ObjectName) -> Result<TableId, String> {
    let parts = ident_parts(name);
    match parts.as_slice() {
        [t] => Ok(TableId::new(current_db, t.clone())),
        [db, t] => Ok(TableId::new(db.clone(), t.clone())),
        _ => Err(format!("unsupported table name {name}")),
    }
}

/// The table-level `DEFAULT CHARSET=` of a CREATE TABLE text.
fn table_charset(ddl: &str) -> Option<String> {
    let upper = ddl.to_ascii_uppercase();
    let tail_start = upper.rfind(')')?;
    let tail = &upper[tail_start..];
    for marker in ["CHARSET", "CHARACTER SET"] {
        if let Some(i) = tail.find(marker) {
            let rest = tail[i + marker.len()..].trim_start().trim_start_matches('=').trim_start();
            let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                return Some(name.to_ascii_lowercase());
            }
        }
    }
    let i = tail.find("COLLATE")?;
    let rest = tail[i + 7..].trim_start().trim_start_matches('=').trim_start();
    let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
}

fn create_table(id: TableId, ct: &CreateTable, ddl: &str) -> Table {
    let charset = table_charset(ddl);
    let mut table = Table { id, columns: Vec::new(), primary_key: Vec::new(), default_charset: charset.clone(), comment: None };
    for def in &ct.columns {
        let (col, pk) = column(def, charset.as_deref());
        if pk {
            table.primary_key.push(col.name.clone());
        }
        table.columns.push(col);
    }
    let mut unique: Option<Vec<String>> = None;
    for c in &ct.constraints {
        apply_constraint(&mut table, c, &mut unique);
    }
    if table.primary_key.is_empty()
        && let Some(u) = unique
    {
        table.primary_key = u;
    }
    force_pk_not_null(&mut table);
    table.renumber();
    table
}

fn apply_constraint(table: &mut Table, c: &TableConstraint, unique: &mut Option<Vec<String>>) {
    let cols = |cols: &[sqlparser::ast::IndexColumn]| -> Vec<String> {
        cols.iter().map(|c| c.column.expr.to_string().trim_matches('`').to_owned()).collect()
    };
    match c {
        TableConstraint::PrimaryKey { columns, .. } => table.primary_key = cols(columns),
        TableConstraint::Unique { columns, .. } if unique.is_none() => {
            let names = cols(columns);
            if names.iter().all(|n| table.column(n).is_some()) {
                *unique = Some(names);
            }
        }
        _ => {}
    }
}

fn force_pk_not_null(table: &mut Table) {
    let pk = table.primary_key.clone();
    for c in &mut table.columns {
        if pk.iter().any(|k| k.eq_ignore_ascii_case(&c.name)) {
            c.optional = false;
        }
    }
}

/// Builds a column from its definition; the flag says whether it declared `PRIMARY KEY`.
fn column(def: &ColumnDef, table_charset: Option<&str>) -> (Column, bool) {
    column_from(&def.name.value, &def.data_type.to_string(), def.options.iter().map(|o| &o.option), table_charset)
}

fn column_from<'a>(
    name: &str,
    type_text: &str,
    options: impl Iterator<Item = &'a ColumnOption>,
    table_charset: Option<&str>,
) -> (Column, bool) {
    let mut col = Column::new(name, type_text);
    let mut pk = false;
    // sqlparser keeps `CHARACTER SET x` inside some string types' display.
    let upper = type_text.to_ascii_uppercase();
    if let Some(i) = upper.find("CHARACTER SET") {
        let cs: String = type_text[i + 13..].trim_start().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if !cs.is_empty() {
            col.charset = Some(cs.to_ascii_lowercase());
        }
        let t = parse_type(&type_text[..i]);
        col.type_name = t.name;
        col.length = t.length;
        col.scale = t.scale;
    }
    for opt in options {
        match opt {
            ColumnOption::Null => col.optional = true,
            ColumnOption::NotNull => col.optional = false,
            ColumnOption::Default(e) => col.default_expression = Some(e.to_string()),
            ColumnOption::Unique { is_primary: true, .. } => pk = true,
            ColumnOption::CharacterSet(cs) => col.charset = Some(cs.to_string().trim_matches('`').to_ascii_lowercase()),
            ColumnOption::Collation(c) if col.charset.is_none() => {
                let c = c.to_string().trim_matches('`').to_ascii_lowercase();
                col.charset = c.split('_').next().map(str::to_owned);
            }
            ColumnOption::Comment(c) => col.comment = Some(c.clone()),
            ColumnOption::Generated { .. } => col.generated = true,
            ColumnOption::DialectSpecific(tokens) => {
                if tokens.iter().any(|t| t.to_string().eq_ignore_ascii_case("AUTO_INCREMENT")) {
                    col.auto_incremented = true;
                    col.generated = true;
                }
            }
            _ => {}
        }
    }
    if col.charset.is_none() && (col.is_text() || matches!(col.type_name.as_str(), "ENUM" | "SET")) {
        col.charset = table_charset.map(str::to_owned);
    }
    if pk {
        col.optional = false;
    }
    (col, pk)
}

fn position(table: &mut Table, col: Column, pos: Option<&MySQLColumnPosition>) {
    match pos {
        Some(MySQLColumnPosition::First) => table.columns.insert(0, col),
        Some(MySQLColumnPosition::After(after)) => {
            let i = table.columns.iter().position(|c| c.name.eq_ignore_ascii_case(&after.value)).map_or(table.columns.len(), |i| i + 1);
            table.columns.insert(i, col);
        }
        None => table.columns.push(col),
    }
}

fn alter(table: &mut Table, op: &AlterTableOperation, current_db: &str, new_id: &mut TableId) -> Result<(), String> {
    let charset = table.default_charset.clone();
    match op {
        AlterTableOperation::AddColumn { column_def, column_position, if_not_exists, .. } => {
            if *if_not_exists && table.column(&column_def.name.value).is_some() {
                return Ok(());
            }
            let (col, pk) = column(column_def, charset.as_deref());
            if pk {
                table.primary_key = vec![col.name.clone()];
            }
            position(table, col, column_position.as_ref());
        }
        AlterTableOperation::DropColumn { column_names, .. } => {
            for n in column_names {
                table.columns.retain(|c| !c.name.eq_ignore_ascii_case(&n.value));
                table.primary_key.retain(|k| !k.eq_ignore_ascii_case(&n.value));
            }
        }
        AlterTableOperation::RenameColumn { old_column_name, new_column_name } => {
            for c in &mut table.columns {
                if c.name.eq_ignore_ascii_case(&old_column_name.value) {
                    c.name = new_column_name.value.clone();
                }
            }
            for k in &mut table.primary_key {
                if k.eq_ignore_ascii_case(&old_column_name.value) {
                    *k = new_column_name.value.clone();
                }
            }
        }
        AlterTableOperation::ChangeColumn { old_name, new_name, data_type, options, column_position } => {
            let (col, _) = column_from(&new_name.value, &data_type.to_string(), options.iter(), charset.as_deref());
            replace_column(table, &old_name.value, col, column_position.as_ref());
        }
        AlterTableOperation::ModifyColumn { col_name, data_type, options, column_position } => {
            let (col, _) = column_from(&col_name.value, &data_type.to_string(), options.iter(), charset.as_deref());
            replace_column(table, &col_name.value, col, column_position.as_ref());
        }
        AlterTableOperation::AlterColumn { column_name, op } => {
            if let Some(c) = table.columns.iter_mut().find(|c| c.name.eq_ignore_ascii_case(&column_name.value)) {
                match op {
                    AlterColumnOperation::SetDefault { value } => c.default_expression = Some(value.to_string()),
                    AlterColumnOperation::DropDefault => c.default_expression = None,
                    AlterColumnOperation::SetNotNull => c.optional = false,
                    AlterColumnOperation::DropNotNull => c.optional = true,
                    _ => {}
                }
            }
        }
        AlterTableOperation::AddConstraint { constraint, .. } => {
            let mut unique = None;
            apply_constraint(table, constraint, &mut unique);
        }
        AlterTableOperation::DropPrimaryKey { .. } => table.primary_key.clear(),
        AlterTableOperation::RenameTable { table_name } => {
            let (RenameTableNameKind::As(n) | RenameTableNameKind::To(n)) = table_name;
            *new_id = table_id(current_db, n)?;
        }
        _ => {}
    }
    force_pk_not_null(table);
    Ok(())
}

fn replace_column(table: &mut Table, old: &str, mut col: Column, pos: Option<&MySQLColumnPosition>) {
    let Some(i) = table.columns.iter().position(|c| c.name.eq_ignore_ascii_case(old)) else {
        return;
    };
    let prev = table.columns.remove(i);
    col.comment = col.comment.or(prev.comment);
    for k in &mut table.primary_key {
        if k.eq_ignore_ascii_case(old) {
            k.clone_from(&col.name);
        }
    }
    match pos {
        None => table.columns.insert(i, col),
        Some(p) => position(table, col, Some(p)),
    }
}

/// Rewrites MySQL forms the parser lacks into equivalent ones it knows: the column option
/// `UNIQUE KEY` (→ `UNIQUE`).
fn normalize(sql: &str) -> String {
    let upper = sql.to_ascii_uppercase();
    let mut out = String::with_capacity(sql.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(i) = upper[from..].find("UNIQUE KEY") {
        let at = from + i;
        let after = upper[at + 10..].trim_start();
        if after.starts_with(',') || after.starts_with(')') {
            out.push_str(&sql[last..at]);
            out.push_str("UNIQUE");
            last = at + 10;
        }
        from = at + 10;
    }
    out.push_str(&sql[last..]);
    out
}

/// Removes `/* … */` and `-- …` comments (MariaDB appends `/* generated by server */`),
/// keeping quoted text intact.
fn strip_comments(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let b = sql.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        if let Some(q) = quote {
            let ch = sql[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
            if c == b'\\' && i < b.len() {
                let next = sql[i..].chars().next().unwrap_or(' ');
                out.push(next);
                i += next.len_utf8();
                continue;
            }
            if c == q {
                quote = None;
            }
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            // MySQL executes `/*! … */` version comments; keep their content.
            if b.get(i + 2) == Some(&b'!') {
                let mut j = i + 3;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                let end = sql[j..].find("*/").map_or(b.len(), |e| j + e);
                out.push_str(&sql[j..end]);
                i = end + 2;
            } else {
                i = sql[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
            }
            out.push(' ');
            continue;
        }
        if (c == b'-' && b.get(i + 1) == Some(&b'-')) || c == b'#' {
            i = sql[i..].find('\n').map_or(b.len(), |e| i + e);
            continue;
        }
        if matches!(c, b'\'' | b'"' | b'`') {
            quote = Some(c);
        }
        // Multi-byte UTF-8 sequences are copied whole.
        let ch = sql[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    out.trim().trim_end_matches(';').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDERS: &str = "CREATE TABLE `olist_orders_dataset` (\n  `order_id` varchar(32) NOT NULL,\n  `customer_id` varchar(32) DEFAULT NULL,\n  `order_status` varchar(32) DEFAULT NULL,\n  `order_purchase_timestamp` varchar(32) DEFAULT NULL,\n  PRIMARY KEY (`order_id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci";

    #[test]
    fn show_create_table_output_builds_the_table() {
        let mut s = Schemas::default();
        let e = s.apply("brazillian_ecommerce", ORDERS).unwrap();
        assert_eq!(e.changes.len(), 1);
        let t = s.get(&TableId::new("brazillian_ecommerce", "olist_orders_dataset")).unwrap();
        assert_eq!(t.primary_key, ["order_id"]);
        assert_eq!(t.default_charset.as_deref(), Some("utf8mb4"));
        let names: Vec<_> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["order_id", "customer_id", "order_status", "order_purchase_timestamp"]);
        let c = &t.columns[0];
        assert_eq!((c.type_name.as_str(), c.length, c.optional, c.charset.as_deref()), ("VARCHAR", Some(32), false, Some("utf8mb4")));
        assert_eq!(t.columns[1].default_expression.as_deref(), Some("NULL"));
    }

    #[test]
    fn alter_table_adds_drops_renames_and_modifies_columns() {
        let mut s = Schemas::default();
        s.apply("db", "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10), b INT) DEFAULT CHARSET=latin1").unwrap();
        s.apply("db", "ALTER TABLE t ADD COLUMN c DECIMAL(10,2) NOT NULL DEFAULT '1.00' AFTER id").unwrap();
        s.apply("db", "ALTER TABLE t DROP COLUMN b").unwrap();
        s.apply("db", "ALTER TABLE t CHANGE a a2 VARCHAR(20) CHARACTER SET utf8mb4").unwrap();
        s.apply("db", "ALTER TABLE t MODIFY c BIGINT UNSIGNED").unwrap();
        let t = s.get(&TableId::new("db", "t")).unwrap();
        let desc: Vec<_> = t.columns.iter().map(|c| (c.name.as_str(), c.type_name.as_str(), c.position)).collect();
        assert_eq!(desc, [("id", "INT", 1), ("c", "BIGINT", 2), ("a2", "VARCHAR", 3)]);
        assert!(t.columns[1].unsigned);
        assert_eq!(t.columns[2].charset.as_deref(), Some("utf8mb4"));
        let e = s.apply("db", "RENAME TABLE t TO u").unwrap();
        assert_eq!(e.changes[0].previous_id, Some(TableId::new("db", "t")));
        assert!(s.get(&TableId::new("db", "u")).is_some());
        let e = s.apply("db", "DROP TABLE IF EXISTS `db`.`u` /* generated by server */").unwrap();
        assert_eq!(e.changes[0].kind, "DROP");
        assert!(s.get(&TableId::new("db", "u")).is_none());
    }

    #[test]
    fn truncate_and_unrelated_statements_do_not_touch_tables() {
        let mut s = Schemas::default();
        s.apply("db", "CREATE TABLE t (id INT PRIMARY KEY)").unwrap();
        let e = s.apply("db", "TRUNCATE TABLE t").unwrap();
        assert_eq!(e.truncated, [TableId::new("db", "t")]);
        for stmt in ["GRANT SELECT ON *.* TO 'x'@'%'", "FLUSH TABLES", "CREATE USER 'u'", "BEGIN"] {
            assert_eq!(s.apply("db", stmt).unwrap(), DdlEffect::default());
        }
        assert!(s.apply("db", "CREATE TABLE broken (id INT PRIMARY KEY").is_err());
    }

    #[test]
    fn every_column_type_of_the_reference_parses() {
        let mut s = Schemas::default();
        let ddl = "CREATE TABLE `all_types` (`id` int(11) NOT NULL AUTO_INCREMENT, `c_tinyint` tinyint(4) NOT NULL DEFAULT 0, `c_utiny` tinyint(3) unsigned DEFAULT NULL, `c_bool` tinyint(1) DEFAULT NULL, `c_usmall` smallint(5) unsigned DEFAULT NULL, `c_medium` mediumint(9) DEFAULT NULL, `c_uint` int(10) unsigned DEFAULT NULL, `c_big` bigint(20) DEFAULT NULL, `c_ubig` bigint(20) unsigned DEFAULT NULL, `c_dec` decimal(10,2) NOT NULL DEFAULT 1.00, `c_float` float DEFAULT NULL, `c_double` double DEFAULT NULL, `c_bit1` bit(1) DEFAULT NULL, `c_bit10` bit(10) DEFAULT NULL, `c_char` char(3) DEFAULT NULL, `c_vc` varchar(255) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT NULL, `c_text` text DEFAULT NULL, `c_bin` binary(4) DEFAULT NULL, `c_vbin` varbinary(10) DEFAULT NULL, `c_blob` blob DEFAULT NULL, `c_enum` enum('S','M','L') DEFAULT 'M', `c_set` set('a','b','c') DEFAULT NULL, `c_json` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`c_json`)), `c_year` year(4) DEFAULT NULL, `c_date` date DEFAULT NULL, `c_time` time(3) DEFAULT NULL, `c_dt` datetime NOT NULL DEFAULT current_timestamp(), `c_dt6` datetime(6) DEFAULT NULL, `c_ts` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(), `c_geo` geometry DEFAULT NULL, `c_pt` point DEFAULT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci";
        s.apply("db", ddl).unwrap();
        let t = s.get(&TableId::new("db", "all_types")).unwrap();
        let ty = |n: &str| {
            let c = t.column(n).unwrap();
            (c.type_name.clone(), c.length, c.scale, c.unsigned)
        };
        assert_eq!(ty("c_utiny"), ("TINYINT".into(), Some(3), None, true));
        assert_eq!(ty("c_dec"), ("DECIMAL".into(), Some(10), Some(2), false));
        assert_eq!(ty("c_bit10"), ("BIT".into(), Some(10), None, false));
        assert_eq!(ty("c_dt6"), ("DATETIME".into(), Some(6), None, false));
        assert_eq!(ty("c_pt").0, "POINT");
        assert_eq!(ty("c_geo").0, "GEOMETRY");
        assert_eq!(t.column("c_vc").unwrap().charset.as_deref(), Some("latin1"));
        assert_eq!(t.column("c_text").unwrap().charset.as_deref(), Some("utf8mb4"));
        assert_eq!(t.column("c_enum").unwrap().enum_values, ["S", "M", "L"]);
        assert!(t.column("id").unwrap().auto_incremented);
        assert_eq!(t.column("c_ts").unwrap().default_expression.as_deref().map(str::to_ascii_lowercase).as_deref(), Some("current_timestamp()"));
    }
}
