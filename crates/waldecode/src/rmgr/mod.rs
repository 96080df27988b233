//! Resource managers: names, record-type names (`rm_identify`) and
//! human-readable descriptions (`rm_desc`) of every built-in resource manager,
//! matching what `pg_waldump` and `pg_walinspect` print.

use crate::version::PgVersion;

/// What a description may look at: the record's info byte, its main data and,
/// for the few descriptions that need it (btree, gin), block 0.
#[derive(Debug, Clone, Copy)]
pub struct DescInput<'a> {
    pub version: PgVersion,
    pub rmid: u8,
    /// `xl_info`, all eight bits.
    pub info: u8,
    pub main_data: &'a [u8],
    /// Whether block 0 exists and carries a full-page image.
    pub block0_has_image: bool,
    /// Block 0's data, when block 0 exists and has data.
    pub block0_data: Option<&'a [u8]>,
}
