//! The LogicalMessage resource manager (`replication/message.h`); port of
//! logicalmsgdesc.c.

use std::fmt::Write;

use super::text::cstr;
use super::DescInput;
use crate::bytes::{bool_at, u64_at, Cursor};
use crate::record::XLR_INFO_MASK;
use crate::version::PgVersion;

pub const XLOG_LOGICAL_MESSAGE: u8 = 0x00;

/// Port of `logicalmsg_identify` (logicalmsgdesc.c).
pub fn identify(_version: PgVersion, info: u8) -> Option<&'static str> {
    (info & !XLR_INFO_MASK == XLOG_LOGICAL_MESSAGE).then_some("MESSAGE")
}

/// Port of `logicalmsg_desc` (logicalmsgdesc.c).
pub fn desc(input: &DescInput<'_>, buf: &mut String) -> Option<()> {
    let d = input.main_data;
    if input.info & !XLR_INFO_MASK == XLOG_LOGICAL_MESSAGE {
        // xl_logical_message: dbId u32, transactional bool, prefix_size
        // u64 at 8, message_size u64 at 16, message at 24 (prefix incl. NUL,
        // then payload).
        let transactional = bool_at(d, 4)?;
        let prefix_size = usize::try_from(u64_at(d, 8)?).ok()?;
        let message_size = u64_at(d, 16)?;
        let msg = d.get(24..)?;
        let prefix = msg.get(..prefix_size)?;
        let prefix = prefix.split(|&b| b == 0).next().unwrap_or_default();
        let payload = Cursor::at(msg, prefix_size).bytes(usize::try_from(message_size).ok()?)?;
        let kind = if transactional { "transactional" } else { "non-transactional" };
        let _ =
            write!(buf, "{kind}, prefix \"{}\"; payload ({message_size} bytes): ", cstr(prefix));
        for (i, b) in payload.iter().enumerate() {
            if i > 0 {
                buf.push(' ');
            }
            let _ = write!(buf, "{b:02X}");
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rmgr::testing::{desc, B};
    use crate::rmgr::{RM_LOGICALMSG_ID, TRUNCATED};

    const V: PgVersion = PgVersion::V15;

    #[test]
    fn descriptions() {
        let d = B::new()
            .u32(5)
            .u8(1)
            .zeros(3)
            .u64(4)
            .u64(3)
            .bytes(b"pfx\0")
            .bytes(&[0x41, 0x00, 0xFF])
            .done();
        assert_eq!(
            desc(V, RM_LOGICALMSG_ID, XLOG_LOGICAL_MESSAGE, &d),
            "transactional, prefix \"pfx\"; payload (3 bytes): 41 00 FF"
        );
        assert_eq!(desc(V, RM_LOGICALMSG_ID, 0, &d[..d.len() - 1]), TRUNCATED);
        assert_eq!(identify(V, 0x00), Some("MESSAGE"));
        assert_eq!(identify(V, 0x10), None);
    }
}
