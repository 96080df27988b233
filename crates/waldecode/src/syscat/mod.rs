//! System catalog rows decoded from heap tuples, for rebuilding from the
//! WAL itself what the catalogs said at a given LSN: which relation a
//! file number belonged to, its name and schema, and its columns as they
//! were (names, types, lengths, alignment, dropped columns, missing
//! values), even after the table was altered, rewritten or dropped.
//!
//! Catalogs are heap tables: their tuples reach the decoder like any
//! other, from heap records and full-page images replayed by
//! [`crate::heap`]. Each row type here ([`ClassRow`], [`AttributeRow`],
//! [`NamespaceRow`], [`IndexRow`], [`TypeRow`]) deforms one such tuple
//! with its catalog's own tuple descriptor for the major version
//! ([`columns`], the one place where the catalogs' differences between
//! majors are written down) and reads the fields the miner needs, every
//! one checked against the bytes. Mapped catalogs (`pg_class` itself,
//! `pg_attribute`, `pg_type`, the shared ones) have `relfilenode` 0: their
//! file numbers are in the relation map, [`relmap`].
//!
//! Nothing here panics on any input: a tuple that does not add up is an
//! `Err` naming the catalog, the major and the column.

mod array;
pub mod columns;
mod fields;
pub mod relmap;
mod rows;

pub use columns::{Catalog, PG_ATTRIBUTE, PG_CLASS, PG_INDEX, PG_NAMESPACE, PG_TYPE};
pub use rows::{AttributeRow, ClassRow, IndexRow, NamespaceRow, TypeRow};

/// `pg_type`'s OID (`TypeRelationId`, pg_type.h).
pub const TYPE_RELATION_ID: u32 = 1247;
/// `pg_attribute`'s OID (`AttributeRelationId`, pg_attribute.h).
pub const ATTRIBUTE_RELATION_ID: u32 = 1249;
/// `pg_class`'s OID (`RelationRelationId`, pg_class.h).
pub const RELATION_RELATION_ID: u32 = 1259;
/// `pg_index`'s OID (`IndexRelationId`, pg_index.h).
pub const INDEX_RELATION_ID: u32 = 2610;
/// `pg_namespace`'s OID (`NamespaceRelationId`, pg_namespace.h).
pub const NAMESPACE_RELATION_ID: u32 = 2615;

#[cfg(test)]
mod tests;
