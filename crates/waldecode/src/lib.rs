//! waldecode: reads and decodes PostgreSQL write-ahead log without PostgreSQL.
//!
//! A record's way through the crate: a [`source::WalSource`] hands out 8 kB
//! pages; the [`reader::WalReader`] checks page headers ([`page`]),
//! reassembles records that cross pages and segments, verifies each record's
//! header and CRC-32C and hands the bytes to [`record::Decoded::decode`],
//! which splits them into block references, images ([`image`]) and main
//! data. [`rmgr`] names and describes records per resource manager and
//! parses the ones the rest acts on into typed records; [`heap`] replays
//! heap records on tracked pages and deforms tuples; [`mine`] turns the
//! row changes of a range into redo and undo SQL. Every byte is read
//! through [`bytes`]; sizes fixed by the build are in [`layout`].
//! Nothing here depends on a running server or on pgrx.

// `unsafe` only where `crc` calls its SSE 4.2 loop, after checking the CPU.
#![deny(unsafe_code)]

pub mod bytes;
mod crc;
pub mod describe;
pub mod error;
pub mod fxhash;
pub mod heap;
pub mod image;
pub mod layout;
pub mod lsn;
pub mod mine;
pub mod page;
pub mod parallel;
pub mod pipeline;
pub mod reader;
pub mod record;
pub mod rmgr;
pub mod scan;
pub mod segment;
pub mod source;
pub mod stats;
pub mod syscat;
pub mod timeline;
pub mod version;

#[cfg(test)]
pub(crate) mod testutil;

pub use error::{Result, WalError};
pub use layout::RelFileLocator;
pub use lsn::Lsn;
pub use reader::WalReader;
pub use record::{BlockRef, Record};
pub use version::PgVersion;
