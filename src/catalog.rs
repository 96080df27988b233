//! The live catalog: resolves a relfilenode to a relation of the current
//! database through the server's relfilenode map and relcache, and
//! describes its columns for the miner. Results are cached per file for
//! the duration of one scan.

use std::collections::HashMap;
use std::ffi::CStr;
use std::rc::Rc;

use pgrx::pg_sys;
use waldecode::heap::page as heap_page;
use waldecode::heap::toast::ToastPointer;
use waldecode::heap::tuple::AttrDesc;
use waldecode::layout::BLCKSZ;
use waldecode::mine::catalog::{AttInfo, Catalog, RelInfo, RelLookup};
use waldecode::mine::toast::Chunk;
use waldecode::{Lsn, RelFileLocator};

use crate::encoding::{cstr_to_utf8, to_server_cstring};

/// First OID assigned to user objects (`FirstNormalObjectId`).
const FIRST_NORMAL_OBJECT_ID: u32 = 16384;

unsafe extern "C-unwind" {
    /// `RelidByRelfilenode` (utils/relfilenodemap.h), missing from pgrx's
    /// bindings; renamed `RelidByRelfilenumber` in PostgreSQL 16.
    #[cfg_attr(not(any(feature = "pg14", feature = "pg15")), link_name = "RelidByRelfilenumber")]
    fn RelidByRelfilenode(reltablespace: pg_sys::Oid, relfilenode: pg_sys::Oid) -> pg_sys::Oid;
}

/// Answers from the current database's catalogs.
pub struct LiveCatalog {
    cache: HashMap<RelFileLocator, RelLookup>,
    my_db: u32,
    my_spc: u32,
}

impl LiveCatalog {
    pub fn new() -> Self {
        // SAFETY: set at backend start for the connected database.
        let (db, spc) = unsafe { (pg_sys::MyDatabaseId, pg_sys::MyDatabaseTableSpace) };
        LiveCatalog { cache: HashMap::new(), my_db: db.to_u32(), my_spc: spc.to_u32() }
    }

    fn lookup(&self, loc: RelFileLocator) -> RelLookup {
        if loc.db != self.my_db {
            // Shared catalogs live in database 0.
            return if loc.db == 0 { RelLookup::Skip } else { RelLookup::OtherDatabase };
        }
        // The map is keyed by pg_class.reltablespace, 0 for the default.
        let spc = if loc.spc == self.my_spc { 0 } else { loc.spc };
        // SAFETY: a catalog lookup; errors become Rust panics at the
        // boundary and are re-raised as ERROR by pgrx.
        let relid = unsafe {
            pg_sys::ffi::pg_guard_ffi_boundary(|| {
                RelidByRelfilenode(pg_sys::Oid::from(spc), pg_sys::Oid::from(loc.rel))
            })
        };
        if relid == pg_sys::InvalidOid {
            return RelLookup::Gone;
        }
        if relid.to_u32() < FIRST_NORMAL_OBJECT_ID {
            return RelLookup::Skip;
        }
        // SAFETY: plain catalog lookups by OID.
        let relkind = unsafe { pg_sys::get_rel_relkind(relid) } as u8;
        if relkind == pg_sys::RELKIND_TOASTVALUE {
            return RelLookup::Toast;
        }
        if relkind != pg_sys::RELKIND_RELATION {
            return RelLookup::Skip;
        }
        match describe(relid) {
            Some(info) => RelLookup::Table(Rc::new(info)),
            None => RelLookup::Gone,
        }
    }
}

impl Catalog for LiveCatalog {
    fn relation(&mut self, locator: RelFileLocator, _lsn: Lsn) -> RelLookup {
        if let Some(r) = self.cache.get(&locator) {
            return r.clone();
        }
        let r = self.lookup(locator);
        self.cache.insert(locator, r.clone());
        r
    }

    fn toast_chunks(&mut self, ptr: &ToastPointer) -> Option<Vec<(i32, Vec<u8>)>> {
        live_toast_chunks(ptr)
    }

    fn live_tuple(&mut self, locator: RelFileLocator, tid: (u32, u16)) -> Option<Vec<u8>> {
        if locator.db != self.my_db {
            return None;
        }
        let spc = if locator.spc == self.my_spc { 0 } else { locator.spc };
        // SAFETY: a catalog lookup, as in `lookup`.
        let relid = unsafe {
            pg_sys::ffi::pg_guard_ffi_boundary(|| {
                RelidByRelfilenode(pg_sys::Oid::from(spc), pg_sys::Oid::from(locator.rel))
            })
        };
        if relid == pg_sys::InvalidOid {
            return None;
        }
        let page = read_page(relid, tid.0)?;
        heap_page::tuple(&page, tid.1).map(<[u8]>::to_vec)
    }
}

/// Block `blkno` of relation `relid` as it is now: pinned, share-locked
/// and copied, so it is read with the decoder's checked page code.
/// `None` when the relation is gone or shorter.
fn read_page(relid: pg_sys::Oid, blkno: u32) -> Option<Box<[u8; BLCKSZ]>> {
    let lock = pg_sys::AccessShareLock as i32;
    // SAFETY: the relation is opened with AccessShareLock and closed below;
    // the buffer is pinned and share-locked while its page is copied, and
    // only blocks below the relation's length are read.
    unsafe {
        let rel = pg_sys::try_relation_open(relid, lock);
        if rel.is_null() {
            return None;
        }
        let nblocks =
            pg_sys::RelationGetNumberOfBlocksInFork(rel, pg_sys::ForkNumber::MAIN_FORKNUM);
        let page = (blkno < nblocks).then(|| copy_block(rel, blkno));
        pg_sys::relation_close(rel, lock);
        page
    }
}

/// Copies block `blkno` of the open relation `rel` under a share lock.
///
/// # Safety
/// `rel` must be open and `blkno` below its length.
unsafe fn copy_block(rel: pg_sys::Relation, blkno: u32) -> Box<[u8; BLCKSZ]> {
    let mut page = Box::new([0u8; BLCKSZ]);
    // SAFETY: per the contract; the page is BLCKSZ bytes of a pinned buffer.
    unsafe {
        let buf = pg_sys::ReadBuffer(rel, blkno);
        pg_sys::LockBuffer(buf, pg_sys::BUFFER_LOCK_SHARE as i32);
        std::ptr::copy_nonoverlapping(
            pg_sys::BufferGetPage(buf).cast::<u8>(),
            page.as_mut_ptr(),
            BLCKSZ,
        );
        pg_sys::UnlockReleaseBuffer(buf);
    }
    page
}

/// The chunks of a TOAST value in the live TOAST relation, read past MVCC:
/// the chunks of a value deleted since stay until VACUUM removes them. The
/// relation's index on `chunk_id` gives their positions (with
/// `SnapshotAny`, dead entries included); each page is copied under a
/// share lock and the chunk read from the copy with the decoder's checked
/// page code, so nothing is pruned on the way (a heap fetch through the
/// index would prune the very chunks it looks for).
fn live_toast_chunks(ptr: &ToastPointer) -> Option<Vec<(i32, Vec<u8>)>> {
    let relid = pg_sys::Oid::from(ptr.toastrelid);
    let lock = pg_sys::AccessShareLock as i32;
    // SAFETY: the relation and its index are opened with AccessShareLock
    // and closed below; each buffer is pinned and share-locked while its
    // page is copied.
    unsafe {
        let rel = pg_sys::try_relation_open(relid, lock);
        if rel.is_null() {
            return None;
        }
        let indexes = pgrx::PgList::<pg_sys::Oid>::from_pg(pg_sys::RelationGetIndexList(rel));
        let index_oid = indexes.iter_oid().next();
        let (true, Some(index_oid)) =
            ((*(*rel).rd_rel).relkind as u8 == pg_sys::RELKIND_TOASTVALUE, index_oid)
        else {
            pg_sys::relation_close(rel, lock);
            return None;
        };
        let index = pg_sys::index_open(index_oid, lock);
        let mut key = pg_sys::ScanKeyData::default();
        pg_sys::ScanKeyInit(
            &mut key,
            1,
            pg_sys::BTEqualStrategyNumber as u16,
            pg_sys::Oid::from(pg_sys::F_OIDEQ),
            pg_sys::Datum::from(ptr.valueid),
        );
        let scan = pg_sys::index_beginscan(rel, index, &raw mut pg_sys::SnapshotAnyData, 1, 0);
        (*scan).ignore_killed_tuples = false;
        pg_sys::index_rescan(scan, &mut key, 1, std::ptr::null_mut(), 0);
        let nblocks =
            pg_sys::RelationGetNumberOfBlocksInFork(rel, pg_sys::ForkNumber::MAIN_FORKNUM);
        let mut chunks = Vec::new();
        loop {
            let tid = pg_sys::index_getnext_tid(scan, pg_sys::ScanDirection::ForwardScanDirection);
            if tid.is_null() {
                break;
            }
            let blkno = u32::from((*tid).ip_blkid.bi_hi) << 16 | u32::from((*tid).ip_blkid.bi_lo);
            if blkno >= nblocks {
                continue;
            }
            let page = copy_block(rel, blkno);
            let chunk = heap_page::tuple(&page, (*tid).ip_posid).and_then(Chunk::parse);
            if let Some(c) = chunk.filter(|c| c.value_id == ptr.valueid) {
                chunks.push((c.seq, c.data.to_vec()));
            }
        }
        pg_sys::index_endscan(scan);
        pg_sys::index_close(index, lock);
        pg_sys::relation_close(rel, lock);
        Some(chunks)
    }
}

/// `quote_identifier`.
pub fn quote_ident(s: &str) -> String {
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

/// Describes relation `relid` for the miner; `None` if it vanished.
fn describe(relid: pg_sys::Oid) -> Option<RelInfo> {
    // SAFETY: the relcache entry is pinned between RelationIdGetRelation
    // and RelationClose; everything needed is copied out in between.
    unsafe {
        let rel = pg_sys::RelationIdGetRelation(relid);
        if rel.is_null() {
            return None;
        }
        let form = (*rel).rd_rel;
        let schema = cstr_to_utf8(pg_sys::get_namespace_name((*form).relnamespace));
        let name = cstr_to_utf8((*form).relname.data.as_ptr());
        let tupdesc = (*rel).rd_att;
        let natts = (*tupdesc).natts as usize;
        let attrs = (*tupdesc).attrs.as_slice(natts);
        let mut atts = Vec::with_capacity(natts);
        for (i, a) in attrs.iter().enumerate() {
            let attname = cstr_to_utf8(a.attname.data.as_ptr());
            let missing = if a.atthasmissing {
                let mut isnull = true;
                let d = pg_sys::getmissingattr(tupdesc, i as i32 + 1, &mut isnull);
                (!isnull).then(|| datum_bytes(d, a.attlen, a.attbyval))
            } else {
                None
            };
            atts.push(AttInfo {
                quoted_name: quote_ident(&attname),
                name: attname,
                layout: AttrDesc {
                    attlen: a.attlen,
                    attalign: a.attalign as u8,
                    attbyval: a.attbyval,
                    dropped: a.attisdropped,
                },
                typid: a.atttypid.to_u32(),
                typmod: a.atttypmod,
                generated: a.attgenerated as u8 == b's',
                identity_always: a.attidentity as u8 == b'a',
                missing,
                send_fn: if a.attisdropped { None } else { send_function(a.atttypid) },
                eq_op: None,
            });
        }
        let key = identity_columns(rel);
        for &(k, ref eq) in &key {
            if let Some(a) = atts.get_mut(k) {
                a.eq_op = eq.clone();
            }
        }
        let key = key.into_iter().map(|(k, _)| k).collect();
        pg_sys::RelationClose(rel);
        Some(RelInfo {
            oid: relid.to_u32(),
            qualified: format!("{}.{}", quote_ident(&schema), quote_ident(&name)),
            schema: schema.into(),
            name: name.into(),
            atts,
            key,
        })
    }
}

/// The columns of the replica identity index (the primary key by default),
/// each with the equality operator of its operator class, as
/// `OPERATOR(schema.name)`.
///
/// # Safety
/// `rel` must be an open relation.
unsafe fn identity_columns(rel: pg_sys::Relation) -> Vec<(usize, Option<String>)> {
    // SAFETY: per the contract; the index is opened and closed here, and
    // its per-column arrays hold indnkeyatts entries.
    unsafe {
        let idx = pg_sys::RelationGetReplicaIndex(rel);
        if idx == pg_sys::InvalidOid {
            return Vec::new();
        }
        let irel = pg_sys::index_open(idx, pg_sys::AccessShareLock as i32);
        let index = (*irel).rd_index;
        let nkeys = (*index).indnkeyatts as usize;
        let keys = (*index).indkey.values.as_slice(nkeys);
        let mut cols = Vec::with_capacity(nkeys);
        for (i, &k) in keys.iter().enumerate() {
            if k <= 0 {
                continue;
            }
            let family = *(*irel).rd_opfamily.add(i);
            let intype = *(*irel).rd_opcintype.add(i);
            let op = pg_sys::get_opfamily_member(
                family,
                intype,
                intype,
                pg_sys::BTEqualStrategyNumber as i16,
            );
            cols.push((k as usize - 1, qualified_operator(op)));
        }
        pg_sys::index_close(irel, pg_sys::AccessShareLock as i32);
        cols
    }
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
