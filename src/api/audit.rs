//! Scheduled audit: every committed change of the current database,
//! captured once into `xlogminer.audit_log` by `xlogminer_audit_capture()`
//! — typically a pg_cron job — with no replication slot made in advance
//! for logical decoding, no triggers and no `wal_level = logical`.
//!
//! Exactly once: a capture takes the transactions whose commit record lies
//! between the bookmark and the end of WAL it read, mining from the first
//! record of the oldest transaction still open at the bookmark (so a long
//! transaction's early rows are found when it commits), inserts the rows
//! and moves the bookmark in its own transaction: a crash anywhere loses
//! nothing and captures nothing twice. The bookmark row is locked, so two
//! captures at once run one after the other. A physical replication slot
//! keeps the WAL from the bookmark on; it is advanced only to a bookmark
//! already committed. WAL lost anyway (slot dropped or invalidated by
//! `max_slot_wal_keep_size`, segments removed) is recorded as a `GAP` row.
//!
//! The functions are for superusers and members of `xlogminer_auditor`,
//! and run as the bootstrap superuser once that is checked: they only run
//! their own fixed statements.

use std::collections::HashSet;

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;
use waldecode::mine::{Filters, Miner, Options};
use waldecode::Lsn;

use super::contents::{current_database, sql_row};
use crate::catalog::LiveCatalog;
use crate::error::{raise, raise_wal};
use crate::range::{server_end, server_oldest_lsn, Cluster, WalScan};
use crate::render::ServerRender;
use crate::types::{PgLsn, PgName, Regclass, ServerText};

/// The role that may run the audit functions and read the audit log.
const AUDITOR_ROLE: &str = "xlogminer_auditor";

/// The statements that make the audit's tables.
const CREATE_TABLES: &str = r#"
CREATE SCHEMA IF NOT EXISTS xlogminer;
CREATE TABLE IF NOT EXISTS xlogminer.audit_log (
    capture_id bigint NOT NULL,
    captured_at timestamptz NOT NULL,
    lsn pg_lsn NOT NULL,
    item integer NOT NULL,
    xid xid,
    status text,
    commit_time timestamptz,
    database name,
    schema name,
    relation name,
    op text NOT NULL,
    redo_sql text,
    undo_sql text,
    old_ctid tid,
    new_ctid tid,
    complete boolean NOT NULL,
    info text,
    PRIMARY KEY (lsn, item, op)
);
CREATE TABLE xlogminer.audit_state (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    captured_to pg_lsn NOT NULL,
    resume_lsn pg_lsn NOT NULL,
    relations oid[],
    slot_name name,
    captures bigint NOT NULL DEFAULT 0,
    last_capture_at timestamptz
);
GRANT USAGE ON SCHEMA xlogminer TO xlogminer_auditor;
GRANT SELECT ON xlogminer.audit_log, xlogminer.audit_state TO xlogminer_auditor;
"#;

/// Raises an ERROR unless the current user may run the audit.
fn check_auditor() {
    let name = std::ffi::CString::new(AUDITOR_ROLE).unwrap_or_default();
    // SAFETY: catalog lookups on the current user.
    let ok = unsafe {
        let role = pg_sys::get_role_oid(name.as_ptr(), true);
        pg_sys::superuser()
            || (role != pg_sys::InvalidOid && pg_sys::has_privs_of_role(pg_sys::GetUserId(), role))
    };
    if !ok {
        raise(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            "permission denied to run the xlogminer audit".into(),
            None,
            Some(format!("Only superusers and members of {AUDITOR_ROLE} can.")),
        );
    }
}

/// Runs `f` as the bootstrap superuser; the caller's identity comes back
/// afterwards (and, after an ERROR, with the transaction's abort).
fn as_superuser<T>(f: impl FnOnce() -> T) -> T {
    let mut user = pg_sys::InvalidOid;
    let mut context = 0;
    // SAFETY: saves and sets the backend's current user, as SECURITY
    // DEFINER functions do.
    unsafe {
        pg_sys::GetUserIdAndSecContext(&mut user, &mut context);
        pg_sys::SetUserIdAndSecContext(
            pg_sys::Oid::from(pg_sys::BOOTSTRAP_SUPERUSERID),
            context | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32,
        );
    }
    let r = f();
    // SAFETY: restores what was saved above.
    unsafe { pg_sys::SetUserIdAndSecContext(user, context) };
    r
}

fn spi_error(e: pgrx::spi::SpiError) -> ! {
    raise(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, format!("audit: {e}"), None, None)
}

/// The audit's slot for this database.
fn slot_name() -> String {
    // SAFETY: set at backend start.
    format!("xlogminer_audit_{}", unsafe { pg_sys::MyDatabaseId }.to_u32())
}

/// The bookmark, locked for this transaction.
struct State {
    captured_to: Lsn,
    resume: Lsn,
    relations: Option<Vec<pg_sys::Oid>>,
    slot: Option<String>,
    captures: i64,
}

fn audit_enabled() -> bool {
    Spi::get_one::<bool>("SELECT to_regclass('xlogminer.audit_state') IS NOT NULL")
        .unwrap_or_else(|e| spi_error(e))
        .unwrap_or(false)
}

fn lock_state() -> State {
    if !audit_enabled() {
        raise(
            PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            "the xlogminer audit is not enabled in this database".into(),
            None,
            Some("Run SELECT xlogminer_audit_enable(); first.".into()),
        );
    }
    Spi::connect_mut(|c| {
        let t = c
            .update(
                "SELECT captured_to, resume_lsn, relations, slot_name::text, captures \
                 FROM xlogminer.audit_state FOR UPDATE",
                Some(1),
                &[],
            )?
            .first();
        Ok::<_, pgrx::spi::SpiError>(State {
            captured_to: t.get::<PgLsn>(1)?.map_or(Lsn::INVALID, Lsn::from),
            resume: t.get::<PgLsn>(2)?.map_or(Lsn::INVALID, Lsn::from),
            relations: t.get::<Vec<pg_sys::Oid>>(3)?,
            slot: t.get::<String>(4)?,
            captures: t.get::<i64>(5)?.unwrap_or(0),
        })
    })
    .unwrap_or_else(|e| spi_error(e))
}

/// Creates the audit log and its bookmark (capturing from now on) and,
/// with `retain_wal`, a physical replication slot that keeps the WAL not
/// captured yet.
#[pg_extern(volatile)]
fn xlogminer_audit_enable(
    relations: default!(Option<Vec<Regclass>>, "NULL"),
    retain_wal: default!(bool, "true"),
) -> String {
    check_auditor();
    as_superuser(|| {
        if audit_enabled() {
            raise(
                PgSqlErrorCode::ERRCODE_DUPLICATE_OBJECT,
                "the xlogminer audit is already enabled in this database".into(),
                None,
                Some(
                    "xlogminer_audit_disable() removes it (keep_log => true keeps the log).".into(),
                ),
            );
        }
        Spi::run(CREATE_TABLES).unwrap_or_else(|e| spi_error(e));
        let slot = retain_wal.then(slot_name);
        if let Some(s) = &slot {
            Spi::run_with_args(
                "SELECT pg_create_physical_replication_slot($1, true)",
                &[DatumWithOid::from(s.as_str())],
            )
            .unwrap_or_else(|e| spi_error(e));
        }
        let here = PgLsn(server_end().0 .0);
        let oids: Option<Vec<pg_sys::Oid>> =
            relations.map(|v| v.into_iter().map(|r| r.0).collect());
        Spi::run_with_args(
            "INSERT INTO xlogminer.audit_state (captured_to, resume_lsn, relations, slot_name) \
             VALUES ($1, $1, $2, $3)",
            &[DatumWithOid::from(here), DatumWithOid::from(oids), DatumWithOid::from(slot.clone())],
        )
        .unwrap_or_else(|e| spi_error(e));
        match slot {
            Some(s) => format!("audit enabled from {}; WAL kept by slot {s}", Lsn::from(here)),
            None => format!("audit enabled from {}; no slot keeps the WAL", Lsn::from(here)),
        }
    })
}

/// Captures what committed since the last capture into
/// `xlogminer.audit_log`; returns the number of rows captured.
#[pg_extern(volatile)]
fn xlogminer_audit_capture() -> i64 {
    check_auditor();
    as_superuser(capture)
}

fn capture() -> i64 {
    let state = lock_state();
    let id = state.captures + 1;
    if let Some(slot) = &state.slot {
        advance_slot(slot, state.resume);
    }
    let (to, _) = server_end();
    let mut resume = state.resume;
    let mut inserted = 0;
    let oldest = server_oldest_lsn();
    if resume < oldest {
        insert_gap(id, resume, oldest);
        inserted += 1;
        resume = oldest;
    }
    let (captured_to, next_resume) = if resume >= to {
        (to.max(state.captured_to), to.max(state.resume))
    } else {
        let excluded = audit_tables();
        let filters = Filters {
            relations: state.relations.map(|v| v.into_iter().map(|o| o.to_u32()).collect()),
            excluded,
            committed_from: Some(state.captured_to),
            ..Filters::default()
        };
        let options = Options {
            page_cache_bytes: crate::page_cache_bytes(),
            max_transactions: crate::max_transactions(),
            spill: crate::spill::temp_file,
            wal_end: to,
            ..Options::default()
        };
        let scan = WalScan::open(Some(PgLsn(resume.0)), Some(PgLsn(to.0)), None, Cluster::ThisOnly);
        let mut miner = Miner::new(
            scan.into_scan(),
            filters,
            LiveCatalog::new(),
            ServerRender::default(),
            options,
        )
        .unwrap_or_else(|e| raise_wal(e));
        let database = PgName(current_database());
        inserted += insert_rows(id, &database, &mut miner);
        let end = miner.end();
        // The oldest transaction still open (or prepared) at the end; one
        // that was open in the WAL but is neither running nor committed
        // now ended in a crash.
        let open = miner
            .open_transactions()
            .into_iter()
            .filter(|&(x, _)| still_open(x))
            .map(|(_, first)| first)
            .min();
        (end, open.unwrap_or(end).min(end))
    };
    Spi::run_with_args(
        "UPDATE xlogminer.audit_state SET captured_to = $1, resume_lsn = $2, \
         captures = $3, last_capture_at = now()",
        &[
            DatumWithOid::from(PgLsn(captured_to.0)),
            DatumWithOid::from(PgLsn(next_resume.0)),
            DatumWithOid::from(id),
        ],
    )
    .unwrap_or_else(|e| spi_error(e));
    inserted
}

/// Whether transaction `xid` may still commit.
fn still_open(xid: u32) -> bool {
    let x = pg_sys::TransactionId::from(xid);
    // SAFETY: procarray and commit log lookups.
    unsafe { pg_sys::TransactionIdIsInProgress(x) || pg_sys::TransactionIdDidCommit(x) }
}

/// The OIDs of the audit's own tables: their rows are never captured.
fn audit_tables() -> HashSet<u32> {
    ["xlogminer.audit_log", "xlogminer.audit_state"]
        .iter()
        .filter_map(|t| {
            Spi::get_one_with_args::<pg_sys::Oid>(
                "SELECT to_regclass($1)::oid",
                &[DatumWithOid::from(*t)],
            )
            .ok()
            .flatten()
            .map(|o| o.to_u32())
        })
        .collect()
}

/// Moves the slot's restart point up to `to` (never back).
fn advance_slot(slot: &str, to: Lsn) {
    let restart = Spi::get_one_with_args::<PgLsn>(
        "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = $1",
        &[DatumWithOid::from(slot)],
    )
    .unwrap_or_else(|e| spi_error(e));
    if restart.is_some_and(|r| Lsn::from(r) < to) {
        Spi::run_with_args(
            "SELECT pg_replication_slot_advance($1, $2)",
            &[DatumWithOid::from(slot), DatumWithOid::from(PgLsn(to.0))],
        )
        .unwrap_or_else(|e| spi_error(e));
    }
}

const INSERT_ROW: &str = "INSERT INTO xlogminer.audit_log VALUES \
    ($1, now(), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)";

/// Inserts every row the miner gives; returns how many.
fn insert_rows<S, C, R>(id: i64, database: &PgName, miner: &mut Miner<S, C, R>) -> i64
where
    S: waldecode::source::WalSource,
    C: waldecode::mine::Catalog,
    R: waldecode::mine::Render,
{
    let mut n = 0;
    Spi::connect_mut(|c| {
        use pg_sys::PgBuiltInOids as T;
        let types = [
            T::INT8OID,
            T::PG_LSNOID,
            T::INT4OID,
            T::XIDOID,
            T::TEXTOID,
            T::TIMESTAMPTZOID,
            T::NAMEOID,
            T::NAMEOID,
            T::NAMEOID,
            T::TEXTOID,
            T::TEXTOID,
            T::TEXTOID,
            T::TIDOID,
            T::TIDOID,
            T::BOOLOID,
            T::TEXTOID,
        ]
        .map(pg_sys::PgOid::BuiltIn);
        let insert = c.prepare_mut(INSERT_ROW, &types)?;
        while let Some(row) = miner.next_row().unwrap_or_else(|e| raise_wal(e)) {
            crate::progress::row(row.commit_time);
            let r = sql_row(database, row);
            c.update(
                &insert,
                None,
                &[
                    DatumWithOid::from(id),
                    DatumWithOid::from(r.0),
                    DatumWithOid::from(r.1),
                    DatumWithOid::from(r.2),
                    DatumWithOid::from(r.3),
                    DatumWithOid::from(r.4),
                    DatumWithOid::from(r.5),
                    DatumWithOid::from(r.6),
                    DatumWithOid::from(r.7),
                    DatumWithOid::from(r.8),
                    DatumWithOid::from(r.9),
                    DatumWithOid::from(r.10),
                    DatumWithOid::from(r.11),
                    DatumWithOid::from(r.12),
                    DatumWithOid::from(r.13),
                    DatumWithOid::from(r.14),
                ],
            )?;
            n += 1;
        }
        Ok::<_, pgrx::spi::SpiError>(())
    })
    .unwrap_or_else(|e| spi_error(e));
    n
}

/// Records WAL lost before it was captured.
fn insert_gap(id: i64, from: Lsn, to: Lsn) {
    let info = format!(
        "WAL from {from} to {to} was removed before it was captured (the slot was dropped or \
         invalidated, or segments were removed): changes of transactions that wrote there are \
         missing, or come back incomplete"
    );
    Spi::run_with_args(
        "INSERT INTO xlogminer.audit_log (capture_id, captured_at, lsn, item, op, complete, info) \
         VALUES ($1, now(), $2, 0, 'GAP', false, $3)",
        &[
            DatumWithOid::from(id),
            DatumWithOid::from(PgLsn(from.0)),
            DatumWithOid::from(ServerText(info)),
        ],
    )
    .unwrap_or_else(|e| spi_error(e));
    pgrx::warning!("xlogminer audit: WAL from {from} to {to} was lost before it was captured");
}

fn pg_cron_installed() -> bool {
    Spi::get_one::<bool>("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron')")
        .unwrap_or_else(|e| spi_error(e))
        .unwrap_or(false)
}

/// Schedules `xlogminer_audit_capture()` with pg_cron; returns the job id.
#[pg_extern(volatile)]
fn xlogminer_audit_schedule(schedule: default!(&str, "'*/5 * * * *'")) -> i64 {
    check_auditor();
    as_superuser(|| {
        if !pg_cron_installed() {
            raise(
                PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
                "pg_cron is not installed in this database".into(),
                Some("The capture is scheduled with pg_cron's cron.schedule().".into()),
                Some(
                    "Add pg_cron to shared_preload_libraries, set cron.database_name to this database, restart, then CREATE EXTENSION pg_cron; or call xlogminer_audit_capture() from any scheduler."
                        .into(),
                ),
            );
        }
        let _ = lock_state();
        Spi::get_one_with_args::<i64>(
            "SELECT cron.schedule($1, $2, 'SELECT xlogminer_audit_capture()')",
            &[DatumWithOid::from(slot_name().as_str()), DatumWithOid::from(schedule)],
        )
        .unwrap_or_else(|e| spi_error(e))
        .unwrap_or(0)
    })
}

/// Removes the pg_cron job, the slot and the bookmark; with `keep_log`
/// (the default) the audit log stays.
#[pg_extern(volatile)]
fn xlogminer_audit_disable(keep_log: default!(bool, "true")) -> String {
    check_auditor();
    as_superuser(|| {
        let state = lock_state();
        if pg_cron_installed() {
            Spi::run_with_args(
                "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = $1",
                &[DatumWithOid::from(slot_name().as_str())],
            )
            .unwrap_or_else(|e| spi_error(e));
        }
        if let Some(slot) = &state.slot {
            Spi::run_with_args(
                "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
                 WHERE slot_name = $1",
                &[DatumWithOid::from(slot.as_str())],
            )
            .unwrap_or_else(|e| spi_error(e));
        }
        Spi::run("DROP TABLE xlogminer.audit_state").unwrap_or_else(|e| spi_error(e));
        if keep_log {
            "audit disabled; xlogminer.audit_log kept".to_string()
        } else {
            Spi::run("DROP TABLE xlogminer.audit_log").unwrap_or_else(|e| spi_error(e));
            "audit disabled; audit log dropped".to_string()
        }
    })
}
