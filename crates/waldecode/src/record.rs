//! One WAL record: its fixed header (`XLogRecord`, `xlogrecord.h`) and the
//! decoded block references, origin, top-level xid and main data — a port of
//! `DecodeXLogRecord` (xlogreader.c) with every structural check and message.
//! Decoding records only ranges into the record's bytes; nothing is copied.

use std::ops::Range;

use crate::bytes::{u32_at, u64_at, Cursor};
use crate::error::{Result, WalError};
use crate::image;
use crate::lsn::Lsn;
use crate::version::PgVersion;

pub const SIZE_OF_XLOG_RECORD: usize = 24;
/// Largest block id a record may reference (`XLR_MAX_BLOCK_ID`).
pub const XLR_MAX_BLOCK_ID: u8 = 32;
const XLR_BLOCK_ID_DATA_SHORT: u8 = 255;
const XLR_BLOCK_ID_DATA_LONG: u8 = 254;
const XLR_BLOCK_ID_ORIGIN: u8 = 253;
const XLR_BLOCK_ID_TOPLEVEL_XID: u8 = 252;

/// Low nibble of `xl_info`, owned by the WAL machinery itself.
pub const XLR_INFO_MASK: u8 = 0x0F;
pub const XLR_SPECIAL_REL_UPDATE: u8 = 0x01;
pub const XLR_CHECK_CONSISTENCY: u8 = 0x02;

pub const BKPBLOCK_FORK_MASK: u8 = 0x0F;
pub const BKPBLOCK_HAS_IMAGE: u8 = 0x10;
pub const BKPBLOCK_HAS_DATA: u8 = 0x20;
pub const BKPBLOCK_WILL_INIT: u8 = 0x40;
pub const BKPBLOCK_SAME_REL: u8 = 0x80;

/// Page size of relation data (`BLCKSZ`).
pub const BLCKSZ: usize = 8192;

/// `xl_tot_len` values above this are rejected (`XLogRecordMaxSize`, PG 16).
pub const MAX_RECORD_SIZE: u32 = 1020 * 1024 * 1024;

/// Identity of a relation's storage (`RelFileNode`, `RelFileLocator` in 16+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RelFileLocator {
    pub spc: u32,
    pub db: u32,
    pub rel: u32,
}

/// The fixed record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecordHeader {
    pub tot_len: u32,
    pub xid: u32,
    pub prev: Lsn,
    pub info: u8,
    pub rmid: u8,
    pub crc: u32,
}

impl RecordHeader {
    /// Reads the header from the first 24 bytes of `b`.
    pub fn parse(b: &[u8]) -> Option<RecordHeader> {
        Some(RecordHeader {
            tot_len: u32_at(b, 0)?,
            xid: u32_at(b, 4)?,
            prev: Lsn(u64_at(b, 8)?),
            info: *b.get(16)?,
            rmid: *b.get(17)?,
            crc: u32_at(b, 20)?,
        })
    }
}

/// A full-page image's header (`XLogRecordBlockImageHeader` and, for
/// compressed images with a hole, `XLogRecordBlockCompressHeader`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// Bytes of the stored image inside the record.
    pub bytes: Range<usize>,
    pub hole_offset: u16,
    pub hole_length: u16,
    pub bimg_info: u8,
    pub apply: bool,
    pub compression: image::Compression,
}

/// One decoded block reference (`DecodedBkpBlock`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRef {
    pub id: u8,
    pub fork: u8,
    /// The raw `fork_flags` byte.
    pub flags: u8,
    pub locator: RelFileLocator,
    pub blkno: u32,
    pub image: Option<ImageInfo>,
    /// Range of the block's data in the record (empty when none).
    pub data: Range<usize>,
}

impl BlockRef {
    pub fn has_image(&self) -> bool {
        self.image.is_some()
    }

    pub fn has_data(&self) -> bool {
        self.flags & BKPBLOCK_HAS_DATA != 0
    }

    pub fn will_init(&self) -> bool {
        self.flags & BKPBLOCK_WILL_INIT != 0
    }

    /// Stored (possibly compressed) image length, `bimg_len`.
    pub fn image_len(&self) -> u32 {
        self.image.as_ref().map_or(0, |i| i.bytes.len() as u32)
    }
}

/// The decoded parts of a record, kept between records to reuse memory.
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    pub header: RecordHeader,
    pub blocks: Vec<BlockRef>,
    pub main_data: Range<usize>,
    pub origin: Option<u16>,
    pub toplevel_xid: Option<u32>,
}

impl Decoded {
    /// Port of `DecodeXLogRecord`: splits `rec` (a whole, CRC-checked record)
    /// into block references and main data. `lsn` is only for messages.
    pub fn decode(&mut self, rec: &[u8], lsn: Lsn, version: PgVersion) -> Result<()> {
        let short = || WalError::corrupt(lsn, format!("record with invalid length at {lsn}"));
        let header = RecordHeader::parse(rec).ok_or_else(short)?;
        let body = rec.get(..header.tot_len as usize).ok_or_else(short)?;
        self.header = header;
        self.blocks.clear();
        self.main_data = 0..0;
        self.origin = None;
        self.toplevel_xid = None;

        let mut cur = Cursor::new(body);
        cur.bytes(SIZE_OF_XLOG_RECORD).ok_or_else(short)?;
        let mut main_len: u64 = 0;
        let mut datatotal: u64 = 0;
        let mut last_locator: Option<RelFileLocator> = None;
        // Payload lengths in header order: (image length, data length) per block.
        let mut payloads: Vec<(usize, usize)> = Vec::new();
        while cur.remaining() as u64 > datatotal {
            let block_id = cur.u8().ok_or_else(short)?;
            match block_id {
                XLR_BLOCK_ID_DATA_SHORT => {
                    main_len = u64::from(cur.u8().ok_or_else(short)?);
                    datatotal += main_len;
                    break;
                }
                XLR_BLOCK_ID_DATA_LONG => {
                    main_len = u64::from(cur.u32().ok_or_else(short)?);
                    datatotal += main_len;
                    break;
                }
                XLR_BLOCK_ID_ORIGIN => self.origin = Some(cur.u16().ok_or_else(short)?),
                XLR_BLOCK_ID_TOPLEVEL_XID => self.toplevel_xid = Some(cur.u32().ok_or_else(short)?),
                id if id <= XLR_MAX_BLOCK_ID => {
                    if self.blocks.last().is_some_and(|b| id <= b.id) {
                        return Err(WalError::corrupt(
                            lsn,
                            format!("out-of-order block_id {id} at {lsn}"),
                        ));
                    }
                    let fork_flags = cur.u8().ok_or_else(short)?;
                    let data_len = cur.u16().ok_or_else(short)?;
                    let has_data = fork_flags & BKPBLOCK_HAS_DATA != 0;
                    if has_data && data_len == 0 {
                        return Err(WalError::corrupt(
                            lsn,
                            format!("BKPBLOCK_HAS_DATA set, but no data included at {lsn}"),
                        ));
                    }
                    if !has_data && data_len != 0 {
                        return Err(WalError::corrupt(
                            lsn,
                            format!(
                                "BKPBLOCK_HAS_DATA not set, but data length is {data_len} at {lsn}"
                            ),
                        ));
                    }
                    datatotal += u64::from(data_len);
                    let mut image = None;
                    let mut image_len = 0usize;
                    if fork_flags & BKPBLOCK_HAS_IMAGE != 0 {
                        let (info, len) = decode_image_header(&mut cur, version, lsn)?;
                        image_len = len;
                        datatotal += len as u64;
                        image = Some(info);
                    }
                    let locator = if fork_flags & BKPBLOCK_SAME_REL == 0 {
                        let l = RelFileLocator {
                            spc: cur.u32().ok_or_else(short)?,
                            db: cur.u32().ok_or_else(short)?,
                            rel: cur.u32().ok_or_else(short)?,
                        };
                        last_locator = Some(l);
                        l
                    } else {
                        last_locator.ok_or_else(|| {
                            WalError::corrupt(
                                lsn,
                                format!("BKPBLOCK_SAME_REL set but no previous rel at {lsn}"),
                            )
                        })?
                    };
                    let blkno = cur.u32().ok_or_else(short)?;
                    payloads.push((image_len, usize::from(data_len)));
                    self.blocks.push(BlockRef {
                        id,
                        fork: fork_flags & BKPBLOCK_FORK_MASK,
                        flags: fork_flags,
                        locator,
                        blkno,
                        image,
                        data: 0..0,
                    });
                }
                id => {
                    return Err(WalError::corrupt(lsn, format!("invalid block_id {id} at {lsn}")))
                }
            }
        }
        if cur.remaining() as u64 != datatotal {
            return Err(short());
        }
        // Payloads follow the headers: per block its image, then its data;
        // the main data last.
        let mut pos = cur.pos();
        for (blk, (image_len, data_len)) in self.blocks.iter_mut().zip(payloads) {
            if let Some(img) = blk.image.as_mut() {
                img.bytes = pos..pos + image_len;
                pos += image_len;
            }
            blk.data = pos..pos + data_len;
            pos += data_len;
        }
        self.main_data = pos..pos + main_len as usize;
        Ok(())
    }
}

/// Reads an image header and checks it as `DecodeXLogRecord` does. Returns
/// the image description (range filled in later) and the stored length.
fn decode_image_header(
    cur: &mut Cursor<'_>,
    version: PgVersion,
    lsn: Lsn,
) -> Result<(ImageInfo, usize)> {
    let short = || WalError::corrupt(lsn, format!("record with invalid length at {lsn}"));
    let bimg_len = cur.u16().ok_or_else(short)?;
    let hole_offset = cur.u16().ok_or_else(short)?;
    let bimg_info = cur.u8().ok_or_else(short)?;
    let flags = image::ImageFlags::for_version(version);
    let compression = flags.compression(bimg_info);
    let has_hole = bimg_info & flags.has_hole != 0;
    let compressed = compression != image::Compression::None;
    let hole_length = if compressed {
        if has_hole {
            cur.u16().ok_or_else(short)?
        } else {
            0
        }
    } else {
        // A stored length above BLCKSZ makes this wrap, as in C; the checks
        // below then reject the image.
        (BLCKSZ as u16).wrapping_sub(bimg_len)
    };
    if has_hole && (hole_offset == 0 || hole_length == 0 || usize::from(bimg_len) == BLCKSZ) {
        return Err(WalError::corrupt(
            lsn,
            format!(
                "BKPIMAGE_HAS_HOLE set, but hole offset {hole_offset} length {hole_length} block image length {bimg_len} at {lsn}"
            ),
        ));
    }
    if !has_hole && (hole_offset != 0 || hole_length != 0) {
        return Err(WalError::corrupt(
            lsn,
            format!(
                "BKPIMAGE_HAS_HOLE not set, but hole offset {hole_offset} length {hole_length} at {lsn}"
            ),
        ));
    }
    if compressed && usize::from(bimg_len) == BLCKSZ {
        return Err(WalError::corrupt(
            lsn,
            format!("BKPIMAGE_COMPRESSED set, but block image length {bimg_len} at {lsn}"),
        ));
    }
    if !has_hole && !compressed && usize::from(bimg_len) != BLCKSZ {
        return Err(WalError::corrupt(
            lsn,
            format!(
                "neither BKPIMAGE_HAS_HOLE nor BKPIMAGE_COMPRESSED set, but block image length is {bimg_len} at {lsn}"
            ),
        ));
    }
    if usize::from(hole_offset) + usize::from(hole_length) > BLCKSZ {
        return Err(WalError::corrupt(
            lsn,
            format!("block image hole offset {hole_offset} length {hole_length} exceeds the page at {lsn}"),
        ));
    }
    Ok((
        ImageInfo {
            bytes: 0..0,
            hole_offset,
            hole_length,
            bimg_info,
            apply: bimg_info & flags.apply != 0,
            compression,
        },
        usize::from(bimg_len),
    ))
}

/// A record read from the WAL, borrowing the reader's buffers until the next
/// record is read.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub(crate) lsn: Lsn,
    pub(crate) end: Lsn,
    pub(crate) bytes: &'a [u8],
    pub(crate) decoded: &'a Decoded,
    pub(crate) version: PgVersion,
}

impl<'a> Record<'a> {
    /// Builds a record view over already decoded bytes.
    pub fn new(
        lsn: Lsn,
        end: Lsn,
        bytes: &'a [u8],
        decoded: &'a Decoded,
        version: PgVersion,
    ) -> Self {
        Record { lsn, end, bytes, decoded, version }
    }

    /// Start of the record.
    pub fn lsn(&self) -> Lsn {
        self.lsn
    }

    /// Where the next record starts (`EndRecPtr`).
    pub fn end_lsn(&self) -> Lsn {
        self.end
    }

    pub fn prev_lsn(&self) -> Lsn {
        self.decoded.header.prev
    }

    /// `xl_xid`: the xid of the (sub)transaction that wrote the record, or 0.
    pub fn xid(&self) -> u32 {
        self.decoded.header.xid
    }

    pub fn rmid(&self) -> u8 {
        self.decoded.header.rmid
    }

    /// `xl_info`, all eight bits.
    pub fn info(&self) -> u8 {
        self.decoded.header.info
    }

    pub fn total_len(&self) -> u32 {
        self.decoded.header.tot_len
    }

    pub fn version(&self) -> PgVersion {
        self.version
    }

    /// The whole record as stored (header included, page headers removed).
    pub fn raw(&self) -> &'a [u8] {
        self.bytes
    }

    pub fn main_data(&self) -> &'a [u8] {
        self.bytes.get(self.decoded.main_data.clone()).unwrap_or(&[])
    }

    pub fn origin(&self) -> Option<u16> {
        self.decoded.origin
    }

    pub fn toplevel_xid(&self) -> Option<u32> {
        self.decoded.toplevel_xid
    }

    /// The block references, in ascending id order.
    pub fn blocks(&self) -> &'a [BlockRef] {
        &self.decoded.blocks
    }

    /// The block reference with id `id`.
    pub fn block(&self, id: u8) -> Option<&'a BlockRef> {
        self.decoded.blocks.iter().find(|b| b.id == id)
    }

    /// Block `id`'s data; `None` when the block is absent or has none.
    pub fn block_data(&self, id: u8) -> Option<&'a [u8]> {
        let b = self.block(id)?;
        if !b.has_data() {
            return None;
        }
        self.bytes.get(b.data.clone())
    }

    /// Sum of the stored image lengths (what pg_walinspect calls fpi_length).
    pub fn fpi_len(&self) -> u32 {
        self.decoded.blocks.iter().map(BlockRef::image_len).sum()
    }

    /// Restores block `id`'s full-page image into `page` (BLCKSZ bytes):
    /// decompresses and fills the hole with zeros (`RestoreBlockImage`).
    /// Returns false when the block has no image.
    pub fn restore_image(&self, id: u8, page: &mut [u8]) -> Result<bool> {
        let Some(b) = self.block(id) else {
            return Ok(false);
        };
        let Some(img) = &b.image else {
            return Ok(false);
        };
        let stored = self.bytes.get(img.bytes.clone()).ok_or_else(|| {
            WalError::corrupt(self.lsn, "block image outside the record".to_string())
        })?;
        image::restore(stored, img, page).map_err(|reason| WalError::Image {
            lsn: self.lsn,
            block_id: id,
            reason,
        })?;
        Ok(true)
    }
}
