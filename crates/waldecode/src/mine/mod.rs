//! Mining row changes: transaction outcomes ([`xacts`]), relations
//! ([`catalog`]) and redo/undo statements ([`sql`]). The server-side glue
//! (catalog lookups, value rendering) lives in the extension crate.

pub mod catalog;
pub mod sql;
pub mod xacts;
