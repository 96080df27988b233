//! The tuple descriptors of the catalogs this module reads, for every
//! major version: the one place where their differences live. Each table
//! follows its catalog header (`FormData_pg_class` in `pg_class.h`, …),
//! column by column, and says in which majors each column exists; the
//! fixture test compares every table with the live `pg_attribute` rows of
//! a server of each major (`fixtures/syscat/pgNN/columns.tsv`).
//!
//! | major | change |
//! |---|---|
//! | 15 | `pg_index.indnullsnotdistinct` added after `indisunique` |
//! | 16 | `pg_attribute`: `attstattarget` moved after `attinhcount` as int2, `attndims` and `attinhcount` became int2, `attndims` moved after `atttypmod`; `aclitem` is 8-byte aligned (its `AclMode` became 64-bit), so every `*acl` column is `d`-aligned |
//! | 17 | `pg_attribute.attstattarget` moved after `attcollation` and became nullable |
//! | 18 | `pg_attribute.attcacheoff` removed; `pg_class.relallfrozen` added after `relallvisible` |

use std::ops::RangeInclusive;

use crate::heap::tuple::AttrDesc;
use crate::version::PgVersion;

use PgVersion::{V14, V15, V16, V17, V18};

/// A catalog column's SQL type, which fixes its storage
/// (`typlen`, `typalign`, `typbyval` in `pg_type.dat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Oid,
    /// `regproc`: a function's OID.
    Regproc,
    Xid,
    Int2,
    Int4,
    Float4,
    Bool,
    /// The one-byte `"char"`.
    Char,
    /// `NameData`: 64 bytes, NUL-padded (`NAMEDATALEN`).
    Name,
    Text,
    TextArray,
    AclItemArray,
    Int2Vector,
    OidVector,
    NodeTree,
    AnyArray,
}

impl ColumnType {
    /// How a value of this type is stored in `version`.
    pub fn storage(self, version: PgVersion) -> AttrDesc {
        let (attlen, attalign, attbyval) = match self {
            ColumnType::Oid
            | ColumnType::Regproc
            | ColumnType::Xid
            | ColumnType::Int4
            | ColumnType::Float4 => (4, b'i', true),
            ColumnType::Int2 => (2, b's', true),
            ColumnType::Bool | ColumnType::Char => (1, b'c', true),
            ColumnType::Name => (64, b'c', false),
            ColumnType::Text
            | ColumnType::TextArray
            | ColumnType::Int2Vector
            | ColumnType::OidVector
            | ColumnType::NodeTree => (-1, b'i', false),
            // An array is aligned as its element: aclitem holds a 32-bit
            // AclMode up to PG 15 and a 64-bit one from PG 16 (acl.h).
            ColumnType::AclItemArray if version <= V15 => (-1, b'i', false),
            ColumnType::AclItemArray | ColumnType::AnyArray => (-1, b'd', false),
        };
        AttrDesc { attlen, attalign, attbyval, dropped: false }
    }
}

/// One column of a catalog and the majors that have it.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
    pub majors: RangeInclusive<PgVersion>,
}

const fn all(name: &'static str, ty: ColumnType) -> Column {
    Column { name, ty, majors: V14..=V18 }
}

const fn only(name: &'static str, ty: ColumnType, majors: RangeInclusive<PgVersion>) -> Column {
    Column { name, ty, majors }
}

use ColumnType::*;

/// `FormData_pg_class` (pg_class.h).
const CLASS_COLUMNS: &[Column] = &[
    all("oid", Oid),
    all("relname", Name),
    all("relnamespace", Oid),
    all("reltype", Oid),
    all("reloftype", Oid),
    all("relowner", Oid),
    all("relam", Oid),
    all("relfilenode", Oid),
    all("reltablespace", Oid),
    all("relpages", Int4),
    all("reltuples", Float4),
    all("relallvisible", Int4),
    only("relallfrozen", Int4, V18..=V18),
    all("reltoastrelid", Oid),
    all("relhasindex", Bool),
    all("relisshared", Bool),
    all("relpersistence", Char),
    all("relkind", Char),
    all("relnatts", Int2),
    all("relchecks", Int2),
    all("relhasrules", Bool),
    all("relhastriggers", Bool),
    all("relhassubclass", Bool),
    all("relrowsecurity", Bool),
    all("relforcerowsecurity", Bool),
    all("relispopulated", Bool),
    all("relreplident", Char),
    all("relispartition", Bool),
    all("relrewrite", Oid),
    all("relfrozenxid", Xid),
    all("relminmxid", Xid),
    all("relacl", AclItemArray),
    all("reloptions", TextArray),
    all("relpartbound", NodeTree),
];

/// `FormData_pg_attribute` (pg_attribute.h).
const ATTRIBUTE_COLUMNS: &[Column] = &[
    all("attrelid", Oid),
    all("attname", Name),
    all("atttypid", Oid),
    only("attstattarget", Int4, V14..=V15),
    all("attlen", Int2),
    all("attnum", Int2),
    only("attndims", Int4, V14..=V15),
    only("attcacheoff", Int4, V14..=V17),
    all("atttypmod", Int4),
    only("attndims", Int2, V16..=V18),
    all("attbyval", Bool),
    all("attalign", Char),
    all("attstorage", Char),
    all("attcompression", Char),
    all("attnotnull", Bool),
    all("atthasdef", Bool),
    all("atthasmissing", Bool),
    all("attidentity", Char),
    all("attgenerated", Char),
    all("attisdropped", Bool),
    all("attislocal", Bool),
    only("attinhcount", Int4, V14..=V15),
    only("attinhcount", Int2, V16..=V18),
    only("attstattarget", Int2, V16..=V16),
    all("attcollation", Oid),
    // Nullable from PG 17, hence among the variable-length columns.
    only("attstattarget", Int2, V17..=V18),
    all("attacl", AclItemArray),
    all("attoptions", TextArray),
    all("attfdwoptions", TextArray),
    all("attmissingval", AnyArray),
];

/// `FormData_pg_namespace` (pg_namespace.h).
const NAMESPACE_COLUMNS: &[Column] =
    &[all("oid", Oid), all("nspname", Name), all("nspowner", Oid), all("nspacl", AclItemArray)];

/// `FormData_pg_index` (pg_index.h).
const INDEX_COLUMNS: &[Column] = &[
    all("indexrelid", Oid),
    all("indrelid", Oid),
    all("indnatts", Int2),
    all("indnkeyatts", Int2),
    all("indisunique", Bool),
    only("indnullsnotdistinct", Bool, V15..=V18),
    all("indisprimary", Bool),
    all("indisexclusion", Bool),
    all("indimmediate", Bool),
    all("indisclustered", Bool),
    all("indisvalid", Bool),
    all("indcheckxmin", Bool),
    all("indisready", Bool),
    all("indislive", Bool),
    all("indisreplident", Bool),
    all("indkey", Int2Vector),
    all("indcollation", OidVector),
    all("indclass", OidVector),
    all("indoption", Int2Vector),
    all("indexprs", NodeTree),
    all("indpred", NodeTree),
];

/// `FormData_pg_type` (pg_type.h).
const TYPE_COLUMNS: &[Column] = &[
    all("oid", Oid),
    all("typname", Name),
    all("typnamespace", Oid),
    all("typowner", Oid),
    all("typlen", Int2),
    all("typbyval", Bool),
    all("typtype", Char),
    all("typcategory", Char),
    all("typispreferred", Bool),
    all("typisdefined", Bool),
    all("typdelim", Char),
    all("typrelid", Oid),
    all("typsubscript", Regproc),
    all("typelem", Oid),
    all("typarray", Oid),
    all("typinput", Regproc),
    all("typoutput", Regproc),
    all("typreceive", Regproc),
    all("typsend", Regproc),
    all("typmodin", Regproc),
    all("typmodout", Regproc),
    all("typanalyze", Regproc),
    all("typalign", Char),
    all("typstorage", Char),
    all("typnotnull", Bool),
    all("typbasetype", Oid),
    all("typtypmod", Int4),
    all("typndims", Int4),
    all("typcollation", Oid),
    all("typdefaultbin", NodeTree),
    all("typdefault", Text),
    all("typacl", AclItemArray),
];

/// A system catalog: its name, OID and columns in every major.
#[derive(Debug)]
pub struct Catalog {
    pub name: &'static str,
    /// The catalog's `pg_class` OID (`RelationRelationId`, …).
    pub relid: u32,
    columns: &'static [Column],
}

pub static PG_CLASS: Catalog =
    Catalog { name: "pg_class", relid: super::RELATION_RELATION_ID, columns: CLASS_COLUMNS };
pub static PG_ATTRIBUTE: Catalog = Catalog {
    name: "pg_attribute",
    relid: super::ATTRIBUTE_RELATION_ID,
    columns: ATTRIBUTE_COLUMNS,
};
pub static PG_NAMESPACE: Catalog = Catalog {
    name: "pg_namespace",
    relid: super::NAMESPACE_RELATION_ID,
    columns: NAMESPACE_COLUMNS,
};
pub static PG_INDEX: Catalog =
    Catalog { name: "pg_index", relid: super::INDEX_RELATION_ID, columns: INDEX_COLUMNS };
pub static PG_TYPE: Catalog =
    Catalog { name: "pg_type", relid: super::TYPE_RELATION_ID, columns: TYPE_COLUMNS };

impl Catalog {
    /// The catalog's tuple descriptor in `version`: its columns in
    /// `attnum` order, each with its name and storage.
    pub fn descriptor(&self, version: PgVersion) -> Vec<(&'static str, AttrDesc)> {
        self.columns
            .iter()
            .filter(|c| c.majors.contains(&version))
            .map(|c| (c.name, c.ty.storage(version)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_major_has_each_column_once() {
        for cat in [&PG_CLASS, &PG_ATTRIBUTE, &PG_NAMESPACE, &PG_INDEX, &PG_TYPE] {
            for v in [V14, V15, V16, V17, V18] {
                let d = cat.descriptor(v);
                let mut names: Vec<_> = d.iter().map(|c| c.0).collect();
                names.sort_unstable();
                names.dedup();
                assert_eq!(names.len(), d.len(), "{} in {v:?}", cat.name);
            }
        }
        assert_eq!(PG_ATTRIBUTE.descriptor(V15).len(), 26);
        assert_eq!(PG_ATTRIBUTE.descriptor(V18).len(), 25);
        assert_eq!(PG_CLASS.descriptor(V18).len(), 34);
        assert_eq!(PG_INDEX.descriptor(V14).len(), 20);
    }
}
