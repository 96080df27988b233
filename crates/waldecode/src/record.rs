//! One WAL record: its fixed header (`XLogRecord`, `xlogrecord.h`) and the
//! decoded block references, origin, top-level xid and main data — a port of
//! `DecodeXLogRecord` (xlogreader.c) with every structural check and message.
//! Decoding records only ranges into the record's bytes; nothing is copied.

use std::ops::Range;

use crate::bytes::{u32_at, u64_at, Cursor};
use crate::error::{OrShort, Result, WalError};
use crate::image::{self, ImageInfo};
use crate::layout::RelFileLocator;
use crate::lsn::Lsn;
use crate::version::PgVersion;

pub const SIZE_OF_XLOG_RECORD: usize = 24;
/// Offset of `xl_crc`: the CRC covers the header up to here.
pub const XL_CRC_OFFSET: usize = 20;
/// Largest block id a record may reference (`XLR_MAX_BLOCK_ID`).
pub const XLR_MAX_BLOCK_ID: u8 = 32;
const XLR_BLOCK_ID_DATA_SHORT: u8 = 255;
const XLR_BLOCK_ID_DATA_LONG: u8 = 254;
const XLR_BLOCK_ID_ORIGIN: u8 = 253;
const XLR_BLOCK_ID_TOPLEVEL_XID: u8 = 252;

/// Low nibble of `xl_info`, owned by the WAL machinery itself; the high
/// nibble is the resource manager's.
pub const XLR_INFO_MASK: u8 = 0x0F;
pub const XLR_SPECIAL_REL_UPDATE: u8 = 0x01;
pub const XLR_CHECK_CONSISTENCY: u8 = 0x02;

pub const BKPBLOCK_FORK_MASK: u8 = 0x0F;
pub const BKPBLOCK_HAS_IMAGE: u8 = 0x10;
pub const BKPBLOCK_HAS_DATA: u8 = 0x20;
pub const BKPBLOCK_WILL_INIT: u8 = 0x40;
pub const BKPBLOCK_SAME_REL: u8 = 0x80;

/// `xl_tot_len` values above this are rejected (`XLogRecordMaxSize`, PG 16).
pub const MAX_RECORD_SIZE: u32 = 1020 * 1024 * 1024;

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
}

/// The decoded parts of a record, kept between records to reuse memory.
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    pub header: RecordHeader,
    /// Empty when decoded [`Self::decode_headers_only`].
    pub blocks: Vec<BlockRef>,
    pub main_data: Range<usize>,
    pub origin: Option<u16>,
    pub toplevel_xid: Option<u32>,
    /// Sum of the blocks' stored image lengths (`bimg_len`).
    pub fpi_len: u32,
}

impl Decoded {
    /// Port of `DecodeXLogRecord`: splits `rec` (a whole, CRC-checked record)
    /// into block references and main data. `lsn` is only for messages.
    pub fn decode(&mut self, rec: &[u8], lsn: Lsn, version: PgVersion) -> Result<()> {
        self.decode_as(rec, lsn, version, true)
    }

    /// As [`Self::decode`], with every check, but the block references are
    /// not kept (`blocks` stays empty): for work that needs no more than
    /// the header, the main data and the image lengths (statistics).
    pub fn decode_headers_only(&mut self, rec: &[u8], lsn: Lsn, version: PgVersion) -> Result<()> {
        self.decode_as(rec, lsn, version, false)
    }

    fn decode_as(&mut self, rec: &[u8], lsn: Lsn, version: PgVersion, keep: bool) -> Result<()> {
        let header = RecordHeader::parse(rec).or_short(lsn)?;
        let body = rec.get(..header.tot_len as usize).or_short(lsn)?;
        self.header = header;
        self.blocks.clear();
        self.main_data = 0..0;
        self.origin = None;
        self.toplevel_xid = None;
        self.fpi_len = 0;
        let mut cur = Cursor::at(body, SIZE_OF_XLOG_RECORD);
        let (main_len, datatotal) = self.read_headers(&mut cur, lsn, version, keep)?;
        if cur.remaining() as u64 != datatotal {
            return Err(WalError::invalid_length(lsn));
        }
        if keep {
            self.place_payloads(cur.pos(), main_len);
        } else {
            // The main data comes last.
            self.main_data = body.len() - main_len..body.len();
        }
        Ok(())
    }

    /// Reads the block headers, origin, top-level xid and main data length
    /// up to where the payloads start. Returns the main data length and the
    /// payload bytes the headers announce. Each block's `data` (and image
    /// `bytes`) range holds only its length until [`Self::place_payloads`].
    fn read_headers(
        &mut self,
        cur: &mut Cursor<'_>,
        lsn: Lsn,
        version: PgVersion,
        keep: bool,
    ) -> Result<(usize, u64)> {
        let mut datatotal: u64 = 0;
        // The block read last: its id and relation.
        let mut last: Option<(u8, RelFileLocator)> = None;
        while cur.remaining() as u64 > datatotal {
            match cur.u8().or_short(lsn)? {
                XLR_BLOCK_ID_DATA_SHORT => {
                    let n = usize::from(cur.u8().or_short(lsn)?);
                    return Ok((n, datatotal + n as u64));
                }
                XLR_BLOCK_ID_DATA_LONG => {
                    let n = cur.u32().or_short(lsn)? as usize;
                    return Ok((n, datatotal + n as u64));
                }
                XLR_BLOCK_ID_ORIGIN => self.origin = Some(cur.u16().or_short(lsn)?),
                XLR_BLOCK_ID_TOPLEVEL_XID => self.toplevel_xid = Some(cur.u32().or_short(lsn)?),
                id if id <= XLR_MAX_BLOCK_ID => {
                    let b = read_block_header(id, last, cur, lsn, version)?;
                    let image = b.image.as_ref().map_or(0, ImageInfo::stored_len);
                    datatotal += (b.data.len() + image) as u64;
                    // At most 33 images of at most BLCKSZ bytes each.
                    self.fpi_len += image as u32;
                    last = Some((id, b.locator));
                    if keep {
                        self.blocks.push(b);
                    }
                }
                id => {
                    return Err(WalError::corrupt(lsn, format!("invalid block_id {id} at {lsn}")))
                }
            }
        }
        Ok((0, datatotal))
    }

    /// Turns each block's payload lengths into ranges of the record: the
    /// payloads follow the headers, per block its image then its data, and
    /// the main data comes last.
    fn place_payloads(&mut self, mut pos: usize, main_len: usize) {
        for blk in &mut self.blocks {
            if let Some(img) = blk.image.as_mut() {
                let n = img.stored_len();
                img.bytes = pos..pos + n;
                pos += n;
            }
            let n = blk.data.len();
            blk.data = pos..pos + n;
            pos += n;
        }
        self.main_data = pos..pos + main_len;
    }
}

/// One block header (`XLogRecordBlockHeader` and what follows it),
/// after the block `last` (its id and relation) if any.
fn read_block_header(
    id: u8,
    last: Option<(u8, RelFileLocator)>,
    cur: &mut Cursor<'_>,
    lsn: Lsn,
    version: PgVersion,
) -> Result<BlockRef> {
    if last.is_some_and(|(last_id, _)| id <= last_id) {
        return Err(WalError::corrupt(lsn, format!("out-of-order block_id {id} at {lsn}")));
    }
    let fork_flags = cur.u8().or_short(lsn)?;
    let data_len = cur.u16().or_short(lsn)?;
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
            format!("BKPBLOCK_HAS_DATA not set, but data length is {data_len} at {lsn}"),
        ));
    }
    let image = if fork_flags & BKPBLOCK_HAS_IMAGE != 0 {
        Some(ImageInfo::parse_header(cur, version, lsn)?)
    } else {
        None
    };
    let locator = if fork_flags & BKPBLOCK_SAME_REL == 0 {
        RelFileLocator {
            spc: cur.u32().or_short(lsn)?,
            db: cur.u32().or_short(lsn)?,
            rel: cur.u32().or_short(lsn)?,
        }
    } else {
        last.map(|(_, locator)| locator).ok_or_else(|| {
            WalError::corrupt(lsn, format!("BKPBLOCK_SAME_REL set but no previous rel at {lsn}"))
        })?
    };
    let blkno = cur.u32().or_short(lsn)?;
    Ok(BlockRef {
        id,
        fork: fork_flags & BKPBLOCK_FORK_MASK,
        flags: fork_flags,
        locator,
        blkno,
        image,
        data: 0..usize::from(data_len),
    })
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
        self.decoded.fpi_len
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
