//! The live catalog: what the server knows now, for what the WAL does not
//! say. Catalog rows come from the syscache as the decoder's row types
//! (the miner puts the relation valid at an LSN together from these and
//! the WAL's own catalog history); names are quoted, and per-type send
//! functions and equality operators schema-qualified, the server's way;
//! transactions older than the range are looked up in the commit log.
//! Everything is cached for the duration of one scan.

use std::ffi::CStr;
use waldecode::fxhash::FxHashMap;

use pgrx::pg_sys;
use pgrx::PgTryBuilder;
use waldecode::heap::toast::ToastPointer;
use waldecode::mine::catalog::Catalog;
use waldecode::syscat::{
    AttributeRow, ClassRow, IndexRow, NamespaceRow, ATTRIBUTE_RELATION_ID, INDEX_RELATION_ID,
    NAMESPACE_RELATION_ID, RELATION_RELATION_ID,
};
use waldecode::RelFileLocator;

use crate::encoding::{cstr_to_utf8, to_server_cstring};
use crate::live;

unsafe extern "C-unwind" {
    /// `RelidByRelfilenode` (utils/relfilenodemap.h), missing from pgrx's
    /// bindings; renamed `RelidByRelfilenumber` in PostgreSQL 16.
    #[cfg_attr(not(any(feature = "pg14", feature = "pg15")), link_name = "RelidByRelfilenumber")]
    fn RelidByRelfilenode(reltablespace: pg_sys::Oid, relfilenode: pg_sys::Oid) -> pg_sys::Oid;
}

/// `pg_constraint.contype`'s column number (oid, conname, connamespace,
/// contype in PostgreSQL 14 to 18); pgrx has no binding for it.
const ANUM_PG_CONSTRAINT_CONTYPE: pg_sys::AttrNumber = 4;

/// Answers from the current database's catalogs.
pub struct LiveCatalog {
    my_db: u32,
    my_spc: u32,
    types: FxHashMap<u32, (Option<String>, Option<String>)>,
    quoted: FxHashMap<String, String>,
}

impl LiveCatalog {
    pub fn new() -> Self {
        // SAFETY: set at backend start for the connected database.
        let (db, spc) = unsafe { (pg_sys::MyDatabaseId, pg_sys::MyDatabaseTableSpace) };
        LiveCatalog {
            my_db: db.to_u32(),
            my_spc: spc.to_u32(),
            types: FxHashMap::default(),
            quoted: FxHashMap::default(),
        }
    }

    /// (send function, equality operator) of a type, cached.
    fn type_info(&mut self, typid: u32) -> &(Option<String>, Option<String>) {
        self.types.entry(typid).or_insert_with(|| {
            let oid = pg_sys::Oid::from(typid);
            (send_function(oid), equality_operator(oid))
        })
    }
}

/// A syscache entry's fixed part, copied out by `f`; `None` when there is
/// no such entry.
///
/// # Safety
/// `F` must match the catalog the cache `id` looks up.
unsafe fn with_syscache<F, T>(
    id: pg_sys::SysCacheIdentifier::Type,
    keys: &[pg_sys::Datum],
    f: impl FnOnce(*const F, pg_sys::HeapTuple) -> T,
) -> Option<T> {
    // SAFETY: the tuple is released before returning; `f` only copies.
    unsafe {
        let k = |i: usize| keys.get(i).copied().unwrap_or(pg_sys::Datum::from(0));
        let tup = match keys.len() {
            1 => pg_sys::SearchSysCache1(id as i32, k(0)),
            _ => pg_sys::SearchSysCache2(id as i32, k(0), k(1)),
        };
        if tup.is_null() {
            return None;
        }
        let out = f(pg_sys::GETSTRUCT(tup) as *const F, tup);
        pg_sys::ReleaseSysCache(tup);
        Some(out)
    }
}

fn name_of(n: &pg_sys::NameData) -> String {
    cstr_to_utf8(n.data.as_ptr())
}

impl Catalog for LiveCatalog {
    fn database(&self) -> (u32, u32) {
        (self.my_db, self.my_spc)
    }

    fn catalog_filenodes(&mut self) -> Vec<(u32, u32)> {
        [RELATION_RELATION_ID, ATTRIBUTE_RELATION_ID, NAMESPACE_RELATION_ID, INDEX_RELATION_ID]
            .into_iter()
            .filter_map(|relid| Some((relid, relation_filenode(relid)?)))
            .collect()
    }

    fn relid_by_filenode(&mut self, spc: u32, filenode: u32) -> Option<u32> {
        // SAFETY: a catalog lookup; errors become Rust panics at the
        // boundary and are re-raised as ERROR by pgrx.
        let relid = unsafe {
            pg_sys::ffi::pg_guard_ffi_boundary(|| {
                RelidByRelfilenode(pg_sys::Oid::from(spc), pg_sys::Oid::from(filenode))
            })
        };
        (relid != pg_sys::InvalidOid).then(|| relid.to_u32())
    }

    fn class(&mut self, oid: u32) -> Option<ClassRow> {
        // SAFETY: RELOID entries are pg_class rows.
        unsafe {
            with_syscache(
                pg_sys::SysCacheIdentifier::RELOID,
                &[pg_sys::Datum::from(oid)],
                |c: *const pg_sys::FormData_pg_class, tup| ClassRow {
                    oid,
                    relname: name_of(&(*c).relname),
                    relnamespace: (*c).relnamespace.to_u32(),
                    relfilenode: (*c).relfilenode.to_u32(),
                    reltablespace: (*c).reltablespace.to_u32(),
                    reltoastrelid: (*c).reltoastrelid.to_u32(),
                    relkind: (*c).relkind as u8,
                    relpersistence: (*c).relpersistence as u8,
                    relnatts: (*c).relnatts,
                    relreplident: (*c).relreplident as u8,
                    relrewrite: (*c).relrewrite.to_u32(),
                    relam: (*c).relam.to_u32(),
                    reloftype: (*c).reloftype.to_u32(),
                    relchecks: (*c).relchecks,
                    relhasindex: (*c).relhasindex,
                    relhasrules: (*c).relhasrules,
                    relhastriggers: (*c).relhastriggers,
                    relrowsecurity: (*c).relrowsecurity,
                    relispartition: (*c).relispartition,
                    has_reloptions: !pg_sys::heap_attisnull(
                        tup,
                        pg_sys::Anum_pg_class_reloptions as i32,
                        std::ptr::null_mut(),
                    ),
                },
            )
        }
    }

    fn definition_xmins(&mut self, oid: u32) -> Option<Vec<u32>> {
        // SAFETY: RELOID and ATTNUM syscache tuples' headers, only read.
        unsafe {
            let natts = with_syscache(
                pg_sys::SysCacheIdentifier::RELOID,
                &[pg_sys::Datum::from(oid)],
                |c: *const pg_sys::FormData_pg_class, _| (*c).relnatts,
            )?;
            let mut xmins = vec![with_syscache(
                pg_sys::SysCacheIdentifier::RELOID,
                &[pg_sys::Datum::from(oid)],
                |_: *const u8, tup| tuple_xmin(tup),
            )?];
            for attnum in 1..=natts {
                xmins.push(with_syscache(
                    pg_sys::SysCacheIdentifier::ATTNUM,
                    &[pg_sys::Datum::from(oid), pg_sys::Datum::from(attnum)],
                    |_: *const u8, tup| tuple_xmin(tup),
                )?);
            }
            Some(xmins)
        }
    }

    fn attribute(&mut self, relid: u32, attnum: i16) -> Option<AttributeRow> {
        // SAFETY: ATTNUM entries are pg_attribute rows.
        let mut row = unsafe {
            with_syscache(
                pg_sys::SysCacheIdentifier::ATTNUM,
                &[pg_sys::Datum::from(relid), pg_sys::Datum::from(attnum)],
                |a: *const pg_sys::FormData_pg_attribute, _| AttributeRow {
                    attrelid: relid,
                    attname: name_of(&(*a).attname),
                    atttypid: (*a).atttypid.to_u32(),
                    attlen: (*a).attlen,
                    attnum: (*a).attnum,
                    atttypmod: (*a).atttypmod,
                    attbyval: (*a).attbyval,
                    attalign: (*a).attalign as u8,
                    attstorage: (*a).attstorage as u8,
                    attnotnull: (*a).attnotnull,
                    atthasdef: (*a).atthasdef,
                    atthasmissing: (*a).atthasmissing,
                    attidentity: (*a).attidentity as u8,
                    attgenerated: (*a).attgenerated as u8,
                    attisdropped: (*a).attisdropped,
                    attislocal: (*a).attislocal,
                    #[cfg(any(feature = "pg14", feature = "pg15"))]
                    attinhcount: (*a).attinhcount,
                    #[cfg(not(any(feature = "pg14", feature = "pg15")))]
                    attinhcount: i32::from((*a).attinhcount),
                    attcompression: (*a).attcompression as u8,
                    attcollation: (*a).attcollation.to_u32(),
                    attmissingval: None,
                },
            )?
        };
        if row.atthasmissing {
            row.attmissingval = missing_value(relid, &row);
        }
        Some(row)
    }

    fn namespace(&mut self, oid: u32) -> Option<NamespaceRow> {
        // SAFETY: NAMESPACEOID entries are pg_namespace rows.
        unsafe {
            with_syscache(
                pg_sys::SysCacheIdentifier::NAMESPACEOID,
                &[pg_sys::Datum::from(oid)],
                |n: *const pg_sys::FormData_pg_namespace, _| NamespaceRow {
                    oid,
                    nspname: name_of(&(*n).nspname),
                },
            )
        }
    }

    fn index_oids(&mut self, relid: u32) -> Vec<u32> {
        let lock = pg_sys::AccessShareLock as i32;
        // SAFETY: the relation is opened with AccessShareLock and closed.
        unsafe {
            let rel = pg_sys::try_relation_open(pg_sys::Oid::from(relid), lock);
            if rel.is_null() {
                return Vec::new();
            }
            let list = pgrx::PgList::<pg_sys::Oid>::from_pg(pg_sys::RelationGetIndexList(rel));
            let oids = list.iter_oid().map(|o| o.to_u32()).collect();
            pg_sys::relation_close(rel, lock);
            oids
        }
    }

    fn index(&mut self, oid: u32) -> Option<IndexRow> {
        // SAFETY: INDEXRELID entries are pg_index rows; indkey holds
        // indnatts entries.
        unsafe {
            with_syscache(
                pg_sys::SysCacheIdentifier::INDEXRELID,
                &[pg_sys::Datum::from(oid)],
                |i: *const pg_sys::FormData_pg_index, tup| IndexRow {
                    indexrelid: oid,
                    indrelid: (*i).indrelid.to_u32(),
                    indnatts: (*i).indnatts,
                    indnkeyatts: (*i).indnkeyatts,
                    indisunique: (*i).indisunique,
                    indisprimary: (*i).indisprimary,
                    indisreplident: (*i).indisreplident,
                    indisvalid: (*i).indisvalid,
                    indislive: (*i).indislive,
                    indkey: (*i).indkey.values.as_slice((*i).indnatts.max(0) as usize).to_vec(),
                    indclass: index_oids(tup, pg_sys::Anum_pg_index_indclass),
                    indcollation: index_oids(tup, pg_sys::Anum_pg_index_indcollation),
                    indoption: index_int2s(tup, pg_sys::Anum_pg_index_indoption),
                    indisexclusion: (*i).indisexclusion,
                    #[cfg(feature = "pg14")]
                    indnullsnotdistinct: false,
                    #[cfg(not(feature = "pg14"))]
                    indnullsnotdistinct: (*i).indnullsnotdistinct,
                    has_exprs: !pg_sys::heap_attisnull(
                        tup,
                        pg_sys::Anum_pg_index_indexprs as i32,
                        std::ptr::null_mut(),
                    ),
                    has_pred: !pg_sys::heap_attisnull(
                        tup,
                        pg_sys::Anum_pg_index_indpred as i32,
                        std::ptr::null_mut(),
                    ),
                },
            )
        }
    }

    fn xid_committed(&mut self, xid: u32) -> Option<bool> {
        // The commit log no longer holds transactions older than the
        // cluster's oldest xid: their status is not known here.
        PgTryBuilder::new(|| {
            // SAFETY: a commit log lookup; an ERROR is caught below.
            Some(unsafe { pg_sys::TransactionIdDidCommit(pg_sys::TransactionId::from(xid)) })
        })
        .catch_others(|_| None)
        .execute()
    }

    fn send_function(&mut self, typid: u32) -> Option<String> {
        self.type_info(typid).0.clone()
    }

    fn equality_operator(&mut self, typid: u32) -> Option<String> {
        self.type_info(typid).1.clone()
    }

    fn column_type(&mut self, typid: u32, typmod: i32, collation: u32) -> Option<String> {
        let ty = format_type(typid, typmod)?;
        // SAFETY: a catalog lookup; 0 for a type that is not collatable.
        let own = unsafe { pg_sys::get_typcollation(pg_sys::Oid::from(typid)) }.to_u32();
        if collation == own {
            return Some(ty);
        }
        // SAFETY: syscache lookup of a pg_collation row, copied out.
        let (name, ns) = unsafe {
            with_syscache(
                pg_sys::SysCacheIdentifier::COLLOID,
                &[pg_sys::Datum::from(collation)],
                |c: *const pg_sys::FormData_pg_collation, _| {
                    (name_of(&(*c).collname), (*c).collnamespace)
                },
            )?
        };
        // SAFETY: a catalog lookup by OID.
        let ns = unsafe { pg_sys::get_namespace_name(ns) };
        if ns.is_null() {
            return None;
        }
        Some(format!("{ty} COLLATE {}.{}", quote_ident(&cstr_to_utf8(ns)), quote_ident(&name)))
    }

    fn index_constraint(&mut self, index: u32) -> Option<Option<u8>> {
        let oid = pg_sys::Oid::from(index);
        // SAFETY: syscache lookups by OID; the rows are only read.
        unsafe {
            with_syscache(
                pg_sys::SysCacheIdentifier::RELOID,
                &[pg_sys::Datum::from(oid)],
                |_: *const pg_sys::FormData_pg_class, _| (),
            )?;
            let con = pg_sys::get_index_constraint(oid);
            if con == pg_sys::InvalidOid {
                return Some(None);
            }
            with_syscache(
                pg_sys::SysCacheIdentifier::CONSTROID,
                &[pg_sys::Datum::from(con)],
                |_: *const u8, tup| {
                    let mut isnull = false;
                    let d = pg_sys::SysCacheGetAttr(
                        pg_sys::SysCacheIdentifier::CONSTROID as i32,
                        tup,
                        ANUM_PG_CONSTRAINT_CONTYPE,
                        &mut isnull,
                    );
                    (!isnull).then(|| d.value() as u8)
                },
            )
        }
    }

    fn default_opclass(&mut self, typid: u32, am: u32) -> Option<u32> {
        // SAFETY: a catalog lookup.
        let oc =
            unsafe { pg_sys::GetDefaultOpClass(pg_sys::Oid::from(typid), pg_sys::Oid::from(am)) };
        (oc != pg_sys::InvalidOid).then(|| oc.to_u32())
    }

    fn quote_ident(&mut self, name: &str) -> String {
        if let Some(q) = self.quoted.get(name) {
            return q.clone();
        }
        let q = quote_ident(name);
        self.quoted.insert(name.to_string(), q.clone());
        q
    }

    fn toast_chunks(&mut self, ptr: &ToastPointer) -> Option<Vec<(i32, Vec<u8>)>> {
        live::toast_chunks(ptr)
    }

    fn live_tuple(&mut self, locator: RelFileLocator, tid: (u32, u16)) -> Option<Vec<u8>> {
        if locator.db != self.my_db {
            return None;
        }
        let spc = if locator.spc == self.my_spc { 0 } else { locator.spc };
        let relid = self.relid_by_filenode(spc, locator.rel)?;
        live::tuple(pg_sys::Oid::from(relid), tid)
    }
}

/// The xmin of a catalog tuple (2, `FrozenTransactionId`, once frozen).
///
/// # Safety
/// `tup` is a live syscache tuple.
unsafe fn tuple_xmin(tup: pg_sys::HeapTuple) -> u32 {
    // SAFETY: as the caller promises; the header is only read.
    unsafe {
        let h = (*tup).t_data;
        let frozen = pg_sys::HEAP_XMIN_FROZEN as u16;
        if (*h).t_infomask & frozen == frozen {
            pg_sys::FrozenTransactionId.into_inner()
        } else {
            (*h).t_choice.t_heap.t_xmin.into_inner()
        }
    }
}

/// Column `attnum` of a `pg_index` syscache tuple; `None` when NULL.
///
/// # Safety
/// `tup` is a live `INDEXRELID` syscache tuple.
unsafe fn index_attr(tup: pg_sys::HeapTuple, attnum: u32) -> Option<pg_sys::Datum> {
    let mut isnull = false;
    // SAFETY: as the caller promises.
    let d = unsafe {
        pg_sys::SysCacheGetAttr(
            pg_sys::SysCacheIdentifier::INDEXRELID as i32,
            tup,
            attnum as pg_sys::AttrNumber,
            &mut isnull,
        )
    };
    (!isnull).then_some(d)
}

/// The `oidvector` column `attnum` of a `pg_index` syscache tuple.
///
/// # Safety
/// `tup` is a live `INDEXRELID` syscache tuple; the column is an
/// `oidvector` (plain storage: never short nor out of line).
unsafe fn index_oids(tup: pg_sys::HeapTuple, attnum: u32) -> Vec<u32> {
    // SAFETY: as the caller promises; dim1 elements follow the header.
    unsafe {
        let Some(d) = index_attr(tup, attnum) else { return Vec::new() };
        let v = d.cast_mut_ptr::<pg_sys::oidvector>();
        (*v).values.as_slice((*v).dim1.max(0) as usize).iter().map(|o| o.to_u32()).collect()
    }
}

/// The `int2vector` column `attnum` of a `pg_index` syscache tuple.
///
/// # Safety
/// As [`index_oids`], for an `int2vector` column.
unsafe fn index_int2s(tup: pg_sys::HeapTuple, attnum: u32) -> Vec<i16> {
    // SAFETY: as the caller promises; dim1 elements follow the header.
    unsafe {
        let Some(d) = index_attr(tup, attnum) else { return Vec::new() };
        let v = d.cast_mut_ptr::<pg_sys::int2vector>();
        (*v).values.as_slice((*v).dim1.max(0) as usize).to_vec()
    }
}

/// The file number of relation `relid` now (mapped catalogs included).
fn relation_filenode(relid: u32) -> Option<u32> {
    let lock = pg_sys::AccessShareLock as i32;
    // SAFETY: the relation is opened with AccessShareLock and closed.
    unsafe {
        let rel = pg_sys::try_relation_open(pg_sys::Oid::from(relid), lock);
        if rel.is_null() {
            return None;
        }
        #[cfg(any(feature = "pg14", feature = "pg15"))]
        let node = (*rel).rd_node.relNode.to_u32();
        #[cfg(not(any(feature = "pg14", feature = "pg15")))]
        let node = (*rel).rd_locator.relNumber.to_u32();
        pg_sys::relation_close(rel, lock);
        Some(node)
    }
}

/// The value rows stored before column `att` was added read as, as a
/// tuple would store it.
fn missing_value(relid: u32, att: &AttributeRow) -> Option<Vec<u8>> {
    let lock = pg_sys::AccessShareLock as i32;
    // SAFETY: the relation is opened with AccessShareLock and closed; the
    // missing value is a datum of the column's type.
    unsafe {
        let rel = pg_sys::try_relation_open(pg_sys::Oid::from(relid), lock);
        if rel.is_null() {
            return None;
        }
        let mut isnull = true;
        let d = pg_sys::getmissingattr((*rel).rd_att, i32::from(att.attnum), &mut isnull);
        let bytes = (!isnull).then(|| datum_bytes(d, att.attlen, att.attbyval));
        pg_sys::relation_close(rel, lock);
        bytes
    }
}

/// The equality operator of a type's default btree operator class (through
/// domains), as `OPERATOR(schema.name)`.
fn equality_operator(typid: pg_sys::Oid) -> Option<String> {
    // SAFETY: catalog lookups for an existing type.
    unsafe {
        let opclass = pg_sys::GetDefaultOpClass(typid, pg_sys::BTREE_AM_OID);
        if opclass == pg_sys::InvalidOid {
            return None;
        }
        let family = pg_sys::get_opclass_family(opclass);
        let intype = pg_sys::get_opclass_input_type(opclass);
        let op = pg_sys::get_opfamily_member(
            family,
            intype,
            intype,
            pg_sys::BTEqualStrategyNumber as i16,
        );
        qualified_operator(op)
    }
}

/// A type as SQL, schema-qualified whatever the `search_path`, with its
/// typmod; `None` when there is no such type.
pub fn format_type(typid: u32, typmod: i32) -> Option<String> {
    let flags = pg_sys::FORMAT_TYPE_TYPEMOD_GIVEN
        | pg_sys::FORMAT_TYPE_FORCE_QUALIFY
        | pg_sys::FORMAT_TYPE_INVALID_AS_NULL;
    // SAFETY: a catalog lookup; NULL for a type that does not exist.
    let p = unsafe { pg_sys::format_type_extended(pg_sys::Oid::from(typid), typmod, flags as u16) };
    (!p.is_null()).then(|| cstr_to_utf8(p))
}

/// `quote_identifier`.
fn quote_ident(s: &str) -> String {
    let c = to_server_cstring(s);
    // SAFETY: quote_identifier returns its argument or a palloc'd copy.
    cstr_to_utf8(unsafe { pg_sys::quote_identifier(c.as_ptr()) })
}

/// The schema-qualified name of a function, for use in SQL.
fn qualified_func(oid: pg_sys::Oid) -> Option<String> {
    if oid == pg_sys::InvalidOid {
        return None;
    }
    // SAFETY: catalog lookups by OID.
    let (ns, name) = unsafe {
        let ns = pg_sys::get_func_namespace(oid);
        (pg_sys::get_namespace_name(ns), pg_sys::get_func_name(oid))
    };
    if ns.is_null() || name.is_null() {
        return None;
    }
    Some(format!("{}.{}", quote_ident(&cstr_to_utf8(ns)), quote_ident(&cstr_to_utf8(name))))
}

/// The binary send function of a type (`pg_type.typsend`).
fn send_function(typid: pg_sys::Oid) -> Option<String> {
    // SAFETY: syscache lookup; the tuple is released before returning.
    unsafe {
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::TYPEOID as i32,
            pg_sys::Datum::from(typid),
        );
        if tup.is_null() {
            return None;
        }
        let form = pg_sys::GETSTRUCT(tup) as *const pg_sys::FormData_pg_type;
        let send = (*form).typsend;
        pg_sys::ReleaseSysCache(tup);
        qualified_func(send)
    }
}

/// Bytes of a datum of an attribute, as a tuple would store them.
///
/// # Safety
/// `d` must be a valid datum of the attribute's type.
unsafe fn datum_bytes(d: pg_sys::Datum, attlen: i16, byval: bool) -> Vec<u8> {
    if byval {
        let v = d.value() as u64;
        return v.to_le_bytes()[..attlen.clamp(0, 8) as usize].to_vec();
    }
    let p = d.cast_mut_ptr::<u8>();
    let len = match attlen {
        // SAFETY (all arms): the caller guarantees a valid by-reference datum.
        -1 => unsafe {
            // VARSIZE_ANY for the header forms a missing value can have.
            let b0 = *p;
            if b0 & 1 == 1 {
                usize::from(b0 >> 1)
            } else {
                (u32::from_le_bytes([b0, *p.add(1), *p.add(2), *p.add(3)]) >> 2) as usize
            }
        },
        -2 => unsafe { CStr::from_ptr(p.cast()).to_bytes_with_nul().len() },
        n => n as usize,
    };
    unsafe { std::slice::from_raw_parts(p, len) }.to_vec()
}

/// An operator as `OPERATOR(schema.name)`, which no `search_path` can
/// redirect.
fn qualified_operator(oid: pg_sys::Oid) -> Option<String> {
    if oid == pg_sys::InvalidOid {
        return None;
    }
    // SAFETY: syscache lookup; the tuple is released before returning.
    unsafe {
        let tup = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::OPEROID as i32,
            pg_sys::Datum::from(oid),
        );
        if tup.is_null() {
            return None;
        }
        let form = pg_sys::GETSTRUCT(tup) as *const pg_sys::FormData_pg_operator;
        let name = cstr_to_utf8((*form).oprname.data.as_ptr());
        let ns = cstr_to_utf8(pg_sys::get_namespace_name((*form).oprnamespace));
        pg_sys::ReleaseSysCache(tup);
        Some(format!("OPERATOR({}.{name})", quote_ident(&ns)))
    }
}
