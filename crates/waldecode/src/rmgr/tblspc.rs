//! The Tablespace resource manager (`commands/tablespace.h`); port of
//! tblspcdesc.c.

use std::fmt::Write;

use super::text::cstr;
use super::DescInput;
use crate::bytes::{u32_at, Cursor};
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const XLOG_TBLSPC_CREATE: u8 = 0x00;

pub const XLOG_TBLSPC_DROP: u8 = 0x10;

/// Port of `tblspc_identify` (tblspcdesc.c).
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    match info & !XLR_INFO_MASK {
        XLOG_TBLSPC_CREATE => Some("CREATE"),
        XLOG_TBLSPC_DROP => Some("DROP"),
        _ => None,
    }
}

/// Port of `tblspc_desc` (tblspcdesc.c).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    match input.info & !XLR_INFO_MASK {
        XLOG_TBLSPC_CREATE => {
            // ts_id, then the NUL-terminated path.
            let id = u32_at(d, 0)?;
            let path = Cursor::at(d, 4).cstr()?;
            let _ = write!(buf, "{id} \"{}\"", cstr(path));
        }
        XLOG_TBLSPC_DROP => {
            let _ = write!(buf, "{}", u32_at(d, 0)?);
        }
        _ => {}
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::RM_TBLSPC_ID;

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn descriptions() {
        let d = B::new().u32(16400).bytes(b"/srv/ts1\0").done();
        assert_eq!(desc(V, RM_TBLSPC_ID, XLOG_TBLSPC_CREATE, &d), "16400 \"/srv/ts1\"");
        assert_eq!(desc(V, RM_TBLSPC_ID, XLOG_TBLSPC_DROP, &B::new().u32(16400).done()), "16400");
        assert_eq!(identify(V, 0x10), Some("DROP"));
    }
}
