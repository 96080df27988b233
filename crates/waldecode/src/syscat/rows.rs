//! Typed catalog rows: the fields of `pg_class`, `pg_attribute`,
//! `pg_namespace`, `pg_index` and `pg_type` that decoding a relation's
//! tuples needs, read from one heap tuple of the catalog.

use super::array::{as_heap_stores, detoasted_body, int2vector, oidvector, single_element};
use super::columns::{PG_ATTRIBUTE, PG_CLASS, PG_INDEX, PG_NAMESPACE, PG_TYPE};
use super::fields::Fields;
use crate::heap::tuple::AttrDesc;
use crate::version::PgVersion;

/// Most columns an index may have (`INDEX_MAX_KEYS`, pg_config_manual.h).
pub const INDEX_MAX_KEYS: usize = 32;

/// A row of `pg_class` (layout of `FormData_pg_class`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassRow {
    pub oid: u32,
    pub relname: String,
    pub relnamespace: u32,
    /// 0 for a mapped catalog: its file number is in the relation map.
    pub relfilenode: u32,
    /// 0 for the database's default tablespace.
    pub reltablespace: u32,
    pub reltoastrelid: u32,
    /// `r`, `i`, `S`, `t`, `v`, `m`, `c`, `f`, `p`, `I`.
    pub relkind: u8,
    /// `p`, `u` or `t`.
    pub relpersistence: u8,
    pub relnatts: i16,
    /// `d`, `n`, `f` or `i`.
    pub relreplident: u8,
    /// Set on the transient relation of a table rewrite: the OID of the
    /// table being rewritten.
    pub relrewrite: u32,
    /// The access method (heap: 2; 0 for relations without storage).
    pub relam: u32,
    /// The composite type of a typed table (`CREATE TABLE ... OF`), else 0.
    pub reloftype: u32,
    /// Number of CHECK constraints.
    pub relchecks: i16,
    pub relhasindex: bool,
    pub relhasrules: bool,
    pub relhastriggers: bool,
    pub relrowsecurity: bool,
    pub relispartition: bool,
    /// `reloptions` is not NULL (storage parameters were set).
    pub has_reloptions: bool,
}

impl ClassRow {
    /// The row held by `tuple` (header included), a `pg_class` tuple of
    /// `version`.
    pub fn parse(version: PgVersion, tuple: &[u8]) -> Result<ClassRow, String> {
        let f = Fields::deform(&PG_CLASS, version, tuple)?;
        Ok(ClassRow {
            oid: f.oid("oid")?,
            relname: f.name("relname")?,
            relnamespace: f.oid("relnamespace")?,
            relfilenode: f.oid("relfilenode")?,
            reltablespace: f.oid("reltablespace")?,
            reltoastrelid: f.oid("reltoastrelid")?,
            relkind: f.char("relkind")?,
            relpersistence: f.char("relpersistence")?,
            relnatts: f.i16("relnatts")?,
            relreplident: f.char("relreplident")?,
            relrewrite: f.oid("relrewrite")?,
            relam: f.oid("relam")?,
            reloftype: f.oid("reloftype")?,
            relchecks: f.i16("relchecks")?,
            relhasindex: f.bool("relhasindex")?,
            relhasrules: f.bool("relhasrules")?,
            relhastriggers: f.bool("relhastriggers")?,
            relrowsecurity: f.bool("relrowsecurity")?,
            relispartition: f.bool("relispartition")?,
            has_reloptions: f.varlena("reloptions")?.is_some(),
        })
    }
}

/// A row of `pg_attribute` (layout of `FormData_pg_attribute`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttributeRow {
    pub attrelid: u32,
    pub attname: String,
    /// 0 for a dropped column.
    pub atttypid: u32,
    /// A fixed length, -1 (varlena) or -2 (cstring); checked.
    pub attlen: i16,
    /// Column number, 1-based; system columns are negative.
    pub attnum: i16,
    pub atttypmod: i32,
    pub attbyval: bool,
    /// `c`, `s`, `i` or `d`; checked.
    pub attalign: u8,
    /// `p`, `e`, `m` or `x`.
    pub attstorage: u8,
    pub attnotnull: bool,
    pub atthasdef: bool,
    pub atthasmissing: bool,
    /// `a` (always), `d` (by default) or 0 when not an identity column.
    pub attidentity: u8,
    /// `s` (stored) or 0 when not generated.
    pub attgenerated: u8,
    pub attisdropped: bool,
    /// Defined by the relation itself, not (only) inherited.
    pub attislocal: bool,
    /// Number of parents it is inherited from.
    pub attinhcount: i32,
    /// `p` (pglz), `l` (lz4) or 0 for the default.
    pub attcompression: u8,
    pub attcollation: u32,
    /// The value of this column in tuples stored before the column was
    /// added (fewer attributes than the relation has): the element of
    /// the one-element `attmissingval` array, as `heap_fill_tuple` would
    /// store it in this column — `attlen` bytes, a whole varlena (header
    /// included), or a NUL-terminated string. `None` when the column has
    /// none (the server reads `attmissingval` only when `atthasmissing`,
    /// `RelationBuildTupleDesc` in relcache.c; so does this).
    pub attmissingval: Option<Vec<u8>>,
}

impl AttributeRow {
    /// The row held by `tuple` (header included), a `pg_attribute` tuple
    /// of `version`.
    pub fn parse(version: PgVersion, tuple: &[u8]) -> Result<AttributeRow, String> {
        let f = Fields::deform(&PG_ATTRIBUTE, version, tuple)?;
        let attlen = f.i16("attlen")?;
        let attalign = f.char("attalign")?;
        let attbyval = f.bool("attbyval")?;
        // These three lay out every value of the column: a tuple deformed
        // with nonsense here would hand wrong bytes on.
        if !(attlen > 0 || attlen == -1 || attlen == -2) {
            return Err(f.context("attlen", attlen));
        }
        if !matches!(attalign, b'c' | b's' | b'i' | b'd') {
            return Err(f.context("attalign", attalign));
        }
        if attbyval && !matches!(attlen, 1 | 2 | 4 | 8) {
            return Err(f.context("attbyval", format!("by value with attlen {attlen}")));
        }
        let atttypid = f.oid("atttypid")?;
        let attstorage = f.char("attstorage")?;
        let atthasmissing = f.bool("atthasmissing")?;
        let attmissingval = match f.varlena("attmissingval")? {
            Some(v) if atthasmissing => Some(
                detoasted_body(v)
                    .and_then(|body| {
                        single_element(&body, atttypid, attlen, attalign)
                            .map(|elem| as_heap_stores(elem, attlen, attstorage))
                    })
                    .map_err(|e| f.context("attmissingval", e))?,
            ),
            _ => None,
        };
        Ok(AttributeRow {
            attrelid: f.oid("attrelid")?,
            attname: f.name("attname")?,
            atttypid,
            attlen,
            attnum: f.i16("attnum")?,
            atttypmod: f.i32("atttypmod")?,
            attbyval,
            attalign,
            attstorage,
            attnotnull: f.bool("attnotnull")?,
            atthasdef: f.bool("atthasdef")?,
            atthasmissing,
            attidentity: f.char("attidentity")?,
            attgenerated: f.char("attgenerated")?,
            attisdropped: f.bool("attisdropped")?,
            attislocal: f.bool("attislocal")?,
            // int4 up to PG 15, int2 from 16.
            attinhcount: f.i32("attinhcount").or_else(|_| f.i16("attinhcount").map(i32::from))?,
            attcompression: f.char("attcompression")?,
            attcollation: f.oid("attcollation")?,
            attmissingval,
        })
    }

    /// How the column's values are laid out in a tuple, for
    /// [`crate::heap::tuple::deform`].
    pub fn attr_desc(&self) -> AttrDesc {
        AttrDesc {
            attlen: self.attlen,
            attalign: self.attalign,
            attbyval: self.attbyval,
            dropped: self.attisdropped,
        }
    }
}

/// A row of `pg_namespace` (layout of `FormData_pg_namespace`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceRow {
    pub oid: u32,
    pub nspname: String,
}

impl NamespaceRow {
    /// The row held by `tuple` (header included), a `pg_namespace` tuple
    /// of `version`.
    pub fn parse(version: PgVersion, tuple: &[u8]) -> Result<NamespaceRow, String> {
        let f = Fields::deform(&PG_NAMESPACE, version, tuple)?;
        Ok(NamespaceRow { oid: f.oid("oid")?, nspname: f.name("nspname")? })
    }
}

/// A row of `pg_index` (layout of `FormData_pg_index`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexRow {
    pub indexrelid: u32,
    pub indrelid: u32,
    /// Key and included columns.
    pub indnatts: i16,
    /// Key columns, the first ones of `indkey`.
    pub indnkeyatts: i16,
    pub indisunique: bool,
    pub indisprimary: bool,
    pub indisreplident: bool,
    pub indisvalid: bool,
    pub indislive: bool,
    /// The table's column numbers, `indnatts` of them; 0 for an
    /// expression.
    pub indkey: Vec<i16>,
    /// Operator class of each key column (`indnkeyatts` of them).
    pub indclass: Vec<u32>,
    /// Collation of each key column (0: not collatable).
    pub indcollation: Vec<u32>,
    /// Per key column flags (`INDOPTION_DESC`, `INDOPTION_NULLS_FIRST`).
    pub indoption: Vec<i16>,
    pub indisexclusion: bool,
    /// `NULLS NOT DISTINCT` (PG 15 on; false before).
    pub indnullsnotdistinct: bool,
    /// The index has expression columns (`indexprs` not NULL).
    pub has_exprs: bool,
    /// The index is partial (`indpred` not NULL).
    pub has_pred: bool,
}

impl IndexRow {
    /// The row held by `tuple` (header included), a `pg_index` tuple of
    /// `version`.
    pub fn parse(version: PgVersion, tuple: &[u8]) -> Result<IndexRow, String> {
        let f = Fields::deform(&PG_INDEX, version, tuple)?;
        let indnatts = f.i16("indnatts")?;
        let indnkeyatts = f.i16("indnkeyatts")?;
        let natts = usize::try_from(indnatts).unwrap_or(0);
        if natts == 0 || natts > INDEX_MAX_KEYS || indnkeyatts < 1 || indnkeyatts > indnatts {
            return Err(f.context("indnatts", format!("{indnatts} columns, {indnkeyatts} keys")));
        }
        let v = f.varlena("indkey")?.ok_or_else(|| f.context("indkey", "NULL"))?;
        let indkey = detoasted_body(v)
            .and_then(|body| int2vector(&body))
            .map_err(|e| f.context("indkey", e))?;
        if indkey.len() != natts {
            return Err(f.context("indkey", format!("{} columns, indnatts {natts}", indkey.len())));
        }
        let keys = indnkeyatts as usize;
        let vector = |column: &str, oids: bool| -> Result<(Vec<u32>, Vec<i16>), String> {
            let v = f.varlena(column)?.ok_or_else(|| f.context(column, "NULL"))?;
            let body = detoasted_body(v).map_err(|e| f.context(column, e))?;
            let (o, i) = if oids {
                (oidvector(&body).map_err(|e| f.context(column, e))?, Vec::new())
            } else {
                (Vec::new(), int2vector(&body).map_err(|e| f.context(column, e))?)
            };
            if o.len().max(i.len()) != keys {
                return Err(f.context(column, format!("not {keys} key columns")));
            }
            Ok((o, i))
        };
        let (indclass, _) = vector("indclass", true)?;
        let (indcollation, _) = vector("indcollation", true)?;
        let (_, indoption) = vector("indoption", false)?;
        Ok(IndexRow {
            indexrelid: f.oid("indexrelid")?,
            indrelid: f.oid("indrelid")?,
            indnatts,
            indnkeyatts,
            indisunique: f.bool("indisunique")?,
            indisprimary: f.bool("indisprimary")?,
            indisreplident: f.bool("indisreplident")?,
            indisvalid: f.bool("indisvalid")?,
            indislive: f.bool("indislive")?,
            indkey,
            indclass,
            indcollation,
            indoption,
            indisexclusion: f.bool("indisexclusion")?,
            indnullsnotdistinct: match version {
                PgVersion::V14 => false,
                _ => f.bool("indnullsnotdistinct")?,
            },
            has_exprs: f.varlena("indexprs")?.is_some(),
            has_pred: f.varlena("indpred")?.is_some(),
        })
    }
}

/// A row of `pg_type` (layout of `FormData_pg_type`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRow {
    pub oid: u32,
    pub typname: String,
    pub typnamespace: u32,
    pub typlen: i16,
    pub typbyval: bool,
    pub typalign: u8,
    /// `b`, `c`, `d`, `e`, `p`, `r` or `m`.
    pub typtype: u8,
    /// The binary output function (`regproc`: its OID), 0 when none.
    pub typsend: u32,
    /// The element type of an array type, else 0.
    pub typelem: u32,
}

impl TypeRow {
    /// The row held by `tuple` (header included), a `pg_type` tuple of
    /// `version`.
    pub fn parse(version: PgVersion, tuple: &[u8]) -> Result<TypeRow, String> {
        let f = Fields::deform(&PG_TYPE, version, tuple)?;
        Ok(TypeRow {
            oid: f.oid("oid")?,
            typname: f.name("typname")?,
            typnamespace: f.oid("typnamespace")?,
            typlen: f.i16("typlen")?,
            typbyval: f.bool("typbyval")?,
            typalign: f.char("typalign")?,
            typtype: f.char("typtype")?,
            typsend: f.oid("typsend")?,
            typelem: f.oid("typelem")?,
        })
    }
}
