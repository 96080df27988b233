//! Who may mine WAL, and what they see. Reading WAL reads every table's
//! rows, so the functions are kept to superusers and members of
//! `pg_read_server_files`, like pg_walinspect (EXECUTE is revoked from
//! PUBLIC as well; the functions check the role themselves, so a stray
//! GRANT opens nothing). `xlogminer_contents` is also open to members of
//! `xlogminer_reader` (a role the extension creates), who see only the
//! rows of tables they may SELECT: columns they may not read make the row
//! incomplete, tables with row-level security in force and tables that no
//! longer exist are left out, and they read only the server's own WAL.

use std::collections::HashMap;
use std::ffi::CString;

use pgrx::pg_sys;
use pgrx::PgSqlErrorCode;

use crate::error::raise;

/// The role that may mine row changes of the tables it may read.
pub const READER_ROLE: &str = "xlogminer_reader";

/// Whether the current user has the privileges of `role`.
fn has_role(role: pg_sys::Oid) -> bool {
    // SAFETY: a catalog lookup on the current user, valid in a backend.
    role != pg_sys::InvalidOid && unsafe { pg_sys::has_privs_of_role(pg_sys::GetUserId(), role) }
}

/// Whether the current user may read every row of the WAL.
fn reads_everything() -> bool {
    // SAFETY: a catalog lookup on the current user.
    let superuser = unsafe { pg_sys::superuser() };
    superuser || has_role(pg_sys::Oid::from(pg_sys::ROLE_PG_READ_SERVER_FILES))
}

/// The OID of `xlogminer_reader`, if it exists.
fn reader_role() -> pg_sys::Oid {
    let name = CString::new(READER_ROLE).unwrap_or_default();
    // SAFETY: a catalog lookup; missing_ok.
    unsafe { pg_sys::get_role_oid(name.as_ptr(), true) }
}

/// Raises an ERROR unless the current user may read WAL (records and
/// statistics: every relation's, any directory's).
pub fn check_read_wal() {
    if !reads_everything() {
        raise(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            "permission denied to read WAL".into(),
            None,
            Some(
                "Only superusers and members of pg_read_server_files can read WAL records.".into(),
            ),
        );
    }
}

/// What the current user may see of `xlogminer_contents`.
pub enum Access {
    /// Every row (superusers, `pg_read_server_files`).
    All,
    /// The rows of tables this role may SELECT (`xlogminer_reader`).
    Granted(RelationAccess),
}

/// The current user's access to `xlogminer_contents` reading the server's
/// WAL (`wal_dir` NULL) or a directory; raises an ERROR when none.
pub fn contents_access(wal_dir: bool) -> Access {
    if reads_everything() {
        return Access::All;
    }
    if !has_role(reader_role()) {
        raise(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            "permission denied to mine WAL".into(),
            None,
            Some(format!(
                "Superusers and members of pg_read_server_files see every row; members of {READER_ROLE} see the rows of the tables they may read."
            )),
        );
    }
    if wal_dir {
        raise(
            PgSqlErrorCode::ERRCODE_INSUFFICIENT_PRIVILEGE,
            "permission denied to read WAL from a directory".into(),
            Some(format!("Members of {READER_ROLE} read only the server's own WAL.")),
            Some("Leave wal_dir NULL, or ask for membership in pg_read_server_files.".into()),
        );
    }
    // SAFETY: the current user, valid in a backend.
    Access::Granted(RelationAccess { user: unsafe { pg_sys::GetUserId() }, seen: HashMap::new() })
}

/// How much of a table a role may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visible {
    /// SELECT on the table.
    Table,
    /// SELECT on some of its columns only.
    Columns,
    /// Nothing: no privilege, row-level security in force, or gone.
    Hidden,
}

/// A role's SELECT privileges on tables and columns, cached for one scan.
pub struct RelationAccess {
    user: pg_sys::Oid,
    seen: HashMap<u32, Visible>,
}

impl RelationAccess {
    /// How much of relation `relid` the role may see.
    pub fn relation(&mut self, relid: u32) -> Visible {
        let user = self.user;
        *self.seen.entry(relid).or_insert_with(|| {
            let oid = pg_sys::Oid::from(relid);
            let mut missing = false;
            // SAFETY: catalog lookups that report a missing relation
            // instead of raising.
            let table = unsafe {
                pg_sys::pg_class_aclcheck_ext(oid, user, pg_sys::ACL_SELECT as _, &mut missing)
            };
            if missing {
                return Visible::Hidden;
            }
            // SAFETY: the relation exists; noError.
            let rls = unsafe { pg_sys::check_enable_rls(oid, pg_sys::InvalidOid, true) };
            if rls == pg_sys::CheckEnableRlsResult::RLS_ENABLED as i32 {
                return Visible::Hidden;
            }
            if table == pg_sys::AclResult::ACLCHECK_OK {
                return Visible::Table;
            }
            // SAFETY: as above.
            let any = unsafe {
                pg_sys::pg_attribute_aclcheck_all(
                    oid,
                    user,
                    pg_sys::ACL_SELECT as _,
                    pg_sys::AclMaskHow::ACLMASK_ANY,
                )
            };
            if any == pg_sys::AclResult::ACLCHECK_OK {
                Visible::Columns
            } else {
                Visible::Hidden
            }
        })
    }

    /// Whether the role may read column `attnum` of relation `relid`.
    pub fn column(&mut self, relid: u32, attnum: i16) -> bool {
        match self.relation(relid) {
            Visible::Table => true,
            Visible::Hidden => false,
            Visible::Columns => {
                let mut missing = false;
                // SAFETY: a catalog lookup that reports a missing column.
                let r = unsafe {
                    pg_sys::pg_attribute_aclcheck_ext(
                        pg_sys::Oid::from(relid),
                        attnum,
                        self.user,
                        pg_sys::ACL_SELECT as _,
                        &mut missing,
                    )
                };
                !missing && r == pg_sys::AclResult::ACLCHECK_OK
            }
        }
    }
}
