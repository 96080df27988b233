//! DDL and TRUNCATE rows: what transactions did to tables' definitions,
//! read from the catalog rows the WAL carries ([`CatalogHistory`]'s
//! changes), as statements that redo and undo it.
//!
//! A table's definition lives in catalog rows, so a command that changes
//! it inserts, updates or deletes them: `CREATE TABLE` inserts a
//! `pg_class` row and its columns' `pg_attribute` rows, `RENAME` updates
//! the `pg_class` row, `DROP COLUMN` marks the attribute dropped, `TRUNCATE`
//! gives the table a new file number without the transient table a
//! rewrite (`VACUUM FULL`, `CLUSTER`, `ALTER COLUMN TYPE`) creates, and so
//! on. Comparing each changed row with the version it replaced gives the
//! command back. Only what the catalog rows followed here say is
//! reproduced: defaults, constraints other than primary keys, triggers
//! and the like live in catalogs not followed, and a row whose command
//! had them says so (`complete = false`, with the reason).
//!
//! The statements name relations and columns as they were then, quoted
//! and schema-qualified, and types the way the catalog formats them
//! (schema-qualified), so they replay under any `search_path`.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use super::catalog::{Catalog, RelInfo};
use super::history::{RowChange, Snapshot};
use super::relations::Relations;
use super::sql::Op;
use super::values::{Render, Stored};
use super::xacts::XactTable;
use crate::lsn::Lsn;
use crate::syscat::{AttributeRow, ClassRow, IndexRow};

use super::relations::{FIRST_NORMAL_OBJECT_ID, RELKIND_RELATION};

/// `relam` of heap tables (`HEAP_TABLE_AM_OID`).
const HEAP_TABLE_AM_OID: u32 = 2;
/// `relpersistence` of temporary relations: their rows are not logged.
const RELPERSISTENCE_TEMP: u8 = b't';
const RELPERSISTENCE_UNLOGGED: u8 = b'u';
/// The built-in index access methods, by `pg_am` OID.
const INDEX_AMS: [(u32, &str); 6] =
    [(403, "btree"), (405, "hash"), (783, "gist"), (2742, "gin"), (3580, "brin"), (4000, "spgist")];
/// `pg_index.indoption` bits (`INDOPTION_DESC`, `INDOPTION_NULLS_FIRST`).
const INDOPTION_DESC: i16 = 0x0001;
const INDOPTION_NULLS_FIRST: i16 = 0x0002;
/// `pg_constraint.contype` of the constraints an index can belong to.
const CONSTRAINT_PRIMARY: u8 = b'p';
const CONSTRAINT_UNIQUE: u8 = b'u';
/// `attcompression` values (`TOAST_PGLZ_COMPRESSION`, `TOAST_LZ4_COMPRESSION`).
const COMPRESSION_PGLZ: u8 = b'p';
const COMPRESSION_LZ4: u8 = b'l';

/// One DDL or TRUNCATE row, before the transaction filters.
#[derive(Debug, Clone)]
pub struct DdlRow {
    /// The record of the catalog change.
    pub lsn: Lsn,
    /// The (sub)transaction that made it.
    pub xid: u32,
    pub relation: Rc<RelInfo>,
    pub op: Op,
    pub redo: Option<String>,
    pub undo: Option<String>,
    /// Whether both statements are given and reproduce the command.
    pub complete: bool,
    pub info: Option<String>,
}

/// Statements of one command and what they leave out.
#[derive(Default)]
struct Stmt {
    redo: Option<String>,
    undo: Option<String>,
    /// What the statements do not reproduce; empty when they are exact.
    gaps: Vec<String>,
}

impl Stmt {
    fn exact(redo: String, undo: String) -> Stmt {
        Stmt { redo: Some(redo), undo: Some(undo), gaps: Vec::new() }
    }

    fn redo_only(redo: String, why_no_undo: impl Into<String>) -> Stmt {
        Stmt { redo: Some(redo), undo: None, gaps: vec![why_no_undo.into()] }
    }

    fn none(why: impl Into<String>) -> Stmt {
        Stmt { redo: None, undo: None, gaps: vec![why.into()] }
    }
}

/// Whether a `pg_class` row is a table whose changes are reported.
fn reported(c: &ClassRow) -> bool {
    c.oid >= FIRST_NORMAL_OBJECT_ID
        && c.relkind == RELKIND_RELATION
        && c.relpersistence != RELPERSISTENCE_TEMP
        && c.relrewrite == 0
}

/// The DDL and TRUNCATE rows the catalog history shows, in WAL order.
pub fn ddl_rows<C: Catalog, R: Render>(
    rels: &mut Relations<C>,
    render: &mut R,
    xacts: &XactTable,
) -> Vec<DdlRow> {
    let history = rels.history();
    let classes: Vec<Owned<ClassRow>> = history.class_changes().iter().map(owned).collect();
    let attributes: Vec<Owned<AttributeRow>> =
        history.attribute_changes().iter().filter(|c| attnum(c) > 0).map(owned).collect();
    let indexes: Vec<Owned<IndexRow>> = history.index_changes().iter().map(owned).collect();
    let top = |x: u32| xacts.top_of(x);

    // Tables created in the range (by whom, with how many columns), the
    // tables dropped, and the rewrites' transient tables.
    let mut created: HashMap<u32, (u32, i16)> = HashMap::new();
    let mut dropped: HashSet<(u32, u32)> = HashSet::new();
    let mut rewrites: HashSet<(u32, u32)> = HashSet::new();
    for c in &classes {
        match (&c.before, &c.after) {
            (None, Some(a)) if reported(a) => {
                created.entry(a.oid).or_insert((top(c.xid), a.relnatts));
            }
            (None, Some(a)) if a.relrewrite != 0 => {
                rewrites.insert((top(c.xid), a.relrewrite));
            }
            (Some(b), None) => {
                dropped.insert((b.oid, top(c.xid)));
            }
            _ => {}
        }
    }

    let mut g = Gen { rels, render, xacts, out: Vec::new() };
    for c in &classes {
        g.class_change(c, (&classes, &attributes), &rewrites);
    }
    for c in &attributes {
        g.attribute_change(c, &attributes, &created);
    }
    let mut index_rows = Vec::new();
    for c in &indexes {
        if let Some(r) = g.index_change(c, &dropped) {
            index_rows.push(r);
        }
    }
    g.out.extend(drop_rebuilt_indexes(index_rows, xacts));
    let mut out = g.out;
    out.sort_by_key(|r| r.lsn);
    out
}

/// A catalog row change, owned.
struct Owned<R> {
    lsn: Lsn,
    xid: u32,
    before: Option<R>,
    after: Option<R>,
}

fn owned<R: Clone>(c: &RowChange<'_, R>) -> Owned<R> {
    Owned { lsn: c.lsn, xid: c.xid, before: c.before.cloned(), after: c.after.cloned() }
}

fn attnum(c: &RowChange<'_, AttributeRow>) -> i16 {
    c.after.or(c.before).map_or(0, |a| a.attnum)
}

/// Index rows as (row, the table's oid, the transaction, the definition
/// the drop's undo and the create's redo share).
type IndexRowOf = (DdlRow, u32, bool, Option<String>);

/// An index dropped and created again with the same definition by one
/// transaction (`ALTER COLUMN TYPE` rebuilds the indexes of the column)
/// is no change of its own: both rows go.
fn drop_rebuilt_indexes(rows: Vec<IndexRowOf>, xacts: &XactTable) -> Vec<DdlRow> {
    let key = |r: &IndexRowOf| (xacts.top_of(r.0.xid), r.1, r.3.clone());
    let created: HashSet<_> = rows.iter().filter(|r| r.2 && r.3.is_some()).map(key).collect();
    let dropped: HashSet<_> = rows.iter().filter(|r| !r.2 && r.3.is_some()).map(key).collect();
    rows.into_iter()
        .filter(|r| r.3.is_none() || !(created.contains(&key(r)) && dropped.contains(&key(r))))
        .map(|r| r.0)
        .collect()
}

struct Gen<'a, C: Catalog, R: Render> {
    rels: &'a mut Relations<C>,
    render: &'a mut R,
    xacts: &'a XactTable,
    out: Vec<DdlRow>,
}

impl<C: Catalog, R: Render> Gen<'_, C, R> {
    fn quote(&mut self, name: &str) -> String {
        self.rels.catalog.quote_ident(name)
    }

    /// `schema.name` of relation `c` as it was at `lsn`, and the row's
    /// relation.
    fn named(&mut self, c: &ClassRow, lsn: Lsn, xid: u32) -> Result<Rc<RelInfo>, String> {
        let at = Snapshot { lsn, reader: self.xacts.top_of(xid), xacts: self.xacts };
        let schema = self.rels.schema_name(c.relnamespace, at)?;
        let qualified = format!("{}.{}", self.quote(&schema), self.quote(&c.relname));
        let gone = self.rels.catalog.class(c.oid).is_none();
        Ok(Rc::new(RelInfo {
            oid: c.oid,
            schema: schema.into(),
            name: c.relname.as_str().into(),
            qualified,
            atts: Vec::new(),
            key: Vec::new(),
            gone,
        }))
    }

    /// The table `relid` as the transaction `xid` saw it at `lsn`.
    fn class_at(&mut self, relid: u32, lsn: Lsn, xid: u32) -> Option<ClassRow> {
        let at = Snapshot { lsn, reader: self.xacts.top_of(xid), xacts: self.xacts };
        self.rels.class_then(relid, at)
    }

    fn push(&mut self, lsn: Lsn, xid: u32, rel: Rc<RelInfo>, op: Op, s: Stmt) {
        self.out.push(row_of(lsn, xid, rel, op, s));
    }

    /// Rows for a change of a `pg_class` row: CREATE, RENAME, SET SCHEMA,
    /// TRUNCATE, DROP.
    fn class_change(
        &mut self,
        c: &Owned<ClassRow>,
        (classes, attributes): (&[Owned<ClassRow>], &[Owned<AttributeRow>]),
        rewrites: &HashSet<(u32, u32)>,
    ) {
        match (&c.before, &c.after) {
            (None, Some(a)) if reported(a) => {
                let Ok(rel) = self.named(a, c.lsn, c.xid) else { return };
                let s = self.create_table(c, a, &rel, (classes, attributes));
                self.push(c.lsn, c.xid, rel, Op::Ddl, s);
            }
            (Some(b), Some(a)) if reported(b) && reported(a) => {
                let Ok(old) = self.named(b, c.lsn, c.xid) else { return };
                if b.relfilenode != a.relfilenode
                    && b.reltablespace == a.reltablespace
                    && !rewrites.contains(&(self.xacts.top_of(c.xid), a.oid))
                {
                    let s = truncate(&old);
                    self.push(c.lsn, c.xid, old.clone(), Op::Truncate, s);
                }
                if b.relnamespace != a.relnamespace {
                    let Ok(new) = self.named(a, Lsn(c.lsn.0 + 1), c.xid) else { return };
                    let redo = format!(
                        "ALTER TABLE {} SET SCHEMA {};",
                        old.qualified,
                        self.quote(&new.schema)
                    );
                    let undo = format!(
                        "ALTER TABLE {} SET SCHEMA {};",
                        new.qualified,
                        self.quote(&old.schema)
                    );
                    let at = if b.relname == a.relname { new } else { old.clone() };
                    self.push(c.lsn, c.xid, at, Op::Ddl, Stmt::exact(redo, undo));
                }
                if b.relname != a.relname {
                    let Ok(new) = self.named(a, Lsn(c.lsn.0 + 1), c.xid) else { return };
                    let renamed = format!("{}.{}", self.quote(&new.schema), self.quote(&b.relname));
                    let redo =
                        format!("ALTER TABLE {renamed} RENAME TO {};", self.quote(&a.relname));
                    let undo = format!(
                        "ALTER TABLE {} RENAME TO {};",
                        new.qualified,
                        self.quote(&b.relname)
                    );
                    self.push(c.lsn, c.xid, new, Op::Ddl, Stmt::exact(redo, undo));
                }
            }
            (Some(b), None) if reported(b) => {
                let Ok(rel) = self.named(b, c.lsn, c.xid) else { return };
                let s = Stmt::redo_only(
                    format!("DROP TABLE {};", rel.qualified),
                    "no undo: a dropped table's definition and rows are not in the WAL of \
                     the DROP (its CREATE and row changes in earlier WAL are)",
                );
                self.push(c.lsn, c.xid, rel, Op::Ddl, s);
            }
            _ => {}
        }
    }

    fn create_table(
        &mut self,
        c: &Owned<ClassRow>,
        a: &ClassRow,
        rel: &RelInfo,
        (classes, attributes): (&[Owned<ClassRow>], &[Owned<AttributeRow>]),
    ) -> Stmt {
        let top = self.xacts.top_of(c.xid);
        let same = |x: u32| self.xacts.top_of(x) == top;
        // What the same transaction stored after the insert: CHECK
        // constraints, triggers (foreign keys) and the like.
        let mut a = a.clone();
        for r in
            classes.iter().filter(|x| x.lsn > c.lsn && same(x.xid)).filter_map(|x| x.after.as_ref())
        {
            if r.oid == a.oid {
                a.relchecks = a.relchecks.max(r.relchecks);
                a.relhastriggers |= r.relhastriggers;
                a.relhasrules |= r.relhasrules;
                a.relrowsecurity |= r.relrowsecurity;
                a.has_reloptions |= r.has_reloptions;
            }
        }
        let a = &a;
        // The columns it was created with: the first version of each of
        // its first relnatts attributes, inserted by the same transaction,
        // with what later updates of it by the transaction stored
        // (defaults, identity).
        let mut cols: Vec<AttributeRow> = Vec::new();
        for n in 1..=a.relnatts {
            let mut versions = attributes.iter().filter(|x| {
                same(x.xid)
                    && x.after.as_ref().is_some_and(|r| r.attrelid == a.oid && r.attnum == n)
            });
            let Some(first) =
                versions.next().filter(|x| x.before.is_none()).and_then(|x| x.after.clone())
            else {
                return Stmt::none(format!("column {n}'s catalog row is not in the WAL read"));
            };
            let mut col = first;
            for r in versions.filter_map(|x| x.after.as_ref()) {
                col.atthasdef |= r.atthasdef;
                col.attidentity = col.attidentity.max(r.attidentity);
                col.attgenerated = col.attgenerated.max(r.attgenerated);
                col.attinhcount = col.attinhcount.max(r.attinhcount);
                col.attislocal &= r.attislocal;
            }
            cols.push(col);
        }
        let mut gaps = Vec::new();
        let mut defs = Vec::new();
        for col in &cols {
            match self.column_def(col, &mut gaps) {
                Ok(d) => defs.push(d),
                Err(why) => return Stmt::none(why),
            }
        }
        let unlogged = if a.relpersistence == RELPERSISTENCE_UNLOGGED { "UNLOGGED " } else { "" };
        for (cond, what) in [
            (a.reloftype != 0, "it is a typed table (OF type)"),
            (a.relispartition, "it is a partition (its bound)"),
            (a.relam != HEAP_TABLE_AM_OID, "its access method"),
            (a.has_reloptions, "its storage parameters"),
            (a.reltablespace != 0, "its tablespace"),
            (a.relchecks > 0, "its CHECK constraints"),
        ] {
            if cond {
                gaps.push(format!("not reproduced: {what}"));
            }
        }
        if a.relhastriggers || a.relhasrules || a.relrowsecurity {
            gaps.push("not reproduced: its triggers, rules or row security".into());
        }
        Stmt {
            redo: Some(format!("CREATE {unlogged}TABLE {} ({});", rel.qualified, defs.join(", "))),
            undo: Some(format!("DROP TABLE {};", rel.qualified)),
            gaps,
        }
    }

    /// `name type [COLLATE c] [COMPRESSION m] [NOT NULL]` of a column
    /// created with its table; what it cannot say goes to `gaps`.
    fn column_def(&mut self, a: &AttributeRow, gaps: &mut Vec<String>) -> Result<String, String> {
        let ty = self
            .rels
            .catalog
            .column_type(a.atttypid, a.atttypmod, a.attcollation)
            .ok_or_else(|| format!("the type of column {} no longer exists", a.attname))?;
        let mut d = format!("{} {ty}", self.quote(&a.attname));
        match a.attcompression {
            COMPRESSION_PGLZ => d.push_str(" COMPRESSION pglz"),
            COMPRESSION_LZ4 => d.push_str(" COMPRESSION lz4"),
            _ => {}
        }
        if a.attnotnull {
            d.push_str(" NOT NULL");
        }
        for (cond, what) in [
            (a.atthasdef, "default"),
            (a.attidentity != 0, "identity"),
            (a.attgenerated != 0, "generation expression"),
            (a.attinhcount > 0 || !a.attislocal, "inheritance"),
        ] {
            if cond {
                gaps.push(format!("not reproduced: the {what} of column {}", a.attname));
            }
        }
        Ok(d)
    }

    /// Rows for a change of a `pg_attribute` row of a reported table: ADD,
    /// DROP, RENAME COLUMN, ALTER COLUMN TYPE, SET/DROP NOT NULL.
    fn attribute_change(
        &mut self,
        c: &Owned<AttributeRow>,
        attributes: &[Owned<AttributeRow>],
        created: &HashMap<u32, (u32, i16)>,
    ) {
        let Some(row) = c.after.as_ref().or(c.before.as_ref()) else { return };
        let Some(class) = self.class_at(row.attrelid, c.lsn, c.xid) else { return };
        if !reported(&class) {
            return;
        }
        let Ok(rel) = self.named(&class, c.lsn, c.xid) else { return };
        let t = rel.qualified.clone();
        match (&c.before, &c.after) {
            (None, Some(a)) => {
                let top = self.xacts.top_of(c.xid);
                if created.get(&a.attrelid).is_some_and(|&(x, n)| x == top && a.attnum <= n) {
                    return; // part of its CREATE TABLE
                }
                // The default and the value older rows read are stored
                // by updates right after the insert, in the same command.
                let mut a = a.clone();
                let later = attributes.iter().filter(|x| {
                    x.lsn > c.lsn
                        && self.xacts.top_of(x.xid) == top
                        && x.before.is_some()
                        && x.after
                            .as_ref()
                            .is_some_and(|r| (r.attrelid, r.attnum) == (a.attrelid, a.attnum))
                });
                for r in later.filter_map(|x| x.after.as_ref()) {
                    a.atthasdef |= r.atthasdef;
                    if r.atthasmissing {
                        (a.atthasmissing, a.attmissingval) = (true, r.attmissingval.clone());
                    }
                }
                let s = self.add_column(&rel, &a);
                self.push(c.lsn, c.xid, rel, Op::Ddl, s);
            }
            (Some(b), Some(a)) if !b.attisdropped => {
                let old = self.quote(&b.attname);
                if a.attisdropped {
                    let s = Stmt::redo_only(
                        format!("ALTER TABLE {t} DROP COLUMN {old};"),
                        format!(
                            "no undo: the values of dropped column {} are not in the WAL",
                            b.attname
                        ),
                    );
                    self.push(c.lsn, c.xid, rel, Op::Ddl, s);
                    return;
                }
                let new = self.quote(&a.attname);
                if b.attname != a.attname {
                    let s = Stmt::exact(
                        format!("ALTER TABLE {t} RENAME COLUMN {old} TO {new};"),
                        format!("ALTER TABLE {t} RENAME COLUMN {new} TO {old};"),
                    );
                    self.push(c.lsn, c.xid, rel.clone(), Op::Ddl, s);
                }
                if (b.atttypid, b.atttypmod, b.attcollation)
                    != (a.atttypid, a.atttypmod, a.attcollation)
                {
                    let s = match self.rels.catalog.column_type(
                        a.atttypid,
                        a.atttypmod,
                        a.attcollation,
                    ) {
                        Some(ty) => Stmt::redo_only(
                            format!("ALTER TABLE {t} ALTER COLUMN {new} TYPE {ty};"),
                            format!(
                                "converts with the type's cast: a USING expression, if the command \
                                 had one, is not in the WAL; no undo: a type change can lose \
                                 information (column {})",
                                a.attname
                            ),
                        ),
                        None => Stmt::none(format!(
                            "the new type of column {} no longer exists",
                            a.attname
                        )),
                    };
                    self.push(c.lsn, c.xid, rel.clone(), Op::Ddl, s);
                }
                if b.attnotnull != a.attnotnull {
                    let (set, unset) = if a.attnotnull { ("SET", "DROP") } else { ("DROP", "SET") };
                    let s = Stmt::exact(
                        format!("ALTER TABLE {t} ALTER COLUMN {new} {set} NOT NULL;"),
                        format!("ALTER TABLE {t} ALTER COLUMN {new} {unset} NOT NULL;"),
                    );
                    self.push(c.lsn, c.xid, rel, Op::Ddl, s);
                }
            }
            _ => {}
        }
    }

    fn add_column(&mut self, rel: &RelInfo, a: &AttributeRow) -> Stmt {
        let t = &rel.qualified;
        let mut gaps = Vec::new();
        let def = match self.column_def(a, &mut gaps) {
            Ok(d) => d,
            Err(why) => return Stmt::none(why),
        };
        let name = self.quote(&a.attname);
        let undo = format!("ALTER TABLE {t} DROP COLUMN {name};");
        let missing = a.attmissingval.as_deref().filter(|_| a.atthasmissing);
        let def = match (a.atthasdef, missing) {
            (_, Some(v)) => {
                // The rows stored before read the value the default had
                // when the column was added.
                let info = self.rels.att_info(a);
                let stored = match a.attlen {
                    -1 => Stored::Varlena(v),
                    -2 => Stored::CString(v),
                    _ => Stored::Fixed(v),
                };
                let one = RelInfo { atts: vec![info], ..rel.clone() };
                self.render.begin_row(&one);
                let lit = self.render.literal(&one.atts[0], stored);
                self.render.end_row();
                let lit = match lit {
                    Ok(l) => l,
                    Err(why) => return Stmt::none(why),
                };
                gaps.retain(|g| !g.starts_with("not reproduced: the default"));
                gaps.push(format!(
                    "the default expression of column {} is not in the WAL: the statement \
                     gives it the value the rows stored before read as",
                    a.attname
                ));
                format!("{def} DEFAULT {lit}")
            }
            (true, None) => {
                return Stmt::none(format!(
                    "column {} was added with a default computed for each row (a rewrite): \
                     its values are not in the WAL",
                    a.attname
                ))
            }
            (false, None) => def,
        };
        Stmt { redo: Some(format!("ALTER TABLE {t} ADD COLUMN {def};")), undo: Some(undo), gaps }
    }

    /// An index row: created or dropped; `None` when not reported (its
    /// table is not, or is dropped by the same transaction).
    fn index_change(
        &mut self,
        c: &Owned<IndexRow>,
        dropped: &HashSet<(u32, u32)>,
    ) -> Option<IndexRowOf> {
        let row = c.after.as_ref().or(c.before.as_ref())?;
        let creating = match (&c.before, &c.after) {
            (None, Some(_)) => true,
            (Some(_), None) => false,
            _ => return None,
        };
        let top = self.xacts.top_of(c.xid);
        if !creating && dropped.contains(&(row.indrelid, top)) {
            return None;
        }
        // The table as it was then, and the index's own pg_class row
        // (made just before the pg_index row, gone just after).
        let at = if creating { Lsn(c.lsn.0 + 1) } else { c.lsn };
        let table = self.class_at(row.indrelid, at, c.xid).filter(reported)?;
        let index = self.class_at(
            row.indexrelid,
            if creating { at } else { Lsn(c.lsn.0.saturating_sub(1)) },
            c.xid,
        );
        let rel = self.named(&table, at, c.xid).ok()?;
        // A unique index may be a constraint's: the catalog now knows, for
        // an index that still exists.
        let constraint = match (row.indisprimary, row.indisunique) {
            (true, _) => Some(Some(CONSTRAINT_PRIMARY)),
            (false, true) => self.rels.catalog.index_constraint(row.indexrelid),
            (false, false) => Some(None),
        };
        let def = match &index {
            Some(ix) => self.index_definition(row, ix, constraint, (&table, &rel), (at, c.xid)),
            None => Err("the index's catalog row is not in the WAL read".into()),
        };
        let drop = match &index {
            Some(ix) if matches!(constraint, Some(Some(_))) => {
                format!(
                    "ALTER TABLE {} DROP CONSTRAINT {};",
                    rel.qualified,
                    self.quote(&ix.relname)
                )
            }
            Some(ix) => {
                format!("DROP INDEX {}.{};", self.quote(&rel.schema), self.quote(&ix.relname))
            }
            None => String::new(),
        };
        let s = match (creating, &def) {
            _ if index.is_none() => Stmt::none("the index's catalog row is not in the WAL read"),
            (true, Ok((sql, gaps))) => {
                Stmt { redo: Some(sql.clone()), undo: Some(drop), gaps: gaps.clone() }
            }
            (true, Err(why)) => Stmt::none(why.clone()),
            (false, Ok((sql, gaps))) => {
                Stmt { redo: Some(drop), undo: Some(sql.clone()), gaps: gaps.clone() }
            }
            (false, Err(why)) => Stmt::redo_only(drop, format!("no undo: {why}")),
        };
        let shared = def.ok().filter(|(_, g)| g.is_empty()).map(|(sql, _)| sql);
        Some((row_of(c.lsn, c.xid, rel, Op::Ddl, s), row.indrelid, creating, shared))
    }

    /// The statement that creates index `ix` (`pg_index` row `i`) on
    /// `table`, as the constraint it belongs to (`constraint`: its type;
    /// `None` when not known), with what it does not reproduce.
    fn index_definition(
        &mut self,
        i: &IndexRow,
        ix: &ClassRow,
        constraint: Option<Option<u8>>,
        (table, rel): (&ClassRow, &RelInfo),
        (at, xid): (Lsn, u32),
    ) -> Result<(String, Vec<String>), String> {
        let am = INDEX_AMS
            .iter()
            .find(|(oid, _)| *oid == ix.relam)
            .map(|(_, name)| *name)
            .ok_or("its access method is not a built-in one")?;
        if i.has_exprs || i.has_pred || i.indisexclusion {
            return Err(
                "its expressions, predicate or exclusion operators are not reproduced".into()
            );
        }
        let mut gaps = Vec::new();
        if ix.has_reloptions || ix.reltablespace != 0 {
            gaps.push("not reproduced: the index's storage parameters or tablespace".into());
        }
        let mut keys = Vec::new();
        let mut included = Vec::new();
        let mut ordered = false;
        for (k, &attnum) in i.indkey.iter().enumerate() {
            let att = self
                .attribute_at(table.oid, attnum, at, xid)
                .ok_or("an indexed column is not known")?;
            let name = self.quote(&att.attname);
            if k >= i.indnkeyatts as usize {
                included.push(name);
                continue;
            }
            let opclass = i.indclass.get(k).copied().unwrap_or(0);
            if self.rels.catalog.default_opclass(att.atttypid, ix.relam) != Some(opclass) {
                return Err(format!(
                    "column {} uses an operator class that is not its type's default",
                    att.attname
                ));
            }
            if i.indcollation.get(k).copied().unwrap_or(0) != att.attcollation {
                return Err(format!("column {} is indexed with another collation", att.attname));
            }
            let opt = i.indoption.get(k).copied().unwrap_or(0);
            ordered |= opt != 0;
            let mut key = name;
            let desc = opt & INDOPTION_DESC != 0;
            let nulls_first = opt & INDOPTION_NULLS_FIRST != 0;
            if desc {
                key.push_str(" DESC");
            }
            if nulls_first != desc {
                key.push_str(if nulls_first { " NULLS FIRST" } else { " NULLS LAST" });
            }
            keys.push(key);
        }
        let include = if included.is_empty() {
            String::new()
        } else {
            format!(" INCLUDE ({})", included.join(", "))
        };
        let nnd = if i.indnullsnotdistinct { " NULLS NOT DISTINCT" } else { "" };
        let name = self.quote(&ix.relname);
        let sql = if let Some(Some(contype)) = constraint {
            let kind = match contype {
                CONSTRAINT_PRIMARY => "PRIMARY KEY",
                CONSTRAINT_UNIQUE => "UNIQUE",
                _ => return Err("an exclusion constraint's index".into()),
            };
            if ordered || am != "btree" {
                return Err(format!("a {kind} constraint with ordering options"));
            }
            let nnd = if contype == CONSTRAINT_UNIQUE { nnd } else { "" };
            format!(
                "ALTER TABLE {} ADD CONSTRAINT {name} {kind}{nnd} ({}){include};",
                rel.qualified,
                keys.join(", ")
            )
        } else {
            if constraint.is_none() {
                gaps.push(format!(
                    "whether unique index {} belonged to a UNIQUE constraint is not known now \
                     that it is gone (the statement creates the index alone)",
                    ix.relname
                ));
            }
            let unique = if i.indisunique { "UNIQUE " } else { "" };
            format!(
                "CREATE {unique}INDEX {name} ON {} USING {am} ({}){include}{nnd};",
                rel.qualified,
                keys.join(", ")
            )
        };
        Ok((sql, gaps))
    }

    /// Column `attnum` of relation `relid` as `xid` saw it at `lsn`.
    fn attribute_at(
        &mut self,
        relid: u32,
        attnum: i16,
        lsn: Lsn,
        xid: u32,
    ) -> Option<AttributeRow> {
        let at = Snapshot { lsn, reader: self.xacts.top_of(xid), xacts: self.xacts };
        self.rels.attribute_then(relid, attnum, at)
    }
}

fn row_of(lsn: Lsn, xid: u32, relation: Rc<RelInfo>, op: Op, s: Stmt) -> DdlRow {
    let complete = s.redo.is_some() && s.undo.is_some() && s.gaps.is_empty();
    let info = (!s.gaps.is_empty()).then(|| s.gaps.join("; "));
    DdlRow { lsn, xid, relation, op, redo: s.redo, undo: s.undo, complete, info }
}

/// The statements of a TRUNCATE.
fn truncate(rel: &RelInfo) -> Stmt {
    Stmt::redo_only(
        format!("TRUNCATE ONLY {};", rel.qualified),
        "no undo: the rows a TRUNCATE removes are not in the WAL",
    )
}

/// A TRUNCATE done in place (a table created or truncated earlier in the
/// same transaction keeps its file and loses its blocks).
pub fn truncate_in_place(lsn: Lsn, xid: u32, rel: Rc<RelInfo>) -> DdlRow {
    let s = truncate(&rel);
    row_of(lsn, xid, rel, Op::Truncate, s)
}
