//! TOAST pointers (`varatt_external`, `varatt.h` / `postgres.h`): what a
//! tuple stores in place of a value kept out of line — its sizes, its
//! compression method, and which chunks of which TOAST relation hold it.

use crate::bytes::Cursor;

/// `VARTAG_ONDISK`: the only kind of TOAST pointer stored on disk (and so
/// in WAL); the others point to memory.
pub const VARTAG_ONDISK: u8 = 18;
/// The first byte of every TOAST pointer (`VARATT_IS_EXTERNAL`).
pub const VARHDR_EXTERNAL: u8 = 0x01;
/// Bits of `va_extinfo` holding the external (stored) size; the top two
/// bits hold the compression method (`VARLENA_EXTSIZE_BITS`).
const EXTSIZE_BITS: u32 = 30;

/// How a TOASTed value is compressed (`ToastCompressionId`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToastCompression {
    None,
    Pglz,
    Lz4,
}

/// An on-disk TOAST pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToastPointer {
    /// Size of the original value, header included (`va_rawsize`).
    pub rawsize: i32,
    /// Size of the stored value, the sum of its chunks.
    pub extsize: u32,
    pub compression: ToastCompression,
    /// The value's id among the TOAST relation's chunks (`chunk_id`).
    pub valueid: u32,
    /// OID of the TOAST relation holding the chunks.
    pub toastrelid: u32,
}

impl ToastPointer {
    /// Parses a whole stored pointer (header included, as deforming a
    /// tuple yields it); `None` for anything but a well-formed on-disk
    /// pointer.
    pub fn parse(stored: &[u8]) -> Option<ToastPointer> {
        let mut c = Cursor::new(stored);
        if c.u8()? != VARHDR_EXTERNAL || c.u8()? != VARTAG_ONDISK {
            return None;
        }
        let rawsize = c.i32()?;
        let extinfo = c.u32()?;
        let valueid = c.u32()?;
        let toastrelid = c.u32()?;
        if c.remaining() != 0 {
            return None;
        }
        let extsize = extinfo & ((1 << EXTSIZE_BITS) - 1);
        // The method is only meaningful when the stored value is smaller
        // than the raw one (VARATT_EXTERNAL_IS_COMPRESSED).
        let compressed = i64::from(extsize) < i64::from(rawsize) - 4;
        let compression = match (compressed, extinfo >> EXTSIZE_BITS) {
            (false, _) => ToastCompression::None,
            (true, 0) => ToastCompression::Pglz,
            (true, 1) => ToastCompression::Lz4,
            (true, _) => return None,
        };
        Some(ToastPointer { rawsize, extsize, compression, valueid, toastrelid })
    }

    /// The pointer's identity for messages: `value V in TOAST relation R`.
    pub fn describe(&self) -> String {
        format!("value {} in TOAST relation {}", self.valueid, self.toastrelid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointer(rawsize: i32, extinfo: u32, valueid: u32, toastrelid: u32) -> Vec<u8> {
        let mut v = vec![VARHDR_EXTERNAL, VARTAG_ONDISK];
        v.extend_from_slice(&rawsize.to_le_bytes());
        v.extend_from_slice(&extinfo.to_le_bytes());
        v.extend_from_slice(&valueid.to_le_bytes());
        v.extend_from_slice(&toastrelid.to_le_bytes());
        v
    }

    #[test]
    fn on_disk_pointers() {
        let p = ToastPointer::parse(&pointer(10_004, 10_000, 16500, 16390)).unwrap();
        assert_eq!(p.compression, ToastCompression::None);
        assert_eq!((p.rawsize, p.extsize, p.valueid, p.toastrelid), (10_004, 10_000, 16500, 16390));
        assert_eq!(p.describe(), "value 16500 in TOAST relation 16390");
        let lz4 = ToastPointer::parse(&pointer(100_004, 1 << 30 | 2_000, 7, 8)).unwrap();
        assert_eq!(lz4.compression, ToastCompression::Lz4);
        assert_eq!(lz4.extsize, 2_000);
        let pglz = ToastPointer::parse(&pointer(100_004, 2_000, 7, 8)).unwrap();
        assert_eq!(pglz.compression, ToastCompression::Pglz);
        // Method 2 and 3 do not exist; other tags and short input are refused.
        assert_eq!(ToastPointer::parse(&pointer(100_004, 2 << 30 | 2_000, 7, 8)), None);
        let mut indirect = pointer(1, 1, 1, 1);
        indirect[1] = 1;
        assert_eq!(ToastPointer::parse(&indirect), None);
        assert_eq!(ToastPointer::parse(&pointer(1, 1, 1, 1)[..17]), None);
    }
}
