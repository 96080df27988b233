//! `xlogminer_undo_script` and `xlogminer_redo_script`: flash back (or
//! replay elsewhere) a transaction, or a table to a point in time, as one
//! ready-to-run script — checked before it is handed out.
//!
//! The chosen changes are the committed changes of the transaction `xid`
//! and/or of `relations`, committed between `since` and `until`. An undo
//! is only safe if nothing else touched those rows afterwards: a row
//! version a chosen change wrote that a later change not being undone
//! updated or deleted (followed by `ctid`), or a later definition change
//! of the table, is a conflict. Conflicts are listed at the top of the
//! script and make it raise an error before changing anything, unless
//! `force`. A chosen change without its statement makes the function
//! refuse, naming it.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use pgrx::datum::TimestampWithTimeZone;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;
use waldecode::mine::{Filters, MinedRow, Miner, Op, Options};

use crate::catalog::LiveCatalog;
use crate::error::{raise, raise_wal};
use crate::privileges::{contents_access, Access};
use crate::range::{Cluster, WalScan};
use crate::render::ServerRender;
use crate::types::{Regclass, ServerText};

/// Which way the script goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Undo,
    Redo,
}

/// A row version: relation, block, offset.
type Version = (u32, u32, u16);

/// The chosen changes and the later ones that conflict with undoing them.
struct Selection {
    chosen: Vec<MinedRow>,
    conflicts: Vec<MinedRow>,
}

/// Mines what the arguments select, and the changes after them.
fn select(
    xid: Option<pg_sys::TransactionId>,
    relations: Option<Vec<Regclass>>,
    since: Option<TimestampWithTimeZone>,
    until: Option<TimestampWithTimeZone>,
) -> Selection {
    if xid.is_none() && relations.is_none() && since.is_none() {
        raise(
            PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            "choose the changes: a transaction (xid), tables (relations) or a time (since)".into(),
            None,
            Some("E.g. xlogminer_undo_script(xid => '745') or xlogminer_undo_script(relations => '{orders}', since => '2026-11-27 10:42').".into()),
        );
    }
    let access = contents_access(false);
    let render = match &access {
        Access::All => ServerRender::default(),
        Access::Granted(_) => ServerRender::masking(contents_access(false)),
    };
    let until = until.map(|t| t.into_inner());
    // Every committed change from `since` on: the chosen ones, and the
    // later ones a conflict may come from.
    let filters = Filters {
        start_time: since.map(|t| t.into_inner()),
        relations: relations.map(|v| v.into_iter().map(|r| r.0.to_u32()).collect()),
        ..Filters::default()
    };
    let options = Options {
        page_cache_bytes: crate::page_cache_bytes(),
        max_transactions: crate::max_transactions(),
        start_at_first_commit: true,
        spill: crate::spill::temp_file,
        wal_end: crate::range::server_end().0,
    };
    let scan = WalScan::open(None, None, None, Cluster::ThisOnly);
    let mut miner = Miner::new(scan.into_scan(), filters, LiveCatalog::new(), render, options)
        .unwrap_or_else(|e| raise_wal(e));
    super::contents::warn_if_before_wal(since, false, &miner);
    let wanted = |r: &MinedRow| {
        xid.is_none_or(|x| x.into_inner() == r.xid)
            && until.is_none_or(|u| r.commit_time.is_some_and(|t| t <= u))
    };
    let mut chosen = Vec::new();
    let mut conflicts = Vec::new();
    // Row versions the chosen changes wrote, and tables they changed.
    let mut written: HashSet<Version> = HashSet::new();
    let mut tables: HashMap<u32, usize> = HashMap::new();
    while let Some(r) = miner.next_row().unwrap_or_else(|e| raise_wal(e)) {
        crate::progress::row(r.commit_time);
        let oid = r.relation.as_ref().map_or(0, |rel| rel.oid);
        let version = |t: Option<(u32, u16)>| t.map(|(b, o)| (oid, b, o));
        if wanted(&r) {
            written.extend(version(r.new_tid));
            *tables.entry(oid).or_default() += 1;
            chosen.push(r);
            continue;
        }
        let touches = version(r.old_tid).is_some_and(|v| written.contains(&v));
        let redefines = matches!(r.op, Op::Ddl | Op::Truncate) && tables.contains_key(&oid);
        if touches || redefines {
            // What it wrote is not ours to undo either.
            written.extend(version(r.new_tid));
            conflicts.push(r);
        }
    }
    Selection { chosen, conflicts }
}

/// One change, for a comment.
fn describe(r: &MinedRow) -> String {
    let rel = r.relation.as_ref().map_or("?".to_string(), |rel| rel.qualified.clone());
    format!("{} {} {} of {} by transaction {}", r.lsn, r.item, r.op.as_str(), rel, r.xid)
}

fn script(sel: Selection, direction: Direction, force: bool) -> String {
    let incomplete: Vec<&MinedRow> = sel
        .chosen
        .iter()
        .filter(|r| match direction {
            Direction::Undo => r.undo.is_none(),
            Direction::Redo => r.redo.is_none(),
        })
        .collect();
    if let Some(first) = incomplete.first() {
        raise(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            format!(
                "{} of the {} chosen changes have no {} statement",
                incomplete.len(),
                sel.chosen.len(),
                if direction == Direction::Undo { "undo" } else { "redo" }
            ),
            Some(format!(
                "The first: {}: {}",
                describe(first),
                first.info.as_deref().unwrap_or("no reason given")
            )),
            Some("See them with xlogminer_contents(...) WHERE NOT complete; narrow the choice to leave them out.".into()),
        );
    }
    let what = if direction == Direction::Undo { "undo" } else { "redo" };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "-- xlogminer {what} script: {} change(s), {}",
        sel.chosen.len(),
        if direction == Direction::Undo { "newest first" } else { "oldest first" }
    );
    let check = direction == Direction::Undo && !sel.conflicts.is_empty();
    if check {
        let _ = writeln!(
            s,
            "-- {} later change(s) not being undone touched the same rows or tables:",
            sel.conflicts.len()
        );
        for c in &sel.conflicts {
            let _ = writeln!(s, "--   {}", describe(c));
        }
    }
    s.push_str("BEGIN;\n");
    if check && !force {
        let _ = writeln!(
            s,
            "DO $xlogminer$ BEGIN RAISE EXCEPTION 'xlogminer undo script: {} conflicting later change(s), listed at the top; nothing was changed' USING HINT = 'Undo them too, or make the script with force => true'; END $xlogminer$;",
            sel.conflicts.len()
        );
    }
    let mut chosen = sel.chosen;
    if direction == Direction::Undo {
        chosen.reverse();
    }
    for r in chosen {
        let stmt = match direction {
            Direction::Undo => r.undo,
            Direction::Redo => r.redo,
        };
        if let Some(stmt) = stmt {
            s.push_str(&stmt);
            s.push('\n');
        }
    }
    s.push_str("COMMIT;\n");
    s
}

/// A script (`BEGIN; … COMMIT;`) that undoes the chosen committed changes,
/// newest first: those of transaction `xid` and/or of `relations`,
/// committed between `since` and `until`. Later changes to the same rows
/// make it raise an error when run, unless `force`.
#[pg_extern(volatile)]
fn xlogminer_undo_script(
    xid: default!(Option<pg_sys::TransactionId>, "NULL"),
    relations: default!(Option<Vec<Regclass>>, "NULL"),
    since: default!(Option<TimestampWithTimeZone>, "NULL"),
    until: default!(Option<TimestampWithTimeZone>, "NULL"),
    force: default!(bool, "false"),
) -> ServerText {
    ServerText(script(select(xid, relations, since, until), Direction::Undo, force))
}

/// The same choice as [`xlogminer_undo_script`], as a script that redoes
/// the changes oldest first (to replay them elsewhere).
#[pg_extern(volatile)]
fn xlogminer_redo_script(
    xid: default!(Option<pg_sys::TransactionId>, "NULL"),
    relations: default!(Option<Vec<Regclass>>, "NULL"),
    since: default!(Option<TimestampWithTimeZone>, "NULL"),
    until: default!(Option<TimestampWithTimeZone>, "NULL"),
) -> ServerText {
    ServerText(script(select(xid, relations, since, until), Direction::Redo, false))
}
