//! The ReplicationOrigin resource manager (`replication/origin.h`); port
//! of replorigindesc.c.

use std::fmt::Write;

use super::text::lsn;
use super::DescInput;
use crate::bytes::{u16_at, u64_at, Cursor};
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const XLOG_REPLORIGIN_SET: u8 = 0x00;

pub const XLOG_REPLORIGIN_DROP: u8 = 0x10;

/// Port of `replorigin_identify` (replorigindesc.c); compares the whole
/// info byte like the C.
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    match info {
        XLOG_REPLORIGIN_SET => Some("SET"),
        XLOG_REPLORIGIN_DROP => Some("DROP"),
        _ => None,
    }
}

/// Port of `replorigin_desc` (replorigindesc.c).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    match input.info & !XLR_INFO_MASK {
        XLOG_REPLORIGIN_SET => {
            // xl_replorigin_set: remote_lsn u64, node_id u16, force bool.
            let remote = u64_at(d, 0)?;
            let node = u16_at(d, 8)?;
            let force = Cursor::at(d, 10).u8()?;
            // `%d` of a C bool prints its byte value.
            let _ = write!(buf, "set {node}; lsn {}; force: {force}", lsn(remote));
        }
        XLOG_REPLORIGIN_DROP => {
            let _ = write!(buf, "drop {}", u16_at(d, 0)?);
        }
        _ => {}
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::RM_REPLORIGIN_ID;

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn descriptions() {
        let d = B::new().u64(0x1_0000_0010).u16(2).u8(1).zeros(5).done();
        assert_eq!(desc(V, RM_REPLORIGIN_ID, XLOG_REPLORIGIN_SET, &d), "set 2; lsn 1/10; force: 1");
        assert_eq!(desc(V, RM_REPLORIGIN_ID, XLOG_REPLORIGIN_DROP, &[2, 0]), "drop 2");
        assert_eq!(identify(V, 0x00), Some("SET"));
        assert_eq!(identify(V, 0x01), None);
    }
}
