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
    /// Tables a `DROP TABLE` named that were not tracked (Debezium 3.x still records a `DROP`
    /// change for each; 2.x records none).
    pub dropped_untracked: Vec<TableId>,
    /// Every table a `DROP TABLE` named, in order, with the statement Debezium records for it:
    /// `DropTableParserListener` signals one event per table, whose text is the statement's head
    /// (`DROP TABLE IF EXISTS `) and the table's quoted id (2.2 and 3.6 alike).
    pub drops: Vec<(TableId, String)>,
    /// Not a statement the DDL parser makes events of (a comment, `FLUSH`, `CREATE INDEX` …):
    /// Debezium records it as a database-level change of the event's database.
    pub unrecognised: bool,
}

/// The tracked tables, by id, and the character sets a `CREATE TABLE` without its own
/// `DEFAULT CHARSET` takes (Debezium's `MySqlAntlrDdlParser.charsetForTable`: the database's,
/// else `character_set_database`, else `character_set_server`), learnt from the snapshot's
/// `SET character_set_server=…`, `CREATE DATABASE … CHARSET …` and `USE` records and from the
/// binlog.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schemas {
    tables: BTreeMap<TableId, Table>,
    db_charsets: BTreeMap<String, String>,
    server_charset: Option<String>,
    database_charset: Option<String>,
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
        *self = Self::default();
    }

    /// The charset a table of `db` gets when its DDL names none.
    fn charset_for_table(&self, db: &str) -> Option<String> {
        if let Some(cs) = self.db_charsets.get(db) {
            return Some(cs.clone());
        }
        self.database_charset
            .clone()
            .filter(|cs| !cs.eq_ignore_ascii_case("DEFAULT"))
            .or_else(|| self.server_charset.clone())
    }

    /// `SET [GLOBAL|SESSION] var = value, …`: the charset variables the DDL parser keeps.
    fn apply_set(&mut self, current_db: &str, sql: &str) {
        let body = sql.trim_start().get(3..).unwrap_or("");
        for assignment in split_top_level(body, ',') {
            let Some((name, value)) = assignment.split_once('=') else {
                continue;
            };
            let name = name
                .split_whitespace()
                .last()
                .unwrap_or("")
                .trim_start_matches('@')
                .to_ascii_lowercase();
            let name = name
                .strip_prefix("global.")
                .or_else(|| name.strip_prefix("session."))
                .or_else(|| name.strip_prefix("local."))
                .unwrap_or(&name)
                .to_owned();
            let value = crate::table::unquote_literal(value.trim().trim_end_matches(';'));
            match name.as_str() {
                "character_set_server" => self.server_charset = Some(value),
                "character_set_database" => {
                    if !current_db.is_empty() {
                        self.db_charsets
                            .insert(current_db.to_owned(), value.clone());
                    }
                    self.database_charset = Some(value);
                }
                _ => {}
            }
        }
    }

    /// Applies `ddl`, run with `current_db` as the default database.
    ///
    /// # Errors
    /// The parser's message when a structure-changing statement cannot be parsed.
    pub fn apply(&mut self, current_db: &str, ddl: &str) -> Result<DdlEffect, String> {
        let stripped = strip_comments(ddl);
        let words: Vec<String> = stripped
            .split_whitespace()
            .take(4)
            .map(|w| w.to_ascii_uppercase())
            .collect();
        let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        let mut effect = DdlEffect::default();
        match (w(0), w(1)) {
            ("USE", _) => {
                let db = stripped
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or("")
                    .trim_matches(['`', ';'])
                    .to_owned();
                effect.databases.push(db.clone());
                // USE sets character_set_database to the database's (MySQL, and Debezium's
                // UseStatementParserListener).
                self.database_charset = self.db_charsets.get(&db).cloned();
                effect.use_database = Some(db);
                return Ok(effect);
            }
            ("SET", _) => {
                self.apply_set(current_db, &stripped);
                return Ok(effect);
            }
            ("CREATE", "DATABASE" | "SCHEMA") | ("ALTER", "DATABASE" | "SCHEMA") => {
                let name = stripped
                    .split_whitespace()
                    .skip(2)
                    .find(|t| !matches!(t.to_ascii_uppercase().as_str(), "IF" | "NOT" | "EXISTS"))
                    .unwrap_or("")
                    .trim_matches(['`', ';']);
                let upper = stripped.to_ascii_uppercase();
                let names_charset = upper.contains("CHARSET") || upper.contains("CHARACTER SET");
                if let Some(cs) = charset_in(&stripped) {
                    // A collation alone decides only when the database has no charset yet
                    // (CreateAndAlterDatabaseParserListener.enterDefaultCollation).
                    let cs = if cs.eq_ignore_ascii_case("DEFAULT") {
                        self.server_charset.clone().unwrap_or(cs)
                    } else {
                        cs
                    };
                    if names_charset || !self.db_charsets.contains_key(name) {
                        self.db_charsets.insert(name.to_owned(), cs);
                    }
                }
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
                let ids: Vec<TableId> = self
                    .tables
                    .keys()
                    .filter(|id| id.db == name)
                    .cloned()
                    .collect();
                for id in ids {
                    self.tables.remove(&id);
                    effect.changes.push(TableChange {
                        kind: "DROP",
                        id,
                        table: None,
                        previous_id: None,
                    });
                }
                self.db_charsets.remove(&name);
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
            _ => {
                effect.unrecognised = true;
                return Ok(effect);
            }
        }
        if w(0) == "CREATE" && w(1) == "OR" && w(3) != "TABLE" {
            effect.unrecognised = true;
            return Ok(effect);
        }
        if w(1) == "TEMPORARY" {
            // Temporary tables never reach the binlog as rows in ROW format.
            return Ok(effect);
        }
        if w(0) == "ALTER" {
            return self.apply_alter_text(current_db, &stripped, effect);
        }
        let normalized = normalize(&stripped);
        let statements =
            Parser::parse_sql(&MySqlDialect {}, &normalized).map_err(|e| e.to_string())?;
        for st in statements {
            self.apply_statement(current_db, &st, &stripped, &mut effect)?;
        }
        Ok(effect)
    }

    /// `ALTER TABLE`, one clause at a time: MySQL has many clauses the parser does not know,
    /// most of them table options that do not change the columns (ENGINE, ALGORITHM, LOCK,
    /// partitioning …); those are recognised and skipped, the rest parsed individually.
    fn apply_alter_text(
        &mut self,
        current_db: &str,
        sql: &str,
        mut effect: DdlEffect,
    ) -> Result<DdlEffect, String> {
        let (name_text, rest) =
            split_alter_head(sql).ok_or_else(|| format!("cannot read the table name of {sql}"))?;
        let name = parse_object_name(&name_text)?;
        let id = table_id(current_db, &name)?;
        effect.databases.push(id.db.clone());
        let Some(mut table) = self.tables.get(&id).cloned() else {
            // Debezium ignores ALTERs of tables it never saw (e.g. filtered out).
            return Ok(effect);
        };
        let mut new_id = id.clone();
        for clause in split_top_level(&rest, ',') {
            let words: Vec<String> = clause
                .split(|c: char| c.is_whitespace() || c == '=' || c == '(')
                .filter(|w| !w.is_empty())
                .take(4)
                .map(str::to_ascii_uppercase)
                .collect();
            let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
            match (w(0), w(1)) {
                ("CONVERT", "TO") => {
                    if let Some(cs) = charset_in(&clause) {
                        for c in &mut table.columns {
                            if c.is_text() || matches!(c.type_name.as_str(), "ENUM" | "SET") {
                                c.charset = Some(cs.clone());
                            }
                        }
                        table.default_charset = Some(cs);
                    }
                    continue;
                }
                ("DEFAULT", "CHARSET" | "CHARACTER" | "COLLATE") | ("CHARSET" | "CHARACTER", _) => {
                    if let Some(cs) = charset_in(&clause) {
                        table.default_charset = Some(cs);
                    }
                    continue;
                }
                (
                    "ENGINE" | "AUTO_INCREMENT" | "ALGORITHM" | "LOCK" | "COMMENT" | "ROW_FORMAT"
                    | "FORCE" | "KEY_BLOCK_SIZE" | "STATS_PERSISTENT" | "STATS_AUTO_RECALC"
                    | "STATS_SAMPLE_PAGES" | "ORDER" | "PARTITION" | "REMOVE" | "COALESCE"
                    | "REORGANIZE" | "ANALYZE" | "CHECK" | "OPTIMIZE" | "REBUILD" | "REPAIR"
                    | "TRUNCATE" | "DISCARD" | "IMPORT" | "EXCHANGE" | "DISABLE" | "ENABLE"
                    | "WITH" | "WITHOUT" | "PACK_KEYS" | "CHECKSUM" | "DELAY_KEY_WRITE"
                    | "INSERT_METHOD" | "UNION" | "AVG_ROW_LENGTH" | "MAX_ROWS" | "MIN_ROWS"
                    | "TABLESPACE" | "ENCRYPTION" | "COMPRESSION" | "COLLATE" | "PAGE_CHECKSUM"
                    | "TRANSACTIONAL" | "SEQUENCE",
                    _,
                ) => continue,
                _ => {}
            }
            // `ADD [COLUMN] (a INT, b INT)` → one ADD per column.
            let mut clauses = vec![clause.clone()];
            if w(0) == "ADD" {
                let after_add = clause.trim_start().get(3..).unwrap_or("").trim_start();
                let body = match (after_add.get(..6), after_add.get(6..)) {
                    (Some(head), Some(tail)) if head.eq_ignore_ascii_case("COLUMN") => {
                        tail.trim_start()
                    }
                    _ => after_add,
                };
                if body.starts_with('(') && body.ends_with(')') {
                    clauses = split_top_level(&body[1..body.len() - 1], ',')
                        .into_iter()
                        .map(|c| format!("ADD COLUMN {c}"))
                        .collect();
                } else if let (Some(head), Some(def)) = (body.get(..13), body.get(13..))
                    && head.eq_ignore_ascii_case("IF NOT EXISTS")
                {
                    let def = def.trim_start();
                    let col = def
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .trim_matches('`');
                    if table.column(col).is_some() {
                        continue;
                    }
                    clauses = vec![format!("ADD COLUMN {def}")];
                }
            }
            for c in clauses {
                let text = normalize(&format!("ALTER TABLE {name_text} {c}"));
                let statements =
                    Parser::parse_sql(&MySqlDialect {}, &text).map_err(|e| e.to_string())?;
                for st in statements {
                    if let Statement::AlterTable { operations, .. } = st {
                        for op in &operations {
                            alter(&mut table, op, current_db, &mut new_id)?;
                        }
                    }
                }
                mark_zerofill(&mut table, &c);
            }
        }
        table.renumber();
        self.tables.remove(&id);
        table.id = new_id.clone();
        self.tables.insert(new_id.clone(), table.clone());
        let previous_id = (new_id != id).then_some(id);
        effect.changes.push(TableChange {
            kind: "ALTER",
            id: new_id,
            table: Some(table),
            previous_id,
        });
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
                        let mut t =
                            self.tables.get(&src).cloned().ok_or_else(|| {
                                format!("CREATE TABLE … LIKE unknown table {src}")
                            })?;
                        t.id = id.clone();
                        t
                    }
                    None => {
                        let mut t =
                            create_table(id.clone(), ct, ddl, self.charset_for_table(&id.db));
                        mark_zerofill(&mut t, ddl);
                        t
                    }
                };
                if ct.if_not_exists && self.tables.contains_key(&id) {
                    return Ok(());
                }
                effect.databases.push(id.db.clone());
                self.tables.insert(id.clone(), table.clone());
                effect.changes.push(TableChange {
                    kind: "CREATE",
                    id,
                    table: Some(table),
                    previous_id: None,
                });
            }
            Statement::AlterTable {
                name, operations, ..
            } => {
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
                effect.changes.push(TableChange {
                    kind: "ALTER",
                    id: new_id,
                    table: Some(table),
                    previous_id,
                });
            }
            Statement::Drop {
                object_type: ObjectType::Table,
                names,
                cascade,
                restrict,
                ..
            } => {
                let head = drop_head(ddl);
                let tail = if *restrict {
                    " RESTRICT"
                } else if *cascade {
                    " CASCADE"
                } else {
                    ""
                };
                for n in names {
                    let id = table_id(current_db, n)?;
                    effect
                        .drops
                        .push((id.clone(), format!("{head}{}{tail}", quoted_id(&id))));
                    effect.databases.push(id.db.clone());
                    if self.tables.remove(&id).is_some() {
                        effect.changes.push(TableChange {
                            kind: "DROP",
                            id,
                            table: None,
                            previous_id: None,
                        });
                    } else {
                        effect.dropped_untracked.push(id);
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
                        effect.changes.push(TableChange {
                            kind: "ALTER",
                            id: new,
                            table: Some(t),
                            previous_id: Some(old),
                        });
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

/// The text of a `DROP TABLE` statement before its first table name (`DROP TABLE IF EXISTS `),
/// as written.
fn drop_head(ddl: &str) -> String {
    let text = ddl.trim_start();
    let mut end = 0;
    let mut words = 0;
    for (i, _) in text.match_indices(|c: char| !c.is_whitespace()) {
        if i < end {
            continue;
        }
        let word: String = text[i..]
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        let keyword = matches!(
            word.to_ascii_uppercase().as_str(),
            "DROP" | "TABLE" | "TABLES" | "IF" | "EXISTS" | "TEMPORARY"
        );
        let delimited = text[i + word.len()..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace);
        if !keyword || !delimited || (words > 0 && word.eq_ignore_ascii_case("DROP")) {
            return text[..i].to_owned();
        }
        words += 1;
        end = i + word.len();
    }
    text.to_owned()
}

/// `TableId.toQuotedString('`')`: each part in backticks.
fn quoted_id(id: &TableId) -> String {
    if id.db.is_empty() {
        format!("`{}`", id.table)
    } else {
        format!("`{}`.`{}`", id.db, id.table)
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
            let rest = tail[i + marker.len()..]
                .trim_start()
                .trim_start_matches('=')
                .trim_start();
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                return Some(name.to_ascii_lowercase());
            }
        }
    }
    let i = tail.find("COLLATE")?;
    let rest = tail[i + 7..]
        .trim_start()
        .trim_start_matches('=')
        .trim_start();
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
}

fn create_table(
    id: TableId,
    ct: &CreateTable,
    ddl: &str,
    inherited_charset: Option<String>,
) -> Table {
    let charset = table_charset(ddl).or(inherited_charset);
    let mut table = Table {
        id,
        columns: Vec::new(),
        primary_key: Vec::new(),
        default_charset: charset.clone(),
        comment: None,
    };
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
        cols.iter()
            .map(|c| c.column.expr.to_string().trim_matches('`').to_owned())
            .collect()
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
    column_from(
        &def.name.value,
        &def.data_type.to_string(),
        def.options.iter().map(|o| &o.option),
        table_charset,
    )
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
        let cs: String = type_text[i + 13..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !cs.is_empty() {
            col.charset = Some(cs.to_ascii_lowercase());
        }
        let t = parse_type(&type_text[..i]);
        col.type_name = t.name;
        col.declared_type = t.declared;
        col.length = t.length;
        col.scale = t.scale;
    }
    for opt in options {
        match opt {
            ColumnOption::Null => {
                col.optional = true;
                col.explicit_null = true;
                col.declared_nullable = true;
            }
            ColumnOption::NotNull => {
                col.optional = false;
                col.declared_nullable = false;
            }
            ColumnOption::Default(e) => col.default_expression = Some(e.to_string()),
            ColumnOption::OnUpdate(_) => col.on_update = true,
            ColumnOption::Unique {
                is_primary: true, ..
            } => pk = true,
            ColumnOption::CharacterSet(cs) => {
                col.charset = Some(cs.to_string().trim_matches('`').to_ascii_lowercase())
            }
            ColumnOption::Collation(c) if col.charset.is_none() => {
                let c = c.to_string().trim_matches('`').to_ascii_lowercase();
                col.charset = c.split('_').next().map(str::to_owned);
            }
            ColumnOption::Comment(c) => col.comment = Some(c.clone()),
            ColumnOption::Generated { .. } => col.generated = true,
            ColumnOption::DialectSpecific(tokens)
                if tokens
                    .iter()
                    .any(|t| t.to_string().eq_ignore_ascii_case("AUTO_INCREMENT")) =>
            {
                col.auto_incremented = true;
                col.generated = true;
            }
            _ => {}
        }
    }
    if col.charset.is_none() && (col.is_text() || matches!(col.type_name.as_str(), "ENUM" | "SET"))
    {
        col.charset = table_charset.map(str::to_owned);
    }
    if pk {
        col.optional = false;
        col.declared_nullable = false;
    }
    (col, pk)
}

fn position(table: &mut Table, col: Column, pos: Option<&MySQLColumnPosition>) {
    match pos {
        Some(MySQLColumnPosition::First) => table.columns.insert(0, col),
        Some(MySQLColumnPosition::After(after)) => {
            let i = table
                .columns
                .iter()
                .position(|c| c.name.eq_ignore_ascii_case(&after.value))
                .map_or(table.columns.len(), |i| i + 1);
            table.columns.insert(i, col);
        }
        None => table.columns.push(col),
    }
}

fn alter(
    table: &mut Table,
    op: &AlterTableOperation,
    current_db: &str,
    new_id: &mut TableId,
) -> Result<(), String> {
    let charset = table.default_charset.clone();
    match op {
        AlterTableOperation::AddColumn {
            column_def,
            column_position,
            if_not_exists,
            ..
        } => {
            if *if_not_exists && table.column(&column_def.name.value).is_some() {
                return Ok(());
            }
            let (col, pk) = column(column_def, charset.as_deref());
            if pk {
                table.primary_key = vec![col.name.clone()];
            }
            // Idempotent, like Debezium's table editor: replaying a recorded ADD replaces.
            if table.column(&col.name).is_some() {
                let name = col.name.clone();
                replace_column(table, &name, col, column_position.as_ref());
            } else {
                position(table, col, column_position.as_ref());
            }
        }
        AlterTableOperation::DropColumn { column_names, .. } => {
            for n in column_names {
                table
                    .columns
                    .retain(|c| !c.name.eq_ignore_ascii_case(&n.value));
                table
                    .primary_key
                    .retain(|k| !k.eq_ignore_ascii_case(&n.value));
            }
        }
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => {
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
        AlterTableOperation::ChangeColumn {
            old_name,
            new_name,
            data_type,
            options,
            column_position,
        } => {
            let (col, _) = column_from(
                &new_name.value,
                &data_type.to_string(),
                options.iter(),
                charset.as_deref(),
            );
            replace_column(table, &old_name.value, col, column_position.as_ref());
        }
        AlterTableOperation::ModifyColumn {
            col_name,
            data_type,
            options,
            column_position,
        } => {
            let (col, _) = column_from(
                &col_name.value,
                &data_type.to_string(),
                options.iter(),
                charset.as_deref(),
            );
            replace_column(table, &col_name.value, col, column_position.as_ref());
        }
        AlterTableOperation::AlterColumn { column_name, op } => {
            if let Some(c) = table
                .columns
                .iter_mut()
                .find(|c| c.name.eq_ignore_ascii_case(&column_name.value))
            {
                match op {
                    AlterColumnOperation::SetDefault { value } => {
                        c.default_expression = Some(value.to_string())
                    }
                    AlterColumnOperation::DropDefault => {
                        // ColumnEditor.unsetDefaultValueExpression: no default, not even NULL.
                        c.default_expression = None;
                        c.explicit_null = false;
                        c.declared_nullable = false;
                    }
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

fn replace_column(
    table: &mut Table,
    old: &str,
    mut col: Column,
    pos: Option<&MySQLColumnPosition>,
) {
    let Some(i) = table
        .columns
        .iter()
        .position(|c| c.name.eq_ignore_ascii_case(old))
    else {
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
/// `UNIQUE KEY` (→ `UNIQUE`), the `VISIBLE`/`INVISIBLE` column attributes (dropped: invisible
/// columns are still in every binlog row, so they stay in the table model) and `ZEROFILL`
/// (dropped, and put back by [`mark_zerofill`]).
fn normalize(sql: &str) -> String {
    // The parser knows no ZEROFILL; `mark_zerofill` reads it from the text.
    let sql = drop_words(sql, &["INVISIBLE", "VISIBLE", "ZEROFILL"]);
    let sql = strip_table_options(&sql);
    let sql = replace_words(&sql, &[("PERSISTENT", "STORED")]);
    let sql = sql.as_str();
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

/// Drops what follows a `CREATE TABLE`'s column list: table options (`ENGINE`,
/// `PAGE_COMPRESSED`, `WITH SYSTEM VERSIONING`, partitioning …) shape no column, the parser knows
/// only some of them, and the default charset is read from the original text.
fn strip_table_options(sql: &str) -> String {
    if !sql
        .trim_start()
        .get(..6)
        .is_some_and(|w| w.eq_ignore_ascii_case("CREATE"))
    {
        return sql.to_owned();
    }
    let Some(open) = sql.find('(') else {
        return sql.to_owned();
    };
    let head = sql[..open].to_ascii_uppercase();
    if head.contains(" LIKE ") || head.contains("SELECT") || !head.contains("TABLE") {
        return sql.to_owned();
    }
    match crate::table::matching_paren(sql, open) {
        Some(close) if !sql[close + 1..].to_ascii_uppercase().contains("SELECT") => {
            sql[..=close].to_owned()
        }
        _ => sql.to_owned(),
    }
}

/// Marks the columns that `sql` (a CREATE TABLE or one ALTER clause) declares `ZEROFILL`, which
/// MySQL makes `UNSIGNED` too: `name type[(n[,m])] [UNSIGNED] ZEROFILL`.
fn mark_zerofill(table: &mut Table, sql: &str) {
    static DEF: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)(?:`((?:[^`]|``)+)`|([A-Za-z0-9_$]+))\s+[A-Za-z0-9_ ]+?(?:\([^)]*\))?\s+(?:UNSIGNED\s+)?ZEROFILL\b",
        )
        .ok()
    });
    let Some(re) = DEF.as_ref() else {
        return;
    };
    for caps in re.captures_iter(sql) {
        let name = caps
            .get(1)
            .map(|m| m.as_str().replace("``", "`"))
            .or_else(|| caps.get(2).map(|m| m.as_str().to_owned()))
            .unwrap_or_default();
        if let Some(c) = table
            .columns
            .iter_mut()
            .find(|c| c.name.eq_ignore_ascii_case(&name))
        {
            c.zerofill = true;
            c.unsigned = true;
        }
    }
}

/// Replaces unquoted whole words (any case).
fn replace_words(sql: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut word = String::new();
    let flush = |out: &mut String, word: &mut String| {
        match pairs
            .iter()
            .find(|(from, _)| from.eq_ignore_ascii_case(word))
        {
            Some((_, to)) => out.push_str(to),
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in sql.chars() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        flush(&mut out, &mut word);
        if matches!(c, '\'' | '"' | '`') {
            quote = Some(c);
        }
        out.push(c);
    }
    flush(&mut out, &mut word);
    out
}

/// The database a table DDL statement targets: the qualifier of the first table name after
/// `TABLE` (skipping `IF [NOT] EXISTS`), else `current_db`. `None` when no table is named.
pub(crate) fn target_database(ddl: &str, current_db: &str) -> Option<String> {
    let text = strip_comments(ddl);
    let upper = text.to_ascii_uppercase();
    let mut from = 0;
    let at = loop {
        let i = upper[from..].find("TABLE")? + from;
        let before_ok = i == 0 || !upper.as_bytes()[i - 1].is_ascii_alphanumeric();
        let after_ok = upper
            .as_bytes()
            .get(i + 5)
            .is_none_or(|c| !c.is_ascii_alphanumeric() && *c != b'_');
        if before_ok && after_ok {
            break i + 5;
        }
        from = i + 5;
    };
    let mut rest = text[at..].trim_start();
    for w in ["IF", "NOT", "EXISTS"] {
        if rest
            .get(..w.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(w))
            && rest
                .as_bytes()
                .get(w.len())
                .is_some_and(u8::is_ascii_whitespace)
        {
            rest = rest[w.len()..].trim_start();
        }
    }
    let (name, _) = split_alter_head(&format!("TABLE {rest}"))?;
    let parts = parse_object_name(&name).ok().map(|n| ident_parts(&n))?;
    match parts.as_slice() {
        [db, _] => Some(db.clone()),
        [_] => Some(current_db.to_owned()),
        _ => None,
    }
}

/// `ALTER [ONLINE] [IGNORE] TABLE <name> <rest>` → (name text, rest).
fn split_alter_head(sql: &str) -> Option<(String, String)> {
    let mut rest = sql.trim_start();
    let mut saw_table = false;
    while !saw_table {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        if word.is_empty() {
            return None;
        }
        saw_table = word.eq_ignore_ascii_case("TABLE");
        rest = rest[word.len()..].trim_start();
    }
    // The name: identifiers (quoted or not) joined by dots.
    let mut end = 0;
    let b = rest.as_bytes();
    loop {
        if b.get(end) == Some(&b'`') {
            end += 1;
            while end < b.len() && b[end] != b'`' {
                end += 1;
            }
            end += 1;
        } else {
            while end < b.len()
                && (b[end].is_ascii_alphanumeric()
                    || b[end] == b'_'
                    || b[end] == b'$'
                    || b[end] >= 0x80)
            {
                end += 1;
            }
        }
        if b.get(end) == Some(&b'.') {
            end += 1;
            continue;
        }
        break;
    }
    let end = end.min(rest.len());
    Some((rest[..end].to_owned(), rest[end..].trim().to_owned()))
}

fn parse_object_name(text: &str) -> Result<ObjectName, String> {
    let mut parser = Parser::new(&MySqlDialect {})
        .try_with_sql(text)
        .map_err(|e| e.to_string())?;
    parser.parse_object_name(false).map_err(|e| e.to_string())
}

/// Splits at `sep` outside parentheses and quotes.
fn split_top_level(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        if let Some(q) = quote {
            cur.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => quote = Some(c),
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if c == sep && depth == 0 {
            out.push(cur.trim().to_owned());
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

/// The charset named in a `CHARACTER SET x` / `CHARSET=x` clause (or derived from `COLLATE x`).
fn charset_in(clause: &str) -> Option<String> {
    let upper = clause.to_ascii_uppercase();
    for (marker, from_collation) in [
        ("CHARACTER SET", false),
        ("CHARSET", false),
        ("COLLATE", true),
    ] {
        if let Some(i) = upper.find(marker) {
            let rest = clause[i + marker.len()..]
                .trim_start()
                .trim_start_matches('=')
                .trim_start();
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                let name = name.to_ascii_lowercase();
                return Some(if from_collation {
                    name.split('_').next().unwrap_or(&name).to_owned()
                } else {
                    name
                });
            }
        }
    }
    None
}

/// Removes the unquoted keywords `words` (whole words, any case).
fn drop_words(sql: &str, words: &[&str]) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut word = String::new();
    let flush = |out: &mut String, word: &mut String| {
        if !words.iter().any(|w| w.eq_ignore_ascii_case(word)) {
            out.push_str(word);
        }
        word.clear();
    };
    for c in sql.chars() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
            continue;
        }
        flush(&mut out, &mut word);
        if matches!(c, '\'' | '"' | '`') {
            quote = Some(c);
        }
        out.push(c);
    }
    flush(&mut out, &mut word);
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
        let t = s
            .get(&TableId::new(
                "brazillian_ecommerce",
                "olist_orders_dataset",
            ))
            .unwrap();
        assert_eq!(t.primary_key, ["order_id"]);
        assert_eq!(t.default_charset.as_deref(), Some("utf8mb4"));
        let names: Vec<_> = t.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "order_id",
                "customer_id",
                "order_status",
                "order_purchase_timestamp"
            ]
        );
        let c = &t.columns[0];
        assert_eq!(
            (
                c.type_name.as_str(),
                c.length,
                c.optional,
                c.charset.as_deref()
            ),
            ("VARCHAR", Some(32), false, Some("utf8mb4"))
        );
        assert_eq!(t.columns[1].default_expression.as_deref(), Some("NULL"));
    }

    #[test]
    fn alter_table_adds_drops_renames_and_modifies_columns() {
        let mut s = Schemas::default();
        s.apply(
            "db",
            "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10), b INT) DEFAULT CHARSET=latin1",
        )
        .unwrap();
        s.apply(
            "db",
            "ALTER TABLE t ADD COLUMN c DECIMAL(10,2) NOT NULL DEFAULT '1.00' AFTER id",
        )
        .unwrap();
        s.apply("db", "ALTER TABLE t DROP COLUMN b").unwrap();
        s.apply(
            "db",
            "ALTER TABLE t CHANGE a a2 VARCHAR(20) CHARACTER SET utf8mb4",
        )
        .unwrap();
        s.apply("db", "ALTER TABLE t MODIFY c BIGINT UNSIGNED")
            .unwrap();
        let t = s.get(&TableId::new("db", "t")).unwrap();
        let desc: Vec<_> = t
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.type_name.as_str(), c.position))
            .collect();
        assert_eq!(
            desc,
            [("id", "INT", 1), ("c", "BIGINT", 2), ("a2", "VARCHAR", 3)]
        );
        assert!(t.columns[1].unsigned);
        assert_eq!(t.columns[2].charset.as_deref(), Some("utf8mb4"));
        let e = s.apply("db", "RENAME TABLE t TO u").unwrap();
        assert_eq!(e.changes[0].previous_id, Some(TableId::new("db", "t")));
        assert!(s.get(&TableId::new("db", "u")).is_some());
        let e = s
            .apply(
                "db",
                "DROP TABLE IF EXISTS `db`.`u` /* generated by server */",
            )
            .unwrap();
        assert_eq!(e.changes[0].kind, "DROP");
        assert!(s.get(&TableId::new("db", "u")).is_none());
    }

    #[test]
    fn truncate_and_unrelated_statements_do_not_touch_tables() {
        let mut s = Schemas::default();
        s.apply("db", "CREATE TABLE t (id INT PRIMARY KEY)")
            .unwrap();
        let e = s.apply("db", "TRUNCATE TABLE t").unwrap();
        assert_eq!(e.truncated, [TableId::new("db", "t")]);
        for stmt in [
            "GRANT SELECT ON *.* TO 'x'@'%'",
            "FLUSH TABLES",
            "CREATE USER 'u'",
            "BEGIN",
        ] {
            // Recorded as a database-level change, as Debezium records what its parser makes
            // no event of.
            let unrelated = DdlEffect {
                unrecognised: true,
                ..DdlEffect::default()
            };
            assert_eq!(s.apply("db", stmt).unwrap(), unrelated, "{stmt}");
        }
        assert!(
            s.apply("db", "CREATE TABLE broken (id INT PRIMARY KEY")
                .is_err()
        );
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
        assert_eq!(
            t.column("c_text").unwrap().charset.as_deref(),
            Some("utf8mb4")
        );
        assert_eq!(t.column("c_enum").unwrap().enum_values, ["S", "M", "L"]);
        assert!(t.column("id").unwrap().auto_incremented);
        assert_eq!(
            t.column("c_ts")
                .unwrap()
                .default_expression
                .as_deref()
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("current_timestamp()")
        );
    }
}

#[cfg(test)]
mod more_tests {
    use super::*;

    #[test]
    fn common_real_world_ddl_is_understood() {
        let mut s = Schemas::default();
        s.apply("db", "CREATE TABLE t1 (id INT NOT NULL AUTO_INCREMENT, a INT, b VARCHAR(5), PRIMARY KEY (id), KEY idx_a (a)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4").unwrap();
        let ok = [
            "ALTER TABLE t1 ADD INDEX idx_b (b)",
            "CREATE INDEX idx_ab ON t1 (a, b)",
            "ALTER TABLE t1 ADD COLUMN (c INT, d INT)",
            "ALTER TABLE t1 ENGINE=InnoDB",
            "ALTER TABLE t1 CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci",
            "ALTER TABLE t1 ALGORITHM=INPLACE, LOCK=NONE, ADD COLUMN e INT",
            "ALTER TABLE t1 RENAME COLUMN e TO e2",
            "ALTER TABLE t1 MODIFY COLUMN b VARCHAR(10) FIRST",
            "ALTER TABLE t1 ADD COLUMN IF NOT EXISTS f INT",
            "ALTER TABLE t1 ADD COLUMN IF NOT EXISTS f INT",
            "ALTER TABLE t1 ADD cafés_é INT",
            "ALTER TABLE t1 DROP COLUMN cafés_é",
            "CREATE TABLE IF NOT EXISTS t2 (id BIGINT UNSIGNED PRIMARY KEY) PARTITION BY HASH(id) PARTITIONS 4",
            "CREATE TABLE t3 LIKE t1",
            "RENAME TABLE t2 TO t2b, t3 TO t3b",
            "DROP TABLE t2b, t3b",
            "ALTER TABLE t1 DROP INDEX idx_a",
            "ALTER TABLE t1 AUTO_INCREMENT = 100",
            "CREATE TABLE `db`.`t4` (`id` int(11) NOT NULL, `ts` timestamp(3) NOT NULL DEFAULT current_timestamp(3) ON UPDATE current_timestamp(3), `j` json DEFAULT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci COMMENT='x'",
            "ANALYZE TABLE t1",
            "OPTIMIZE TABLE t1",
            "CREATE VIEW v AS SELECT 1",
            "CREATE TABLE p1 (id INT PRIMARY KEY) WITH SYSTEM VERSIONING",
            "CREATE TABLE p4 (id INT PRIMARY KEY) ENGINE=InnoDB PAGE_COMPRESSED=1 DEFAULT CHARSET=latin1",
            "CREATE TABLE p7 (id INT PRIMARY KEY, v INT AS (id+1) PERSISTENT)",
            "CREATE DEFINER=`root`@`localhost` TRIGGER tr BEFORE INSERT ON t1 FOR EACH ROW SET NEW.a = 1",
        ];
        let mut failures = Vec::new();
        for stmt in ok {
            if let Err(e) = s.apply("db", stmt) {
                failures.push(format!("{stmt}: {e}"));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
        let t1 = s.get(&TableId::new("db", "t1")).unwrap();
        let names: Vec<_> = t1.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["b", "id", "a", "c", "d", "e2", "f"]);
        assert!(s.get(&TableId::new("db", "t4")).is_some());
        assert_eq!(
            s.get(&TableId::new("db", "p4"))
                .unwrap()
                .default_charset
                .as_deref(),
            Some("latin1")
        );
        assert!(
            s.get(&TableId::new("db", "p7"))
                .unwrap()
                .column("v")
                .unwrap()
                .generated
        );
        assert!(s.get(&TableId::new("db", "t2b")).is_none());
    }
}

#[cfg(test)]
mod robustness_tests {
    use super::*;

    #[test]
    fn the_target_database_of_a_statement_is_found_without_parsing_it() {
        assert_eq!(
            target_database("CREATE TABLE other.u (id INT, PERIOD FOR p(s, e))", "db").as_deref(),
            Some("other")
        );
        assert_eq!(
            target_database("create table if not exists `x`.`y` (a int)", "db").as_deref(),
            Some("x")
        );
        assert_eq!(
            target_database("ALTER TABLE t ADD COLUMN q INT", "db").as_deref(),
            Some("db")
        );
        assert_eq!(
            target_database("CREATE TABLE tablet (a INT)", "db").as_deref(),
            Some("db")
        );
        assert_eq!(target_database("GRANT ALL ON *.* TO x", "db"), None);
    }

    #[test]
    fn malformed_ddl_is_an_error_or_ignored_never_a_panic() {
        let mut s = Schemas::default();
        s.apply("db", "CREATE TABLE t (id INT PRIMARY KEY)")
            .unwrap();
        let inputs = [
            "",
            ";",
            "ALTER",
            "ALTER TABLE",
            "ALTER TABLE `t",
            "ALTER TABLE t ADD",
            "ALTER TABLE t ADD COLUMN (",
            "ALTER TABLE t ADD é",
            "ALTER TABLE t ADD COLUMN IF NOT EXISTS",
            "CREATE TABLE (",
            "CREATE TABLE t2 (a INT",
            "CREATE TABLE t3 (a ENUM('x",
            "DROP TABLE",
            "RENAME TABLE t",
            "TRUNCATE",
            "USE",
            "/* unterminated",
            "CREATE TABLE t4 (a INT) PARTITION BY",
            "ALTER TABLE t CONVERT TO CHARACTER SET",
            "CREATE TABLE é (é INT)",
            "ALTER TABLE t MODIFY é",
            "-- only a comment",
            "CREATE TABLE t5 (a INT COMMENT 'ü', b VARCHAR(3) DEFAULT '\\'')",
        ];
        for input in inputs {
            // Either outcome is fine; reaching the end of the loop is the assertion.
            let _outcome = s.apply("db", input);
        }
        assert!(
            s.get(&TableId::new("db", "t")).is_some(),
            "the valid table survives bad statements"
        );
        assert!(s.apply("db", "CREATE TABLE t2 (a INT").is_err());
    }
}
