//! Which relation a file held at an LSN, with its columns as they were:
//! the catalog history of the WAL ([`CatalogHistory`]) first, then the
//! live catalog for every row the WAL shows no version of (such a row did
//! not change in the range). Relation numbers reused by a new table are
//! told apart by LSN: the live catalog is trusted for a file only when
//! the WAL shows no newer owner of it.
//!
//! Answers are cached per file and per "catalog epoch" — how many of the
//! transactions that changed catalog rows had ended before the LSN — so
//! the common case (no DDL in the range) costs one hash lookup per row.

use std::rc::Rc;

use super::catalog::{AttInfo, Catalog, RelInfo, RelLookup};
use super::history::{AtLsn, CatalogHistory, Snapshot};
use super::xacts::XactTable;
use crate::fxhash::FxHashMap;
use crate::heap::tuple::AttrDesc;
use crate::layout::RelFileLocator;
use crate::lsn::Lsn;
use crate::syscat::{AttributeRow, ClassRow, IndexRow};

/// First OID assigned to user objects (`FirstNormalObjectId`).
pub(super) const FIRST_NORMAL_OBJECT_ID: u32 = 16384;

// pg_class.relkind and relreplident values.
pub(super) const RELKIND_RELATION: u8 = b'r';
const RELKIND_TOASTVALUE: u8 = b't';
const REPLICA_IDENTITY_DEFAULT: u8 = b'd';
const REPLICA_IDENTITY_INDEX: u8 = b'i';
// pg_attribute.attgenerated / attidentity values.
const ATTRIBUTE_GENERATED_STORED: u8 = b's';
const ATTRIBUTE_IDENTITY_ALWAYS: u8 = b'a';

/// Resolves files to relations at LSNs.
pub struct Relations<C: Catalog> {
    pub(crate) catalog: C,
    history: CatalogHistory,
    db: u32,
    default_spc: u32,
    /// When transactions that changed catalog rows ended, in order.
    epochs: Vec<Lsn>,
    /// Keyed by the file, the epoch at the LSN and, for a transaction
    /// that changes the catalog itself, its xid and how far it got.
    cache: FxHashMap<(RelFileLocator, usize, u32, usize), RelLookup>,
    /// Top-level transactions that changed catalog rows: they see their
    /// own changes. Per such transaction, the LSNs where its view of the
    /// catalog changes: its writes, and the ends of its subtransactions
    /// that wrote (a rolled-back one's writes disappear), in order.
    writer_steps: FxHashMap<u32, Vec<Lsn>>,
}

impl<C: Catalog> Relations<C> {
    pub fn new(catalog: C, history: CatalogHistory, xacts: &XactTable) -> Self {
        let (db, default_spc) = catalog.database();
        let mut epochs: Vec<Lsn> = history
            .writers()
            .keys()
            .filter_map(|&x| xacts.get(xacts.top_of(x)).and_then(|s| s.end_lsn))
            .collect();
        epochs.sort_unstable();
        epochs.dedup();
        let mut writer_steps: FxHashMap<u32, Vec<Lsn>> = FxHashMap::default();
        for (&xid, lsns) in history.writers() {
            let top = xacts.top_of(xid);
            let steps = writer_steps.entry(top).or_default();
            steps.extend_from_slice(lsns);
            if xid != top {
                steps.extend(xacts.get(xid).and_then(|s| s.end_lsn));
            }
        }
        for steps in writer_steps.values_mut() {
            steps.sort_unstable();
            steps.dedup();
        }
        Relations {
            catalog,
            history,
            db,
            default_spc,
            epochs,
            cache: FxHashMap::default(),
            writer_steps,
        }
    }

    pub fn history(&self) -> &CatalogHistory {
        &self.history
    }

    /// The relation stored in `locator` as the change by `xid` at `lsn`
    /// saw it.
    pub fn relation(
        &mut self,
        locator: RelFileLocator,
        lsn: Lsn,
        xid: u32,
        xacts: &XactTable,
    ) -> RelLookup {
        if locator.db != self.db {
            // Shared catalogs live in database 0.
            return if locator.db == 0 { RelLookup::Skip } else { RelLookup::OtherDatabase };
        }
        let reader = xacts.top_of(xid);
        let epoch = self.epochs.partition_point(|e| *e < lsn);
        // A transaction that changes the catalog sees its own changes: its
        // lookups are its own, and change at each of its steps (a bulk
        // load after a TRUNCATE in the same transaction resolves its table
        // once, not once per row).
        let (own, step) = match self.writer_steps.get(&reader) {
            Some(steps) => (reader, steps.partition_point(|e| *e < lsn)),
            None => (0, 0),
        };
        let key = (locator, epoch, own, step);
        if let Some(r) = self.cache.get(&key) {
            return r.clone();
        }
        let at = Snapshot { lsn, reader, xacts };
        let r = self.resolve(locator, at);
        self.cache.insert(key, r.clone());
        r
    }

    fn resolve(&mut self, locator: RelFileLocator, at: Snapshot<'_>) -> RelLookup {
        let Relations { catalog, history, .. } = self;
        let mut old = |x| catalog.xid_committed(x);
        let spc = if locator.spc == self.default_spc { 0 } else { locator.spc };
        let file = format!("{}/{}/{}", locator.spc, locator.db, locator.rel);
        let from_wal = history.relation_with_file(locator.rel, spc, at, &mut old);
        let oid = match from_wal {
            Some(oid) => oid,
            None => {
                let Some(oid) = self.catalog.relid_by_filenode(spc, locator.rel) else {
                    return unknown(
                        &file,
                        "no relation uses it now and the WAL read shows none that did then",
                    );
                };
                if oid < FIRST_NORMAL_OBJECT_ID {
                    // A system catalog (mapped ones have no file number in
                    // pg_class): never reported.
                    return RelLookup::Skip;
                }
                // The live owner is the owner then only if its pg_class
                // row did not change in the range (else the WAL would have
                // named it above).
                let mut old = |x| self.catalog.xid_committed(x);
                if self.history.class(oid, at, &mut old) != AtLsn::NotInWal {
                    return unknown(&file, "the relation using it now took it over later");
                }
                oid
            }
        };
        let mut old = |x| self.catalog.xid_committed(x);
        let class = match self.history.class(oid, at, &mut old) {
            AtLsn::Row(c) => c.clone(),
            AtLsn::NotInWal => match self.catalog.class(oid) {
                Some(c) => c,
                None => return unknown(&file, "its relation's catalog row is gone"),
            },
            AtLsn::Absent | AtLsn::Unknown => {
                return unknown(&file, "its relation's catalog row at that point is not known")
            }
        };
        if class.relkind == RELKIND_TOASTVALUE {
            return RelLookup::Toast;
        }
        // A table being written by a rewrite (ALTER TABLE ... TYPE): its
        // inserts copy rows, they are no change of their own.
        if class.relkind != RELKIND_RELATION || oid < FIRST_NORMAL_OBJECT_ID {
            return RelLookup::Skip;
        }
        if class.relrewrite != 0 {
            return RelLookup::Transient;
        }
        match self.describe(&class, at) {
            Ok(info) => RelLookup::Table(Rc::new(info)),
            Err(why) => unknown(&file, &why),
        }
    }

    /// The relation's columns, key and names at `at`.
    fn describe(&mut self, class: &ClassRow, at: Snapshot<'_>) -> Result<RelInfo, String> {
        let oid = class.oid;
        let mut rows = Vec::with_capacity(class.relnatts.max(0) as usize);
        for attnum in 1..=class.relnatts {
            let mut old = |x| self.catalog.xid_committed(x);
            let row = match self.history.attribute(oid, attnum, at, &mut old) {
                AtLsn::Row(a) => a.clone(),
                AtLsn::NotInWal => self
                    .catalog
                    .attribute(oid, attnum)
                    .ok_or_else(|| format!("column {attnum} of relation {oid} is gone"))?,
                AtLsn::Absent | AtLsn::Unknown => {
                    return Err(format!(
                        "column {attnum} of relation {oid} at that point is not known"
                    ))
                }
            };
            rows.push(row);
        }
        let key_index = self.key_index(class, at);
        let schema = self.schema_name(class.relnamespace, at)?;
        let gone = self.catalog.class(oid).is_none();
        let mut atts = Vec::with_capacity(rows.len());
        for a in &rows {
            atts.push(self.att_info(a));
        }
        let key: Vec<usize> = key_index
            .map(|i| {
                i.indkey
                    .iter()
                    .take(i.indnkeyatts.max(0) as usize)
                    .filter(|&&k| k > 0)
                    .map(|&k| k as usize - 1)
                    .collect()
            })
            .unwrap_or_default();
        for &k in &key {
            if let Some(a) = atts.get_mut(k) {
                a.eq_op = self.catalog.equality_operator(a.typid);
            }
        }
        let qualified = format!(
            "{}.{}",
            self.catalog.quote_ident(&schema),
            self.catalog.quote_ident(&class.relname)
        );
        Ok(RelInfo {
            oid,
            schema: schema.into(),
            name: class.relname.as_str().into(),
            qualified,
            atts,
            key,
            gone,
        })
    }

    pub(super) fn att_info(&mut self, a: &AttributeRow) -> AttInfo {
        AttInfo {
            attnum: a.attnum,
            quoted_name: self.catalog.quote_ident(&a.attname),
            name: a.attname.clone(),
            layout: AttrDesc {
                attlen: a.attlen,
                attalign: a.attalign,
                attbyval: a.attbyval,
                dropped: a.attisdropped,
            },
            typid: a.atttypid,
            typmod: a.atttypmod,
            generated: a.attgenerated == ATTRIBUTE_GENERATED_STORED,
            identity_always: a.attidentity == ATTRIBUTE_IDENTITY_ALWAYS,
            missing: a.attmissingval.clone().filter(|_| a.atthasmissing),
            send_fn: if a.attisdropped { None } else { self.catalog.send_function(a.atttypid) },
            eq_op: None,
        }
    }

    /// The index whose columns identify a row: the replica identity index,
    /// or the primary key by default.
    fn key_index(&mut self, class: &ClassRow, at: Snapshot<'_>) -> Option<IndexRow> {
        let wanted = |i: &IndexRow| match class.relreplident {
            REPLICA_IDENTITY_DEFAULT => i.indisprimary,
            REPLICA_IDENTITY_INDEX => i.indisreplident,
            _ => false,
        };
        let mut oids = self.history.index_oids_of(class.oid);
        oids.extend(self.catalog.index_oids(class.oid));
        oids.sort_unstable();
        oids.dedup();
        for ioid in oids {
            let mut old = |x| self.catalog.xid_committed(x);
            let row = match self.history.index(ioid, at, &mut old) {
                AtLsn::Row(i) => Some(i.clone()),
                AtLsn::NotInWal => self.catalog.index(ioid),
                AtLsn::Absent | AtLsn::Unknown => None,
            };
            if let Some(i) = row.filter(|i| i.indrelid == class.oid && i.indisvalid && wanted(i)) {
                return Some(i);
            }
        }
        None
    }

    /// `pg_class` of `oid` at `at`: the WAL's version, else (no version in
    /// the WAL) the live row; `None` when it did not exist then or is not
    /// known.
    pub(super) fn class_then(&mut self, oid: u32, at: Snapshot<'_>) -> Option<ClassRow> {
        let Relations { catalog, history, .. } = self;
        let mut old = |x| catalog.xid_committed(x);
        match history.class(oid, at, &mut old) {
            AtLsn::Row(c) => Some(c.clone()),
            AtLsn::NotInWal => self.catalog.class(oid),
            AtLsn::Absent | AtLsn::Unknown => None,
        }
    }

    /// `pg_attribute` of column `attnum` of `relid` at `at`, as
    /// [`Self::class_then`].
    pub(super) fn attribute_then(
        &mut self,
        relid: u32,
        attnum: i16,
        at: Snapshot<'_>,
    ) -> Option<AttributeRow> {
        let Relations { catalog, history, .. } = self;
        let mut old = |x| catalog.xid_committed(x);
        match history.attribute(relid, attnum, at, &mut old) {
            AtLsn::Row(a) => Some(a.clone()),
            AtLsn::NotInWal => self.catalog.attribute(relid, attnum),
            AtLsn::Absent | AtLsn::Unknown => None,
        }
    }

    pub(super) fn schema_name(&mut self, oid: u32, at: Snapshot<'_>) -> Result<String, String> {
        let mut old = |x| self.catalog.xid_committed(x);
        match self.history.namespace(oid, at, &mut old) {
            AtLsn::Row(n) => Ok(n.nspname.clone()),
            AtLsn::NotInWal => self
                .catalog
                .namespace(oid)
                .map(|n| n.nspname)
                .ok_or_else(|| format!("schema {oid} is gone")),
            AtLsn::Absent | AtLsn::Unknown => {
                Err(format!("schema {oid} at that point is not known"))
            }
        }
    }
}

fn unknown(file: &str, why: &str) -> RelLookup {
    RelLookup::Unknown(format!("which relation used file {file} is not known: {why}"))
}
