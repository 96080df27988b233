//! What the miner needs to know about a relation ([`RelInfo`]), and the
//! trait through which it asks the server for what the WAL does not hold
//! ([`Catalog`]): catalog rows as they are now, names quoted the server's
//! way, per-type functions and operators, transaction outcomes older than
//! the range, TOAST chunks and live tuples. The relation valid at an LSN
//! is put together from these and the catalog history of the WAL by
//! [`super::relations`].

use std::rc::Rc;

use crate::heap::toast::ToastPointer;
use crate::heap::tuple::AttrDesc;
use crate::layout::RelFileLocator;
use crate::syscat::{AttributeRow, ClassRow, IndexRow, NamespaceRow};

/// One column of a relation, in attribute-number order.
#[derive(Debug, Clone, PartialEq)]
pub struct AttInfo {
    /// Column number, 1-based.
    pub attnum: i16,
    pub name: String,
    /// The name as an SQL identifier (quoted where needed).
    pub quoted_name: String,
    /// Storage layout, needed to walk tuples (also for dropped columns).
    pub layout: AttrDesc,
    pub typid: u32,
    pub typmod: i32,
    /// `attgenerated = 's'`: computed, never written by our statements.
    pub generated: bool,
    /// `attidentity = 'a'`: inserting a value needs OVERRIDING SYSTEM VALUE.
    pub identity_always: bool,
    /// The value rows stored before the column was added take
    /// (`attmissingval`), as the bytes of a datum; `None` means NULL.
    pub missing: Option<Vec<u8>>,
    /// The type's binary send function, schema-qualified, used to compare
    /// values for identity (`=` can be coarser: 1.0 = 1.00, box areas).
    pub send_fn: Option<String>,
    /// For a key column: the equality operator of the key index's operator
    /// class, as `OPERATOR(schema.name)`.
    pub eq_op: Option<String>,
}

impl AsRef<AttrDesc> for AttInfo {
    fn as_ref(&self) -> &AttrDesc {
        &self.layout
    }
}

impl AttInfo {
    pub fn dropped(&self) -> bool {
        self.layout.dropped
    }

    /// Whether our statements write this column.
    pub fn written(&self) -> bool {
        !self.layout.dropped && !self.generated
    }
}

/// A relation as the miner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RelInfo {
    pub oid: u32,
    /// Shared, so every row of the relation can carry them without a copy.
    pub schema: Rc<str>,
    pub name: Rc<str>,
    /// `schema.name` as SQL, quoted where needed.
    pub qualified: String,
    pub atts: Vec<AttInfo>,
    /// Attribute indexes (0-based) that identify a row: the primary key, or
    /// the replica identity index. Empty when the table has neither.
    pub key: Vec<usize>,
    /// The relation no longer exists (dropped since): its statements name
    /// it as it was.
    pub gone: bool,
}

/// The answer to "which relation is stored in this file?".
#[derive(Debug, Clone)]
pub enum RelLookup {
    /// A user table of the current database.
    Table(Rc<RelInfo>),
    /// A TOAST relation: its rows are the chunks of values stored out of
    /// line, not rows to report.
    Toast,
    /// The new file of a table being rewritten (`VACUUM FULL`, `ALTER
    /// TABLE ... TYPE`): its rows are copies, not changes, but its pages
    /// become the table's.
    Transient,
    /// A system catalog, index or other relation whose changes are not
    /// reported as rows.
    Skip,
    /// A relation of another database; it cannot be resolved here.
    OtherDatabase,
    /// Neither the WAL nor the catalog tells which relation used the file
    /// then; the reason.
    Unknown(String),
}

/// What the server knows now, for what the WAL does not say.
pub trait Catalog {
    /// The current database's OID and default tablespace.
    fn database(&self) -> (u32, u32);

    /// The file numbers of the catalogs now: (catalog OID, file number)
    /// for `pg_class`, `pg_attribute`, `pg_namespace` and `pg_index`.
    fn catalog_filenodes(&mut self) -> Vec<(u32, u32)>;

    /// The relation whose file is `filenode` in tablespace `spc` now (0:
    /// the database's default), as `RelidByRelfilenode` answers.
    fn relid_by_filenode(&mut self, spc: u32, filenode: u32) -> Option<u32>;

    /// `pg_class` of relation `oid` now.
    fn class(&mut self, oid: u32) -> Option<ClassRow>;

    /// The xmins of relation `oid`'s `pg_class` row and column rows now
    /// (`None`: not known). Rows older than the range read were the rows
    /// then.
    fn definition_xmins(&mut self, _oid: u32) -> Option<Vec<u32>> {
        None
    }

    /// `pg_attribute` of column `attnum` of relation `relid` now.
    fn attribute(&mut self, relid: u32, attnum: i16) -> Option<AttributeRow>;

    /// `pg_namespace` of schema `oid` now.
    fn namespace(&mut self, oid: u32) -> Option<NamespaceRow>;

    /// The indexes of relation `relid` now.
    fn index_oids(&mut self, relid: u32) -> Vec<u32>;

    /// `pg_index` of index `oid` now.
    fn index(&mut self, oid: u32) -> Option<IndexRow>;

    /// Whether transaction `xid`, older than the range, committed (the
    /// commit log): `None` when not known.
    fn xid_committed(&mut self, xid: u32) -> Option<bool>;

    /// The type's binary send function, schema-qualified.
    fn send_function(&mut self, typid: u32) -> Option<String>;

    /// The equality operator of the type's default btree operator class,
    /// as `OPERATOR(schema.name)`.
    fn equality_operator(&mut self, typid: u32) -> Option<String>;

    /// A column's type as SQL, schema-qualified, with its typmod, and a
    /// `COLLATE` clause when `collation` is not the type's own; `None`
    /// when the type (or collation) no longer exists.
    fn column_type(&mut self, typid: u32, typmod: i32, collation: u32) -> Option<String>;

    /// The default operator class of the type for index access method
    /// `am`.
    fn default_opclass(&mut self, typid: u32, am: u32) -> Option<u32>;

    /// For an index that exists now: the type (`pg_constraint.contype`) of
    /// the constraint it belongs to, `Some(None)` when none; `None` when
    /// the index is gone (not known).
    fn index_constraint(&mut self, _index: u32) -> Option<Option<u8>> {
        None
    }

    /// `name` as an SQL identifier, quoted where the server would.
    fn quote_ident(&mut self, name: &str) -> String;

    /// The chunks (sequence number, data) of the TOAST value `ptr` names,
    /// from wherever they still are (the extension reads the live TOAST
    /// relation, dead chunks included); `None` when they are not found.
    /// They are checked against the pointer by the caller.
    fn toast_chunks(&mut self, _ptr: &ToastPointer) -> Option<Vec<(i32, Vec<u8>)>> {
        None
    }

    /// The tuple at `tid` of the relation stored in `locator`, as its page
    /// holds it now, for a page the WAL never showed; `None` when there is
    /// none. The caller checks that it is the row version it needs.
    fn live_tuple(&mut self, _locator: RelFileLocator, _tid: (u32, u16)) -> Option<Vec<u8>> {
        None
    }
}
