//! Builds the redo and undo statements of one row change from the
//! rendered values of the old and new row. Statements change exactly one
//! row: by key where the table has one, otherwise by the `ctid` of one row
//! whose every written column is binary-identical to the old values.

use super::catalog::RelInfo;

/// A column's value in one row, rendered as SQL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    /// An SQL expression (a literal with its cast).
    Lit(String),
    /// Could not be recovered; the reason, which names the stored value
    /// (two equal reasons mean the same value: an UPDATE that kept a TOAST
    /// pointer kept the value).
    Unavailable(String),
    /// Recovered but not written (the renderer refused it: a column the
    /// role may not read, a type dropped since); the reason. Whether two
    /// of them are the same value is not known.
    Withheld(String),
}

/// The kind of row change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Insert,
    Update,
    Delete,
    /// A change of a table's definition.
    Ddl,
    Truncate,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Insert => "INSERT",
            Op::Update => "UPDATE",
            Op::Delete => "DELETE",
            Op::Ddl => "DDL",
            Op::Truncate => "TRUNCATE",
        }
    }
}

/// Redo and undo SQL of one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statements {
    pub redo: String,
    pub undo: String,
}

fn need<'a>(rel: &RelInfo, vals: &'a [Value], i: usize) -> Result<Option<&'a str>, String> {
    match vals.get(i) {
        Some(Value::Null) => Ok(None),
        Some(Value::Lit(s)) => Ok(Some(s)),
        Some(Value::Unavailable(why) | Value::Withheld(why)) => Err(why.clone()),
        None => Err(format!(
            "no value for column {} of {}",
            rel.atts.get(i).map_or("?", |a| a.name.as_str()),
            rel.qualified
        )),
    }
}

/// Appends `parts` joined by `sep` to `out`.
fn join_into<'a>(out: &mut String, parts: impl IntoIterator<Item = &'a str>, sep: &str) {
    for (n, p) in parts.into_iter().enumerate() {
        if n > 0 {
            out.push_str(sep);
        }
        out.push_str(p);
    }
}

fn insert(rel: &RelInfo, vals: &[Value]) -> Result<String, String> {
    let mut cols = Vec::with_capacity(rel.atts.len());
    let mut lits = Vec::with_capacity(rel.atts.len());
    let mut overriding = false;
    for (i, att) in rel.atts.iter().enumerate() {
        if !att.written() {
            continue;
        }
        cols.push(att.quoted_name.as_str());
        lits.push(need(rel, vals, i)?.unwrap_or("NULL"));
        overriding |= att.identity_always;
    }
    let mut s = String::with_capacity(
        32 + rel.qualified.len() + cols.iter().chain(&lits).map(|p| p.len() + 2).sum::<usize>(),
    );
    s.push_str("INSERT INTO ");
    s.push_str(&rel.qualified);
    if cols.is_empty() {
        s.push_str(" DEFAULT VALUES;");
        return Ok(s);
    }
    s.push_str(" (");
    join_into(&mut s, cols, ", ");
    s.push(')');
    if overriding {
        s.push_str(" OVERRIDING SYSTEM VALUE");
    }
    s.push_str(" VALUES (");
    join_into(&mut s, lits, ", ");
    s.push_str(");");
    Ok(s)
}

/// Equality of built-in types, schema-qualified: an unqualified `=` is
/// looked up along the replaying session's `search_path`, where anyone who
/// may create an operator could put one that runs their code.
pub const BUILTIN_EQ: &str = "OPERATOR(pg_catalog.=)";

/// Appends a condition that selects exactly the one row whose values are
/// `vals` to `out`.
fn identify(out: &mut String, rel: &RelInfo, vals: &[Value]) -> Result<(), String> {
    if !rel.key.is_empty() {
        for (n, &k) in rel.key.iter().enumerate() {
            let att = rel.atts.get(k).ok_or("key column out of range")?;
            if n > 0 {
                out.push_str(" AND ");
            }
            out.push_str(&att.quoted_name);
            match need(rel, vals, k)? {
                Some(l) => {
                    out.push(' ');
                    out.push_str(att.eq_op.as_deref().unwrap_or(BUILTIN_EQ));
                    out.push(' ');
                    out.push_str(l);
                }
                None => out.push_str(" IS NULL"),
            }
        }
        return Ok(());
    }
    out.push_str("ctid ");
    out.push_str(BUILTIN_EQ);
    out.push_str(" (SELECT ctid FROM ");
    out.push_str(&rel.qualified);
    out.push_str(" WHERE ");
    let mut any = false;
    for (i, att) in rel.atts.iter().enumerate() {
        if !att.written() {
            continue;
        }
        if any {
            out.push_str(" AND ");
        }
        any = true;
        match (need(rel, vals, i)?, &att.send_fn) {
            (None, _) => {
                out.push_str(&att.quoted_name);
                out.push_str(" IS NULL");
            }
            (Some(l), Some(send)) => {
                for (n, arg) in [att.quoted_name.as_str(), l].into_iter().enumerate() {
                    if n > 0 {
                        out.push(' ');
                        out.push_str(BUILTIN_EQ);
                        out.push(' ');
                    }
                    out.push_str(send);
                    out.push('(');
                    out.push_str(arg);
                    out.push(')');
                }
            }
            (Some(l), None) => {
                out.push_str(&att.quoted_name);
                out.push(' ');
                out.push_str(BUILTIN_EQ);
                out.push(' ');
                out.push_str(l);
            }
        }
    }
    if !any {
        out.push_str("true");
    }
    out.push_str(" LIMIT 1)");
    Ok(())
}

/// About how long the condition [`identify`] writes is: room for it, so
/// a statement is built without growing.
fn identify_len(rel: &RelInfo, vals: &[Value]) -> usize {
    let lit = |i: usize| match vals.get(i) {
        Some(Value::Lit(l)) => l.len(),
        _ => 4,
    };
    let column = |i: usize| {
        let att = rel.atts.get(i);
        let name = att.map_or(0, |a| a.quoted_name.len());
        let send = att.and_then(|a| a.send_fn.as_ref()).map_or(0, String::len);
        2 * (name + send) + lit(i) + BUILTIN_EQ.len() + 12
    };
    if rel.key.is_empty() {
        48 + rel.qualified.len() + (0..rel.atts.len()).map(column).sum::<usize>()
    } else {
        rel.key.iter().map(|&k| column(k)).sum()
    }
}

/// `DELETE FROM t WHERE <the row of vals>;`
fn delete(rel: &RelInfo, vals: &[Value]) -> Result<String, String> {
    let mut s = String::with_capacity(24 + rel.qualified.len() + identify_len(rel, vals));
    s.push_str("DELETE FROM ");
    s.push_str(&rel.qualified);
    s.push_str(" WHERE ");
    identify(&mut s, rel, vals)?;
    s.push(';');
    Ok(s)
}

fn update(rel: &RelInfo, from: &[Value], to: &[Value]) -> Result<String, String> {
    let mut sets: Vec<(&str, &str)> = Vec::new();
    for (i, att) in rel.atts.iter().enumerate() {
        if !att.written() {
            continue;
        }
        // Unchanged columns are left alone: they may be TOASTed and unknown
        // (an unavailable value's reason names the stored value, so equal
        // reasons mean the same value). A withheld value may have changed.
        let withheld = |v: Option<&Value>| matches!(v, Some(Value::Withheld(_)));
        if from.get(i) == to.get(i) && !withheld(from.get(i)) {
            continue;
        }
        let new = need(rel, to, i)?;
        if att.identity_always {
            return Err(format!(
                "column {} is GENERATED ALWAYS AS IDENTITY and changed; it cannot be set by UPDATE",
                att.name
            ));
        }
        sets.push((&att.quoted_name, new.unwrap_or("NULL")));
    }
    if sets.is_empty() {
        // A no-op UPDATE still is a change: assign a column to itself.
        let att = rel
            .atts
            .iter()
            .find(|a| a.written() && !a.identity_always)
            .ok_or("no column can be updated")?;
        sets.push((&att.quoted_name, &att.quoted_name));
    }
    let mut s = String::with_capacity(
        24 + rel.qualified.len()
            + sets.iter().map(|(c, v)| c.len() + v.len() + 5).sum::<usize>()
            + identify_len(rel, from),
    );
    s.push_str("UPDATE ");
    s.push_str(&rel.qualified);
    s.push_str(" SET ");
    for (n, (col, val)) in sets.into_iter().enumerate() {
        if n > 0 {
            s.push_str(", ");
        }
        s.push_str(col);
        s.push_str(" = ");
        s.push_str(val);
    }
    s.push_str(" WHERE ");
    identify(&mut s, rel, from)?;
    s.push(';');
    Ok(s)
}

/// The redo and undo statements of a change; `Err` with the reason when a
/// value they need is unavailable.
pub fn statements(
    rel: &RelInfo,
    op: Op,
    old: Option<&[Value]>,
    new: Option<&[Value]>,
) -> Result<Statements, String> {
    let missing = |which: &str| format!("the {which} row could not be recovered");
    match op {
        Op::Insert => {
            let new = new.ok_or_else(|| missing("new"))?;
            Ok(Statements { redo: insert(rel, new)?, undo: delete(rel, new)? })
        }
        Op::Delete => {
            let old = old.ok_or_else(|| missing("old"))?;
            Ok(Statements { redo: delete(rel, old)?, undo: insert(rel, old)? })
        }
        Op::Update => {
            let old = old.ok_or_else(|| missing("old"))?;
            let new = new.ok_or_else(|| missing("new"))?;
            Ok(Statements { redo: update(rel, old, new)?, undo: update(rel, new, old)? })
        }
        Op::Ddl | Op::Truncate => Err(format!(
            "{} is not a row change: its statements come from the catalog",
            op.as_str()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::tuple::AttrDesc;
    use crate::mine::catalog::AttInfo;

    fn att(name: &str) -> AttInfo {
        AttInfo {
            attnum: 0,
            name: name.into(),
            quoted_name: format!("\"{name}\""),
            layout: AttrDesc { attlen: 4, attalign: b'i', attbyval: true, dropped: false },
            typid: 23,
            typmod: -1,
            generated: false,
            identity_always: false,
            missing: None,
            send_fn: Some("pg_catalog.int4send".into()),
            eq_op: None,
        }
    }

    fn rel(key: Vec<usize>) -> RelInfo {
        let mut dropped = att("........pg.dropped.2........");
        dropped.layout.dropped = true;
        let mut gen = att("g");
        gen.generated = true;
        RelInfo {
            oid: 1,
            schema: "s".into(),
            name: "t".into(),
            qualified: "\"s\".\"t\"".into(),
            atts: vec![att("id"), dropped, att("v"), gen],
            key,
            gone: false,
        }
    }

    fn lit(s: &str) -> Value {
        Value::Lit(format!("'{s}'::integer"))
    }

    #[test]
    fn insert_and_delete_by_key() {
        let r = rel(vec![0]);
        let row = [lit("1"), Value::Null, Value::Null, lit("9")];
        let s = statements(&r, Op::Insert, None, Some(&row)).unwrap();
        assert_eq!(s.redo, "INSERT INTO \"s\".\"t\" (\"id\", \"v\") VALUES ('1'::integer, NULL);");
        assert_eq!(
            s.undo,
            "DELETE FROM \"s\".\"t\" WHERE \"id\" OPERATOR(pg_catalog.=) '1'::integer;"
        );
        let d = statements(&r, Op::Delete, Some(&row), None).unwrap();
        assert_eq!(d.redo, s.undo);
        assert_eq!(d.undo, s.redo);
    }

    #[test]
    fn update_without_key_uses_one_identical_row() {
        let r = rel(vec![]);
        let old = [lit("1"), Value::Null, lit("2"), lit("0")];
        let new = [lit("1"), Value::Null, Value::Null, lit("0")];
        let s = statements(&r, Op::Update, Some(&old), Some(&new)).unwrap();
        assert_eq!(
            s.redo,
            "UPDATE \"s\".\"t\" SET \"v\" = NULL WHERE ctid OPERATOR(pg_catalog.=) (SELECT ctid FROM \"s\".\"t\" WHERE \
             pg_catalog.int4send(\"id\") OPERATOR(pg_catalog.=) pg_catalog.int4send('1'::integer) AND \
             pg_catalog.int4send(\"v\") OPERATOR(pg_catalog.=) pg_catalog.int4send('2'::integer) LIMIT 1);"
        );
        assert!(s.undo.starts_with(
            "UPDATE \"s\".\"t\" SET \"v\" = '2'::integer WHERE ctid OPERATOR(pg_catalog.=) "
        ));
        assert!(s.undo.contains("\"v\" IS NULL"));
    }

    #[test]
    fn identity_and_unavailable_values() {
        let mut r = rel(vec![0]);
        r.atts[0].identity_always = true;
        let row = [lit("1"), Value::Null, lit("5"), Value::Null];
        let s = statements(&r, Op::Insert, None, Some(&row)).unwrap();
        assert!(s.redo.contains(") OVERRIDING SYSTEM VALUE VALUES ("), "{}", s.redo);
        let bad = [lit("1"), Value::Null, Value::Unavailable("toasted".into()), Value::Null];
        assert_eq!(statements(&r, Op::Delete, Some(&bad), None).unwrap_err(), "toasted");
        // Unchanged unavailable columns do not matter to an UPDATE by key.
        let new = [lit("1"), Value::Null, Value::Unavailable("toasted".into()), lit("3")];
        let old = [lit("1"), Value::Null, Value::Unavailable("toasted".into()), lit("2")];
        let s = statements(&r, Op::Update, Some(&old), Some(&new)).unwrap();
        assert_eq!(s.redo, "UPDATE \"s\".\"t\" SET \"v\" = \"v\" WHERE \"id\" OPERATOR(pg_catalog.=) '1'::integer;");
        assert_eq!(
            statements(&r, Op::Update, None, Some(&new)).unwrap_err(),
            "the old row could not be recovered"
        );
        // A value that changed but cannot be read makes the UPDATE
        // incomplete, never a statement that leaves it as it was.
        let changed = [lit("1"), Value::Null, Value::Unavailable("toasted 2".into()), lit("3")];
        assert_eq!(
            statements(&r, Op::Update, Some(&old), Some(&changed)).unwrap_err(),
            "toasted 2"
        );
        // Withheld values (a column the role may not read) may differ
        // under equal reasons: the UPDATE is incomplete.
        let hidden = || Value::Withheld("no SELECT privilege on column x".into());
        let old = [lit("1"), Value::Null, hidden(), lit("3")];
        let new = [lit("1"), Value::Null, hidden(), lit("3")];
        assert_eq!(
            statements(&r, Op::Update, Some(&old), Some(&new)).unwrap_err(),
            "no SELECT privilege on column x"
        );
    }
}
