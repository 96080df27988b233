//! One place where decoder errors become PostgreSQL errors with SQLSTATE,
//! detail and hint.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;
use waldecode::WalError;

/// Raises an ERROR; never returns.
pub fn raise(
    code: PgSqlErrorCode,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
) -> ! {
    let mut r = ErrorReport::new(code, message, "xlogminer");
    if let Some(d) = detail {
        r = r.set_detail(d);
    }
    if let Some(h) = hint {
        r = r.set_hint(h);
    }
    r.report(PgLogLevel::ERROR);
    unreachable!("ereport(ERROR) returned")
}

/// Sends a NOTICE with a detail; returns.
pub fn notice(message: String, detail: String) {
    ErrorReport::new(PgSqlErrorCode::ERRCODE_SUCCESSFUL_COMPLETION, message, "xlogminer")
        .set_detail(detail)
        .report(PgLogLevel::NOTICE);
}

/// Reports a WARNING with a detail and a hint.
pub fn warning(message: String, detail: String, hint: String) {
    ErrorReport::new(PgSqlErrorCode::ERRCODE_WARNING, message, "xlogminer")
        .set_detail(detail)
        .set_hint(hint)
        .report(PgLogLevel::WARNING);
}

/// Raises the ERROR for a decoder error met while reading `what`.
pub fn raise_wal(e: WalError) -> ! {
    match e {
        WalError::MissingSegment { lsn, segment } => raise(
            PgSqlErrorCode::ERRCODE_UNDEFINED_FILE,
            format!("WAL segment {segment} is missing"),
            Some(format!("It is needed to read WAL at {lsn}; later segments are present.")),
            Some(
                "Restore the segment from the archive, or pass wal_dir naming a directory that holds it."
                    .into(),
            ),
        ),
        WalError::Removed { lsn, segment } => raise(
            PgSqlErrorCode::ERRCODE_UNDEFINED_FILE,
            format!("WAL segment {segment} was removed while it was being read"),
            Some(format!("It was needed to read WAL at {lsn}; a checkpoint removed or recycled it.")),
            Some(
                "Mine a later range, or keep WAL longer (wal_keep_size, a replication slot), or pass wal_dir naming a copy or the archive."
                    .into(),
            ),
        ),
        WalError::Io { lsn, segment, source } => raise(
            PgSqlErrorCode::ERRCODE_IO_ERROR,
            format!("could not read WAL segment {segment} at {lsn}: {source}"),
            None,
            None,
        ),
        WalError::Corrupt { lsn, reason } | WalError::Image { lsn, reason, .. } => raise(
            PgSqlErrorCode::ERRCODE_DATA_CORRUPTED,
            format!("invalid WAL at {lsn}: {reason}"),
            None,
            Some("The WAL is damaged at this position. Pass an end_lsn before it to read what precedes it.".into()),
        ),
        WalError::EndOfWal { lsn, reason } => raise(
            PgSqlErrorCode::ERRCODE_DATA_CORRUPTED,
            format!("WAL ends unexpectedly at {lsn}: {reason}"),
            None,
            Some("The server reports WAL beyond this position, but no valid record is there. Pass an end_lsn before it.".into()),
        ),
        WalError::TooManyTransactions { lsn, limit } => raise(
            PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
            format!("the range holds more than {limit} transactions"),
            Some(format!("The limit was reached at {lsn}; the miner keeps every transaction's outcome in memory (32 bytes each).")),
            Some("Mine a shorter range (end_lsn, end_time), or raise xlogminer.max_transactions.".into()),
        ),
        other => raise(
            PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
            other.to_string(),
            None,
            None,
        ),
    }
}
