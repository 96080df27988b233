//! Heap page tracking: keeps the content of heap pages from their full-page
//! images and applies heap redo to them (a port of the page edits of
//! `heap_xlog_*` in heapam.c and of `heap_page_prune_execute`), so that the
//! old row version of an UPDATE or DELETE — which WAL at `wal_level =
//! replica` does not carry — can be read from the page as it was. Each
//! heap record yields the row changes it describes ([`HeapChange`]).
//! Tuples are split into columns by [`tuple`]; values kept out of line are
//! known by their TOAST pointers ([`toast`]).

pub mod check;
pub mod edit;
pub mod mask;
pub mod page;
pub mod redo;
pub mod store;
pub mod toast;
pub mod tuple;

pub use redo::{apply, no_live_tuples, page_read, ChangeKind, HeapChange, LiveTuple};
pub use store::{io_error, PageKey, PageStore};

#[cfg(test)]
mod tests;
