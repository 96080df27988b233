//! Who may mine WAL. Reading WAL reads every table's rows, so it is kept to
//! superusers and members of `pg_read_server_files`, like pg_walinspect
//! (EXECUTE is revoked from PUBLIC as well; this guards against grants to
//! others).

use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;

use crate::error::raise;

/// Raises an ERROR unless the current user may read WAL.
pub fn check_read_wal() {
    // SAFETY: plain catalog lookups on the current user, valid in a backend.
    let ok = unsafe {
        pg_sys::superuser()
            || pg_sys::has_privs_of_role(
                pg_sys::GetUserId(),
                pg_sys::Oid::from(pg_sys::ROLE_PG_READ_SERVER_FILES),
            )
    };
    if !ok {
        raise(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            "permission denied to read WAL".into(),
            None,
            Some("Only superusers and members of pg_read_server_files can mine WAL.".into()),
        );
    }
}
