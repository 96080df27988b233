//! The Generic resource manager (`access/generic_xlog.h`): page deltas of
//! extensions' access methods; port of genericdesc.c.

use std::fmt::Write;

use super::DescInput;
use crate::bytes::Cursor;
use crate::version::PgVersion;

/// Port of `generic_identify` (genericdesc.c): always "Generic".
pub fn identify(_version: PgVersion, _info: u8) -> Option<&'static str> {
    Some("Generic")
}

/// Port of `generic_desc` (genericdesc.c): the page regions the record
/// overwrites, as (offset u16, length u16, bytes) runs.
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    let mut c = Cursor::new(d);
    while c.remaining() > 0 {
        let offset = c.u16()?;
        let length = c.u16()?;
        // The C advances past the region without checking it; so do we, and
        // only the comparison with the end matters.
        let next = c.pos().checked_add(usize::from(length))?;
        if next < d.len() {
            let _ = write!(buf, "offset {offset}, length {length}; ");
            c.seek(next)?;
        } else {
            let _ = write!(buf, "offset {offset}, length {length}");
            break;
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::RM_GENERIC_ID;

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn descriptions() {
        let d = B::new().u16(24).u16(2).bytes(&[1, 2]).u16(100).u16(1).bytes(&[3]).done();
        assert_eq!(desc(V, RM_GENERIC_ID, 0, &d), "offset 24, length 2; offset 100, length 1");
        assert_eq!(identify(V, 0xF3), Some("Generic"));
    }
}
