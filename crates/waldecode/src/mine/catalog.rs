//! What the miner needs to know about a relation, and the trait through
//! which it asks. The extension answers from the live system catalogs; a
//! catalog-history store can answer for relations that were dropped or
//! rewritten since, without the miner changing.

use std::rc::Rc;

use crate::heap::toast::ToastPointer;
use crate::heap::tuple::AttrDesc;
use crate::layout::RelFileLocator;
use crate::lsn::Lsn;

/// One column of a relation, in attribute-number order.
#[derive(Debug, Clone, PartialEq)]
pub struct AttInfo {
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
}

/// The answer to "which relation is stored in this file?".
#[derive(Debug, Clone)]
pub enum RelLookup {
    /// A user table of the current database.
    Table(Rc<RelInfo>),
    /// A TOAST relation: its rows are the chunks of values stored out of
    /// line, not rows to report.
    Toast,
    /// A system catalog, index or other relation whose changes are not
    /// reported as rows.
    Skip,
    /// A relation of another database; it cannot be resolved here.
    OtherDatabase,
    /// No relation uses this file now: dropped or rewritten since.
    Gone,
}

/// Resolves storage to relations, and reads what the WAL does not hold.
pub trait Catalog {
    /// The relation stored in `locator`; `lsn` is where the change was
    /// found, for stores that know the catalog's history.
    fn relation(&mut self, locator: RelFileLocator, lsn: Lsn) -> RelLookup;

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
