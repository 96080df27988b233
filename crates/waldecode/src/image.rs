//! Full-page images: their header in a block reference
//! (`XLogRecordBlockImageHeader`, `XLogRecordBlockCompressHeader`) with the
//! checks `DecodeXLogRecord` makes of it, the `bimg_info` flags of each
//! version, and `RestoreBlockImage` (xlogreader.c) — decompression (pglz,
//! LZ4, zstd) and re-inserting the "hole" of zeros the writer left out.

use std::ops::Range;

use crate::bytes::Cursor;
use crate::error::{OrShort, Result, WalError};
use crate::layout::BLCKSZ;
use crate::lsn::Lsn;
use crate::version::PgVersion;

/// How an image is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Pglz,
    Lz4,
    Zstd,
}

/// The `BKPIMAGE_*` bits, which moved between 14 and 15.
#[derive(Debug, Clone, Copy)]
pub struct ImageFlags {
    pub has_hole: u8,
    pub apply: u8,
    pglz: u8,
    lz4: u8,
    zstd: u8,
}

impl ImageFlags {
    pub fn for_version(v: PgVersion) -> ImageFlags {
        match v {
            // PG 14: IS_COMPRESSED (always pglz) 0x02, APPLY 0x04.
            PgVersion::V14 => {
                ImageFlags { has_hole: 0x01, apply: 0x04, pglz: 0x02, lz4: 0, zstd: 0 }
            }
            _ => ImageFlags { has_hole: 0x01, apply: 0x02, pglz: 0x04, lz4: 0x08, zstd: 0x10 },
        }
    }

    pub fn compression(&self, bimg_info: u8) -> Compression {
        if bimg_info & self.pglz != 0 {
            Compression::Pglz
        } else if self.lz4 != 0 && bimg_info & self.lz4 != 0 {
            Compression::Lz4
        } else if self.zstd != 0 && bimg_info & self.zstd != 0 {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// A full-page image's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// Bytes of the stored image inside the record.
    pub bytes: Range<usize>,
    pub hole_offset: u16,
    pub hole_length: u16,
    pub bimg_info: u8,
    pub apply: bool,
    pub compression: Compression,
}

impl ImageInfo {
    /// Reads an image header at `cur` and checks it as `DecodeXLogRecord`
    /// does. `bytes` is left empty for the caller to place, but its length
    /// is the stored image's: `bytes.end` holds `bimg_len`.
    pub fn parse_header(cur: &mut Cursor<'_>, version: PgVersion, lsn: Lsn) -> Result<ImageInfo> {
        let bimg_len = cur.u16().or_short(lsn)?;
        let hole_offset = cur.u16().or_short(lsn)?;
        let bimg_info = cur.u8().or_short(lsn)?;
        let flags = ImageFlags::for_version(version);
        let compression = flags.compression(bimg_info);
        let has_hole = bimg_info & flags.has_hole != 0;
        let compressed = compression != Compression::None;
        let hole_length = if compressed {
            if has_hole {
                cur.u16().or_short(lsn)?
            } else {
                0
            }
        } else {
            // A stored length above BLCKSZ makes this wrap, as in C; the
            // checks below then reject the image.
            (BLCKSZ as u16).wrapping_sub(bimg_len)
        };
        let bad = |what: String| Err(WalError::corrupt(lsn, format!("{what} at {lsn}")));
        let full = usize::from(bimg_len) == BLCKSZ;
        if has_hole && (hole_offset == 0 || hole_length == 0 || full) {
            return bad(format!(
                "BKPIMAGE_HAS_HOLE set, but hole offset {hole_offset} length {hole_length} block image length {bimg_len}"
            ));
        }
        if !has_hole && (hole_offset != 0 || hole_length != 0) {
            return bad(format!(
                "BKPIMAGE_HAS_HOLE not set, but hole offset {hole_offset} length {hole_length}"
            ));
        }
        if compressed && full {
            return bad(format!("BKPIMAGE_COMPRESSED set, but block image length {bimg_len}"));
        }
        if !has_hole && !compressed && !full {
            return bad(format!(
                "neither BKPIMAGE_HAS_HOLE nor BKPIMAGE_COMPRESSED set, but block image length is {bimg_len}"
            ));
        }
        if usize::from(hole_offset) + usize::from(hole_length) > BLCKSZ {
            return bad(format!(
                "block image hole offset {hole_offset} length {hole_length} exceeds the page"
            ));
        }
        Ok(ImageInfo {
            bytes: 0..usize::from(bimg_len),
            hole_offset,
            hole_length,
            bimg_info,
            apply: bimg_info & flags.apply != 0,
            compression,
        })
    }

    /// Stored (possibly compressed) length, `bimg_len`.
    pub fn stored_len(&self) -> usize {
        self.bytes.len()
    }
}

/// Restores an image into `page` (BLCKSZ bytes). `stored` is the image as
/// it appears in the record. Errors are reasons for a message.
pub fn restore(stored: &[u8], img: &ImageInfo, page: &mut [u8]) -> Result<(), String> {
    if page.len() != BLCKSZ {
        return Err(format!("page buffer of {} bytes", page.len()));
    }
    let hole_off = usize::from(img.hole_offset);
    let hole_len = usize::from(img.hole_length);
    let body_len = BLCKSZ
        .checked_sub(hole_len)
        .filter(|_| hole_off + hole_len <= BLCKSZ)
        .ok_or_else(|| format!("invalid hole offset {hole_off} length {hole_len}"))?;
    let mut tmp = [0u8; BLCKSZ];
    let body: &[u8] = match img.compression {
        Compression::None => {
            if stored.len() != body_len {
                return Err(format!(
                    "image of {} bytes with a hole of {hole_len} bytes",
                    stored.len()
                ));
            }
            stored
        }
        Compression::Pglz => match pglz::decompress_into(stored, &mut tmp[..body_len], true) {
            Some(n) if n == body_len => &tmp[..body_len],
            _ => return Err("invalid compressed image (pglz)".to_string()),
        },
        Compression::Lz4 => match lz4_flex::block::decompress_into(stored, &mut tmp[..body_len]) {
            Ok(n) if n == body_len => &tmp[..body_len],
            _ => return Err("invalid compressed image (lz4)".to_string()),
        },
        Compression::Zstd => {
            let mut dec = ruzstd::decoding::FrameDecoder::new();
            match dec.decode_all(stored, &mut tmp[..body_len]) {
                Ok(n) if n == body_len => &tmp[..body_len],
                _ => return Err("invalid compressed image (zstd)".to_string()),
            }
        }
    };
    page[..hole_off].copy_from_slice(&body[..hole_off]);
    page[hole_off..hole_off + hole_len].fill(0);
    page[hole_off + hole_len..].copy_from_slice(&body[hole_off..]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(hole_offset: u16, hole_length: u16, compression: Compression) -> ImageInfo {
        ImageInfo { bytes: 0..0, hole_offset, hole_length, bimg_info: 0, apply: true, compression }
    }

    fn sample_page() -> Vec<u8> {
        let mut p = vec![0u8; BLCKSZ];
        for (i, b) in p.iter_mut().enumerate().take(100) {
            *b = (i * 7) as u8;
        }
        for (i, b) in p.iter_mut().enumerate().skip(6000) {
            *b = (i % 13) as u8 + 1;
        }
        p
    }

    fn without_hole(p: &[u8], off: usize, len: usize) -> Vec<u8> {
        let mut v = p[..off].to_vec();
        v.extend_from_slice(&p[off + len..]);
        v
    }

    #[test]
    fn uncompressed_with_hole() {
        let p = sample_page();
        let stored = without_hole(&p, 100, 5900);
        let mut out = vec![0xAAu8; BLCKSZ];
        restore(&stored, &info(100, 5900, Compression::None), &mut out).unwrap();
        assert_eq!(out, p);
        // A stored length that disagrees with the hole is refused.
        assert!(restore(&stored[1..], &info(100, 5900, Compression::None), &mut out).is_err());
    }

    #[test]
    fn pglz_round_trip() {
        let p = sample_page();
        let body = without_hole(&p, 100, 5900);
        let c = pglz::compress(&body, &pglz::Strategy::ALWAYS).unwrap();
        let mut out = vec![0u8; BLCKSZ];
        restore(&c, &info(100, 5900, Compression::Pglz), &mut out).unwrap();
        assert_eq!(out, p);
        assert!(restore(&c[..c.len() - 3], &info(100, 5900, Compression::Pglz), &mut out).is_err());
    }

    #[test]
    fn lz4_round_trip() {
        let p = sample_page();
        let c = lz4_flex::block::compress(&p);
        let mut out = vec![0u8; BLCKSZ];
        restore(&c, &info(0, 0, Compression::Lz4), &mut out).unwrap();
        assert_eq!(out, p);
        assert!(restore(&c[..c.len() / 2], &info(0, 0, Compression::Lz4), &mut out).is_err());
    }

    #[test]
    fn garbage_never_panics() {
        let mut out = vec![0u8; BLCKSZ];
        for comp in [Compression::Pglz, Compression::Lz4, Compression::Zstd] {
            for seed in 0..200u32 {
                let junk: Vec<u8> = (0..(seed % 97))
                    .map(|i| (i.wrapping_mul(2654435761).wrapping_add(seed) >> 7) as u8)
                    .collect();
                let _ = restore(&junk, &info(10, 20, comp), &mut out);
                let _ = restore(&junk, &info(0, 0, comp), &mut out);
            }
        }
    }

    #[test]
    fn version_flags() {
        let f14 = ImageFlags::for_version(PgVersion::V14);
        assert_eq!(f14.compression(0x02), Compression::Pglz);
        assert_eq!(f14.apply, 0x04);
        let f15 = ImageFlags::for_version(PgVersion::V15);
        assert_eq!(f15.compression(0x04), Compression::Pglz);
        assert_eq!(f15.compression(0x08), Compression::Lz4);
        assert_eq!(f15.compression(0x10), Compression::Zstd);
        assert_eq!(f15.compression(0x03), Compression::None);
    }
}
