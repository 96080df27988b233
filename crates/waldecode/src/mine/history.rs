//! The catalog as the WAL shows it, so that a row change decodes with the
//! relation and columns valid at its LSN even after the table was altered,
//! rewritten or dropped.
//!
//! At `wal_level = replica` the system catalogs are heap tables like any
//! other: `CREATE`, `ALTER` and `DROP` insert, update and delete rows of
//! `pg_class`, `pg_attribute`, `pg_namespace` and `pg_index`, and every
//! catalog page modified after a checkpoint is imaged whole, with the rows
//! already on it. The first pass of the miner, started at the checkpoint
//! before the range, replays those pages ([`CatalogHistory::observe`]) and
//! keeps every version of every row it sees with the transaction that made
//! it and the one that unmade it. A lookup at an LSN then evaluates each
//! version's visibility as the server would have for the transaction that
//! wrote the change: committed before that LSN (by the transaction table
//! of the range, or the tuple's hint bits, or the server's commit log for
//! transactions older than the range), or the reader's own.
//!
//! A row with no version in the WAL was not modified in the range (its
//! page would have been imaged): its state then is its state now, and the
//! caller asks the live catalog.

use std::collections::HashMap;
use std::hash::Hash;

use super::xacts::XactTable;
use crate::error::Result;
use crate::heap::store::{PageKey, PageStore, SpillMaker};
use crate::heap::tuple::{TupleHeader, FIRST_NORMAL_XID};
use crate::heap::{self, no_live_tuples, page, ChangeKind};
use crate::lsn::Lsn;
use crate::record::Record;
use crate::rmgr::relmap::RelmapRecord;
use crate::rmgr::{xlog, RM_HEAP2_ID, RM_HEAP_ID, RM_RELMAP_ID};
use crate::syscat::relmap::RelMapFile;
use crate::syscat::{
    AttributeRow, ClassRow, IndexRow, NamespaceRow, ATTRIBUTE_RELATION_ID, INDEX_RELATION_ID,
    NAMESPACE_RELATION_ID, RELATION_RELATION_ID,
};
use crate::version::PgVersion;

/// Pages of the catalogs tracked at once (they spill beyond).
const CATALOG_PAGE_BUDGET: usize = 16 << 20;

/// The catalogs whose rows the miner rebuilds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SysCatalog {
    Class,
    Attribute,
    Namespace,
    Index,
}

impl SysCatalog {
    /// The catalog with relation OID `relid`.
    pub fn of(relid: u32) -> Option<SysCatalog> {
        Some(match relid {
            RELATION_RELATION_ID => SysCatalog::Class,
            ATTRIBUTE_RELATION_ID => SysCatalog::Attribute,
            NAMESPACE_RELATION_ID => SysCatalog::Namespace,
            INDEX_RELATION_ID => SysCatalog::Index,
            _ => return None,
        })
    }
}

/// How the WAL showed a version first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// On a page image: made before it, by whatever.
    Image,
    /// Made by an insert record: a new row.
    Insert,
    /// Made by an update record: a new version of an existing row.
    Update,
}

/// One version of a catalog row and the transactions around it.
#[derive(Debug, Clone)]
struct Version<R> {
    row: R,
    origin: Origin,
    xmin: u32,
    /// Hint bits of xmin, from a page image: committed or aborted.
    xmin_hint: Option<bool>,
    /// Where the record that made it is (0 for a version first seen on
    /// an image): its own transaction sees it only after that.
    made_at: Lsn,
    /// The xid that deleted or updated this version (0: none seen).
    xmax: u32,
    /// xmax is a MultiXactId: who deleted is not known here.
    xmax_multi: bool,
    /// Where the record that unmade it is (0 when seen on an image).
    unmade_at: Lsn,
    /// Unmade by a delete record (the row is gone), not an update.
    deleted: bool,
}

impl<R> Version<R> {
    /// A version made by the tuple whose header is `h` (its deleter is
    /// set apart).
    fn of(row: R, origin: Origin, h: &TupleHeader, made_at: Lsn) -> Version<R> {
        Version {
            row,
            origin,
            xmin: h.xmin,
            xmin_hint: h.xmin_hint(),
            made_at,
            xmax: 0,
            xmax_multi: false,
            unmade_at: Lsn::INVALID,
            deleted: false,
        }
    }
}

/// Every version of the rows of one catalog, by row identity.
#[derive(Debug)]
struct Versions<R, K> {
    all: Vec<Version<R>>,
    by_key: HashMap<K, Vec<usize>>,
}

impl<R, K> Default for Versions<R, K> {
    fn default() -> Self {
        Versions { all: Vec::new(), by_key: HashMap::new() }
    }
}

impl<R, K: Hash + Eq> Versions<R, K> {
    fn add(&mut self, key: K, v: Version<R>) -> usize {
        self.all.push(v);
        let i = self.all.len() - 1;
        self.by_key.entry(key).or_default().push(i);
        i
    }
}

/// What the WAL says of a row at an LSN.
#[derive(Debug, Clone, PartialEq)]
pub enum AtLsn<'a, R> {
    /// This version was the visible one.
    Row(&'a R),
    /// The row did not exist then (its versions were not yet made, or
    /// already unmade).
    Absent,
    /// No version of the row is in the WAL: it did not change in the
    /// range, so it was then as it is now.
    NotInWal,
    /// Versions exist but whether one was visible cannot be told (a
    /// transaction older than the range whose outcome is not known).
    Unknown,
}

/// Where a visibility question is asked: a record's LSN and the top-level
/// transaction that wrote it.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot<'a> {
    pub lsn: Lsn,
    pub reader: u32,
    pub xacts: &'a XactTable,
}

/// The outcome of transactions older than the range (the server's commit
/// log): `Some(true)` committed, `Some(false)` aborted or in progress,
/// `None` when not known.
pub type XidStatus<'a> = dyn FnMut(u32) -> Option<bool> + 'a;

/// Where a version sits: its catalog, page and line pointer, and xmin.
type Slot = (SysCatalog, u32, u16, u32);

/// The fields of a version its deletion or update sets.
struct Unmade<'a> {
    xmax: &'a mut u32,
    multi: &'a mut bool,
    at: &'a mut Lsn,
    deleted: &'a mut bool,
}

/// A change a WAL record made to one catalog row: `before` is `None` for
/// an insert, `after` for a delete. Updates whose old version the WAL did
/// not show are not listed (there is nothing to compare with).
#[derive(Debug, Clone, Copy)]
pub struct RowChange<'a, R> {
    pub lsn: Lsn,
    /// The transaction (or subtransaction) that made it.
    pub xid: u32,
    pub before: Option<&'a R>,
    pub after: Option<&'a R>,
}

/// The versions of catalog rows the WAL shows.
pub struct CatalogHistory {
    db: u32,
    /// The file number of each catalog in this database.
    filenodes: HashMap<u32, SysCatalog>,
    store: PageStore,
    slots: HashMap<Slot, usize>,
    classes: Versions<ClassRow, u32>,
    attributes: Versions<AttributeRow, (u32, i16)>,
    namespaces: Versions<NamespaceRow, u32>,
    indexes: Versions<IndexRow, u32>,
    /// Transactions that wrote catalog rows, with the LSNs of their writes
    /// in order.
    writers: HashMap<u32, Vec<Lsn>>,
    /// Tuples on catalog pages that did not parse (reported, not guessed).
    unreadable: usize,
}

impl CatalogHistory {
    /// A history of database `db`'s catalogs, whose file numbers are
    /// `filenodes` (catalog relation OID → file number, as now).
    pub fn new(db: u32, filenodes: &[(u32, u32)], spill: SpillMaker) -> CatalogHistory {
        CatalogHistory {
            db,
            filenodes: filenodes
                .iter()
                .filter_map(|&(relid, node)| Some((node, SysCatalog::of(relid)?)))
                .collect(),
            store: PageStore::with_spill(CATALOG_PAGE_BUDGET, spill),
            slots: HashMap::new(),
            classes: Versions::default(),
            attributes: Versions::default(),
            namespaces: Versions::default(),
            indexes: Versions::default(),
            writers: HashMap::new(),
            unreadable: 0,
        }
    }

    /// Transactions that wrote catalog rows in the range, with the LSNs
    /// of their writes in order.
    pub fn writers(&self) -> &HashMap<u32, Vec<Lsn>> {
        &self.writers
    }

    /// Catalog tuples that could not be read.
    pub fn unreadable(&self) -> usize {
        self.unreadable
    }

    fn catalog_of(&self, locator: crate::RelFileLocator) -> Option<SysCatalog> {
        (locator.db == self.db).then(|| self.filenodes.get(&locator.rel).copied()).flatten()
    }

    /// Takes note of one record (call for every record of the first pass,
    /// in WAL order).
    pub fn observe(&mut self, rec: &Record<'_>) -> Result<()> {
        if rec.rmid() == RM_RELMAP_ID {
            self.remap(rec);
            return Ok(());
        }
        let heap_pages = matches!(rec.rmid(), RM_HEAP_ID | RM_HEAP2_ID) || xlog::is_fpi(rec);
        if !heap_pages || !rec.blocks().iter().any(|b| self.catalog_of(b.locator).is_some()) {
            return Ok(());
        }
        let changes = heap::apply(rec, &mut self.store, &mut no_live_tuples)?;
        let lsn = rec.lsn();
        for b in rec.blocks() {
            let imaged = b.fork == 0 && b.image.as_ref().is_some_and(|i| i.apply);
            if let (true, Some(cat)) = (imaged, self.catalog_of(b.locator)) {
                let key = PageKey { locator: b.locator, fork: 0, blkno: b.blkno };
                self.note_page(rec.version(), cat, key, lsn)?;
            }
        }
        for ch in changes {
            let Some(cat) = self.catalog_of(ch.locator) else { continue };
            let deleted = ch.kind == ChangeKind::Delete;
            if let (ChangeKind::Update { .. } | ChangeKind::Delete, Some(tid), Some(t)) =
                (ch.kind, ch.old_tid, &ch.old_tuple)
            {
                self.unmake(rec.version(), cat, tid, t, (rec.xid(), lsn, deleted));
            }
            let origin = match ch.kind {
                ChangeKind::Insert => Origin::Insert,
                _ => Origin::Update,
            };
            if let (ChangeKind::Insert | ChangeKind::Update { .. }, Some(tid), Some(t)) =
                (ch.kind, ch.new_tid, &ch.new_tuple)
            {
                self.make(rec.version(), cat, tid, t, (origin, lsn));
            }
            if rec.xid() != 0 {
                let lsns = self.writers.entry(rec.xid()).or_default();
                if lsns.last() != Some(&lsn) {
                    lsns.push(lsn);
                }
            }
        }
        Ok(())
    }

    /// A relation map rewrite: mapped catalogs move to new file numbers
    /// (`VACUUM FULL pg_class`).
    fn remap(&mut self, rec: &Record<'_>) {
        let Some(RelmapRecord::Update(r)) =
            RelmapRecord::parse(rec.version(), rec.info(), rec.main_data())
        else {
            return;
        };
        if r.dbid != self.db {
            return;
        }
        let Ok(map) = RelMapFile::from_record(rec.version(), &r) else { return };
        for m in &map.mappings {
            if let Some(cat) = SysCatalog::of(m.oid) {
                self.filenodes.retain(|_, c| *c != cat);
                self.filenodes.insert(m.filenumber, cat);
            }
        }
    }

    /// Every tuple on an imaged catalog page that is not known yet.
    fn note_page(&mut self, v: PgVersion, cat: SysCatalog, key: PageKey, lsn: Lsn) -> Result<()> {
        let Some(p) = self.store.get(key).map_err(|e| heap::io_error(lsn, e))? else {
            return Ok(());
        };
        let tuples: Vec<(u16, Vec<u8>)> = (1..=page::max_offset(p) as u16)
            .filter_map(|off| Some((off, page::tuple(p, off)?.to_vec())))
            .collect();
        for (off, t) in tuples {
            let Some(h) = TupleHeader::parse(&t) else { continue };
            let slot = (cat, key.blkno, off, h.xmin);
            match self.slots.get(&slot) {
                // Known: the image may show a deletion we have not seen.
                Some(&i) => self.set_xmax(cat, i, &h),
                None => {
                    let made = (Origin::Image, Lsn::INVALID);
                    if let Some(i) = self.make(v, cat, (key.blkno, off), &t, made) {
                        self.set_xmax(cat, i, &h);
                    }
                }
            }
        }
        Ok(())
    }

    /// A new version from a whole tuple at `tid`, made as `made` says
    /// (how, and where: 0 for an image).
    fn make(
        &mut self,
        v: PgVersion,
        cat: SysCatalog,
        tid: (u32, u16),
        t: &[u8],
        made: (Origin, Lsn),
    ) -> Option<usize> {
        let h = TupleHeader::parse(t)?;
        let (o, at) = made;
        let added = match cat {
            SysCatalog::Class => {
                ClassRow::parse(v, t).map(|r| self.classes.add(r.oid, Version::of(r, o, &h, at)))
            }
            SysCatalog::Attribute => AttributeRow::parse(v, t)
                .map(|r| self.attributes.add((r.attrelid, r.attnum), Version::of(r, o, &h, at))),
            SysCatalog::Namespace => NamespaceRow::parse(v, t)
                .map(|r| self.namespaces.add(r.oid, Version::of(r, o, &h, at))),
            SysCatalog::Index => IndexRow::parse(v, t)
                .map(|r| self.indexes.add(r.indexrelid, Version::of(r, o, &h, at))),
        };
        match added {
            Ok(i) => {
                self.slots.insert((cat, tid.0, tid.1, h.xmin), i);
                Some(i)
            }
            Err(_) => {
                self.unreadable += 1;
                None
            }
        }
    }

    /// The version at `tid` was updated or deleted: `by` is the xid, the
    /// record's LSN and whether it was a delete.
    fn unmake(
        &mut self,
        v: PgVersion,
        cat: SysCatalog,
        tid: (u32, u16),
        old: &[u8],
        by: (u32, Lsn, bool),
    ) {
        let Some(h) = TupleHeader::parse(old) else { return };
        let i = match self.slots.get(&(cat, tid.0, tid.1, h.xmin)) {
            Some(&i) => i,
            None => match self.make(v, cat, tid, old, (Origin::Image, Lsn::INVALID)) {
                Some(i) => i,
                None => return,
            },
        };
        self.with_version(cat, i, |u| {
            (*u.xmax, *u.multi, *u.at, *u.deleted) = (by.0, false, by.1, by.2);
        });
    }

    /// Takes the deleter an image shows, unless one is known.
    fn set_xmax(&mut self, cat: SysCatalog, i: usize, h: &TupleHeader) {
        let Some(d) = h.deleter() else { return };
        let multi = h.xmax_is_multi();
        self.with_version(cat, i, |u| {
            if *u.xmax == 0 {
                *u.xmax = d;
                *u.multi = multi;
            }
        });
    }

    fn with_version(&mut self, cat: SysCatalog, i: usize, f: impl FnOnce(Unmade<'_>)) {
        fn fields<R>(v: Option<&mut Version<R>>) -> Option<Unmade<'_>> {
            v.map(|v| Unmade {
                xmax: &mut v.xmax,
                multi: &mut v.xmax_multi,
                at: &mut v.unmade_at,
                deleted: &mut v.deleted,
            })
        }
        let found = match cat {
            SysCatalog::Class => fields(self.classes.all.get_mut(i)),
            SysCatalog::Attribute => fields(self.attributes.all.get_mut(i)),
            SysCatalog::Namespace => fields(self.namespaces.all.get_mut(i)),
            SysCatalog::Index => fields(self.indexes.all.get_mut(i)),
        };
        if let Some(u) = found {
            f(u);
        }
    }

    /// `pg_class` of relation `oid` at `at`.
    pub fn class(
        &self,
        oid: u32,
        at: Snapshot<'_>,
        old: &mut XidStatus<'_>,
    ) -> AtLsn<'_, ClassRow> {
        row_at(&self.classes, &oid, at, old)
    }

    /// `pg_attribute` of column `attnum` of relation `relid` at `at`.
    pub fn attribute(
        &self,
        relid: u32,
        attnum: i16,
        at: Snapshot<'_>,
        old: &mut XidStatus<'_>,
    ) -> AtLsn<'_, AttributeRow> {
        row_at(&self.attributes, &(relid, attnum), at, old)
    }

    /// `pg_namespace` of schema `oid` at `at`.
    pub fn namespace(
        &self,
        oid: u32,
        at: Snapshot<'_>,
        old: &mut XidStatus<'_>,
    ) -> AtLsn<'_, NamespaceRow> {
        row_at(&self.namespaces, &oid, at, old)
    }

    /// `pg_index` of index `oid` at `at`.
    pub fn index(
        &self,
        oid: u32,
        at: Snapshot<'_>,
        old: &mut XidStatus<'_>,
    ) -> AtLsn<'_, IndexRow> {
        row_at(&self.indexes, &oid, at, old)
    }

    /// Indexes of relation `relid` that have versions in the WAL.
    pub fn index_oids_of(&self, relid: u32) -> Vec<u32> {
        let mut oids: Vec<u32> = self
            .indexes
            .all
            .iter()
            .filter(|v| v.row.indrelid == relid)
            .map(|v| v.row.indexrelid)
            .collect();
        oids.sort_unstable();
        oids.dedup();
        oids
    }

    /// The changes records made to `pg_class` rows, in WAL order.
    pub fn class_changes(&self) -> Vec<RowChange<'_, ClassRow>> {
        changes(&self.classes)
    }

    /// The changes records made to `pg_attribute` rows, in WAL order.
    pub fn attribute_changes(&self) -> Vec<RowChange<'_, AttributeRow>> {
        changes(&self.attributes)
    }

    /// The changes records made to `pg_index` rows, in WAL order.
    pub fn index_changes(&self) -> Vec<RowChange<'_, IndexRow>> {
        changes(&self.indexes)
    }

    /// The relations whose `pg_class` row had file number `filenode` in
    /// tablespace `spc` (0: the database's default) in any version the
    /// WAL shows.
    pub fn oids_with_file(&self, filenode: u32, spc: u32) -> Vec<u32> {
        let mut oids: Vec<u32> = self
            .classes
            .all
            .iter()
            .filter(|v| v.row.relfilenode == filenode && v.row.reltablespace == spc)
            .map(|v| v.row.oid)
            .collect();
        oids.sort_unstable();
        oids.dedup();
        oids
    }

    /// The relations whose `pg_class` row had file number `filenode` in
    /// tablespace `spc` (0: the database's default) at `at`, by the WAL.
    pub fn relation_with_file(
        &self,
        filenode: u32,
        spc: u32,
        at: Snapshot<'_>,
        old: &mut XidStatus<'_>,
    ) -> Option<u32> {
        self.oids_with_file(filenode, spc).into_iter().find(|&oid| {
            matches!(self.class(oid, at, old), AtLsn::Row(c) if c.relfilenode == filenode && c.reltablespace == spc)
        })
    }
}

/// Whether a change by `xid` made at `made_at` was visible at `at`: its
/// own transaction's once made; another's once committed, by the range's
/// transaction table, else by the tuple's hint, else by the server's
/// commit log.
fn made_visible(
    xid: u32,
    hint: Option<bool>,
    made_at: Lsn,
    at: Snapshot<'_>,
    old: &mut XidStatus<'_>,
) -> Option<bool> {
    if xid < FIRST_NORMAL_XID {
        return Some(true);
    }
    let seen = at.xacts.visible_at(xid, at.lsn, at.reader);
    if at.reader != 0 && at.xacts.top_of(xid) == at.reader {
        return seen.map(|s| s && made_at < at.lsn);
    }
    seen.or(hint).or_else(|| old(xid))
}

/// The version of a row visible at `at`.
fn row_at<'a, R, K: Hash + Eq>(
    set: &'a Versions<R, K>,
    key: &K,
    at: Snapshot<'_>,
    old: &mut XidStatus<'_>,
) -> AtLsn<'a, R> {
    let Some(idx) = set.by_key.get(key) else { return AtLsn::NotInWal };
    let mut unknown = false;
    // The latest version that was made and not yet unmade.
    for &i in idx.iter().rev() {
        let Some(v) = set.all.get(i) else { continue };
        let made = made_visible(v.xmin, v.xmin_hint, v.made_at, at, old);
        let unmade = match (v.xmax, v.xmax_multi) {
            (0, _) => Some(false),
            (_, true) => None,
            (x, false) => made_visible(x, None, v.unmade_at, at, old),
        };
        match (made, unmade) {
            (Some(true), Some(false)) => return AtLsn::Row(&v.row),
            (Some(false), _) | (_, Some(true)) => {}
            _ => unknown = true,
        }
    }
    if unknown {
        AtLsn::Unknown
    } else {
        AtLsn::Absent
    }
}

/// Every insert, update and delete records made to the rows of `set`, in
/// WAL order (the rows of one record in the order they were seen).
fn changes<R, K: Hash + Eq>(set: &Versions<R, K>) -> Vec<RowChange<'_, R>> {
    let mut out = Vec::new();
    for idx in set.by_key.values() {
        let versions = || idx.iter().filter_map(|&i| set.all.get(i).map(|v| (i, v)));
        for (i, v) in versions() {
            match v.origin {
                Origin::Image => {}
                Origin::Insert => out.push((v.made_at, i, v.xmin, None, Some(&v.row))),
                Origin::Update => {
                    // The version this one replaced: unmade by the same
                    // record, by the same transaction.
                    let before = versions()
                        .find(|(_, b)| b.unmade_at == v.made_at && b.xmax == v.xmin && !b.deleted);
                    if let Some((_, b)) = before {
                        out.push((v.made_at, i, v.xmin, Some(&b.row), Some(&v.row)));
                    }
                }
            }
            if v.deleted && v.unmade_at.is_valid() {
                out.push((v.unmade_at, i, v.xmax, Some(&v.row), None));
            }
        }
    }
    out.sort_by_key(|c| (c.0, c.1));
    out.into_iter()
        .map(|(lsn, _, xid, before, after)| RowChange { lsn, xid, before, after })
        .collect()
}
