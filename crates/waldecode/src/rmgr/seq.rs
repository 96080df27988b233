//! The Sequence resource manager (`commands/sequence.h`); port of
//! seqdesc.c.

use std::fmt::Write;

use super::DescInput;
use crate::bytes::u32_at;
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const XLOG_SEQ_LOG: u8 = 0x00;

/// Port of `seq_identify` (seqdesc.c).
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    (info & !XLR_INFO_MASK == XLOG_SEQ_LOG).then_some("LOG")
}

/// Port of `seq_desc` (seqdesc.c).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    if input.info & !XLR_INFO_MASK == XLOG_SEQ_LOG {
        let _ = write!(buf, "rel {}/{}/{}", u32_at(d, 0)?, u32_at(d, 4)?, u32_at(d, 8)?);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::RM_SEQ_ID;

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn descriptions() {
        let d = B::new().u32(1663).u32(5).u32(16410).bytes(&[0; 30]).done();
        assert_eq!(desc(V, RM_SEQ_ID, XLOG_SEQ_LOG, &d), "rel 1663/5/16410");
        assert_eq!(identify(V, 0x00), Some("LOG"));
        assert_eq!(identify(V, 0x10), None);
    }
}
