//! Values stored out of line (TOAST), recovered for the statements.
//!
//! A TOAST pointer names a value by id; its chunks are rows of the TOAST
//! relation (`chunk_id oid, chunk_seq int4, chunk_data bytea`). The miner
//! learns where chunks are as it tracks pages: every chunk inserted in the
//! range, and every chunk on a TOAST page it holds an image of, is indexed
//! by value id with its position; the chunk itself is read back from the
//! tracked page when a row needs it, so memory holds positions, not data.
//! What the WAL does not show is asked of the [`Catalog`](super::Catalog)
//! (the extension reads the live TOAST relation). Either way the chunks
//! are checked against the pointer (count, sizes, sequence) as
//! `toast_fetch_datum` checks them, and compressed values (pglz, LZ4) are
//! decompressed here, so only plain values reach a renderer.

use crate::bytes::{u32_at, Cursor};
use crate::error::Result;
use crate::fxhash::FxHashMap;
use crate::heap::page;
use crate::heap::store::{io_error, PageKey, PageStore};
use crate::heap::toast::{ToastCompression, ToastPointer};
use crate::heap::tuple::{deform, AttrDesc, Datum};
use crate::layout::RelFileLocator;
use crate::lsn::Lsn;

/// Largest chunk (`TOAST_MAX_CHUNK_SIZE` for 8 kB pages).
pub const TOAST_MAX_CHUNK_SIZE: usize = 1996;

/// The layout of a TOAST relation's rows.
const CHUNK_ROW: [AttrDesc; 3] = [
    AttrDesc { attlen: 4, attalign: b'i', attbyval: true, dropped: false },
    AttrDesc { attlen: 4, attalign: b'i', attbyval: true, dropped: false },
    AttrDesc { attlen: -1, attalign: b'i', attbyval: false, dropped: false },
];

/// One chunk of a TOAST value, as a TOAST relation's row holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub value_id: u32,
    pub seq: i32,
    /// The chunk's bytes (the bytea's data, header removed).
    pub data: &'a [u8],
}

impl<'a> Chunk<'a> {
    /// Reads a TOAST relation's row (header included).
    pub fn parse(tuple: &'a [u8]) -> Option<Chunk<'a>> {
        let cols = deform(tuple, &CHUNK_ROW).ok()?;
        let (Datum::Fixed(id), Datum::Fixed(seq), Datum::Varlena(data)) =
            (cols[0], cols[1], cols[2])
        else {
            return None;
        };
        Some(Chunk {
            value_id: u32_at(id, 0)?,
            seq: i32::from_le_bytes(seq.try_into().ok()?),
            data: plain_varlena_data(data)?,
        })
    }
}

/// The data of an uncompressed, inline varlena (1- or 4-byte header).
fn plain_varlena_data(v: &[u8]) -> Option<&[u8]> {
    let b0 = *v.first()?;
    if b0 == 0x01 {
        return None; // a TOAST pointer
    }
    if b0 & 0x01 == 0x01 {
        return v.get(1..usize::from(b0 >> 1));
    }
    let word = u32_at(v, 0)?;
    if word & 0x03 != 0 {
        return None; // compressed
    }
    v.get(4..(word >> 2) as usize)
}

/// Where one chunk is: its page and line pointer.
type ChunkAt = (PageKey, u16);

/// Where the chunks of TOAST values are: (database, value id) to the
/// chunks' pages and offsets.
#[derive(Default)]
pub struct ChunkIndex {
    values: FxHashMap<(u32, u32), Vec<ChunkAt>>,
}

impl ChunkIndex {
    /// Notes a chunk found at `tid` of relation `locator`.
    pub fn note(&mut self, locator: RelFileLocator, tid: (u32, u16), tuple: &[u8]) {
        if let Some(c) = Chunk::parse(tuple) {
            let at = self.values.entry((locator.db, c.value_id)).or_default();
            let loc = (PageKey { locator, fork: 0, blkno: tid.0 }, tid.1);
            if !at.contains(&loc) {
                at.push(loc);
            }
        }
    }

    /// Notes every chunk on a tracked page of a TOAST relation.
    pub fn note_page(&mut self, store: &mut PageStore, key: PageKey, lsn: Lsn) -> Result<()> {
        let Some(p) = store.get(key).map_err(|e| io_error(lsn, e))? else {
            return Ok(());
        };
        for off in 1..=page::max_offset(p) as u16 {
            if let Some(t) = page::tuple(p, off) {
                self.note(key.locator, (key.blkno, off), t);
            }
        }
        Ok(())
    }

    /// The value `ptr` names, from the tracked pages of database `db`:
    /// `Ok(None)` when its chunks are not (all) there.
    pub fn fetch(
        &self,
        store: &mut PageStore,
        db: u32,
        ptr: &ToastPointer,
        lsn: Lsn,
    ) -> Result<Option<Vec<u8>>> {
        let Some(locs) = self.values.get(&(db, ptr.valueid)) else {
            return Ok(None);
        };
        let mut chunks: Vec<(i32, Vec<u8>)> = Vec::with_capacity(locs.len());
        for &(key, off) in locs {
            let Some(p) = store.get(key).map_err(|e| io_error(lsn, e))? else {
                continue;
            };
            if let Some(c) = page::tuple(p, off).and_then(Chunk::parse) {
                if c.value_id == ptr.valueid {
                    chunks.push((c.seq, c.data.to_vec()));
                }
            }
        }
        Ok(assemble(ptr, chunks).ok())
    }
}

/// Puts a value together from its chunks, checked against the pointer as
/// `heap_fetch_toast_slice` checks them, and decompressed: the result is
/// a plain varlena (4-byte header).
pub fn assemble(
    ptr: &ToastPointer,
    mut chunks: Vec<(i32, Vec<u8>)>,
) -> std::result::Result<Vec<u8>, String> {
    let size = ptr.extsize as usize;
    let total = if size == 0 { 0 } else { (size - 1) / TOAST_MAX_CHUNK_SIZE + 1 };
    chunks.sort_by_key(|c| c.0);
    chunks.dedup_by_key(|c| c.0);
    if chunks.len() != total {
        return Err(format!("{} of {total} chunks of {} found", chunks.len(), ptr.describe()));
    }
    let mut data = Vec::with_capacity(size);
    for (i, (seq, chunk)) in chunks.iter().enumerate() {
        let expected = if i + 1 < total {
            TOAST_MAX_CHUNK_SIZE
        } else {
            size - (total - 1) * TOAST_MAX_CHUNK_SIZE
        };
        if *seq != i as i32 || chunk.len() != expected {
            return Err(format!(
                "chunk {seq} of {} has {} bytes, expected chunk {i} of {expected} bytes",
                ptr.describe(),
                chunk.len()
            ));
        }
        data.extend_from_slice(chunk);
    }
    match ptr.compression {
        ToastCompression::None => {
            if ptr.rawsize < 4 || data.len() != ptr.rawsize as usize - 4 {
                return Err(format!(
                    "{} has {} bytes, not {}",
                    ptr.describe(),
                    data.len(),
                    ptr.rawsize
                ));
            }
            Ok(plain_varlena(&data))
        }
        method => {
            // The stored value is a compressed varlena's body: va_tcinfo
            // (raw size and method) then the compressed bytes.
            let mut c = Cursor::new(&data);
            let tcinfo = c.u32().ok_or("compressed TOAST value without its header")?;
            decompress(method, tcinfo, c.bytes(c.remaining()).unwrap_or(&[]))
        }
    }
}

/// A plain varlena (4-byte header) holding `data`.
fn plain_varlena(data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(data.len() + 4);
    v.extend_from_slice(&(((data.len() + 4) as u32) << 2).to_le_bytes());
    v.extend_from_slice(data);
    v
}

/// Bits of `va_tcinfo` holding the raw size (`VARLENA_EXTSIZE_BITS`).
const RAWSIZE_MASK: u32 = (1 << 30) - 1;

/// Decompresses `body` into a plain varlena of the raw size `tcinfo`
/// announces.
fn decompress(
    method: ToastCompression,
    tcinfo: u32,
    body: &[u8],
) -> std::result::Result<Vec<u8>, String> {
    let raw = (tcinfo & RAWSIZE_MASK) as usize;
    let mut out = vec![0u8; raw];
    let n = match method {
        ToastCompression::Pglz => pglz::decompress_into(body, &mut out, true),
        ToastCompression::Lz4 => lz4_flex::block::decompress_into(body, &mut out).ok(),
        ToastCompression::None => None,
    };
    if n != Some(raw) {
        return Err(format!("compressed value ({method:?}) does not decompress to {raw} bytes"));
    }
    Ok(plain_varlena(&out))
}

/// An inline varlena as a renderer may take it: compressed ones
/// (`VARATT_IS_4B_C`) decompressed into a plain varlena, others as they
/// are; `Err` for a header that does not fit its bytes.
pub fn inline_plain(v: &[u8]) -> std::result::Result<Option<Vec<u8>>, String> {
    let b0 = *v.first().ok_or("empty value")?;
    if b0 & 0x01 == 0x01 {
        return Ok(None);
    }
    let word = u32_at(v, 0).ok_or("value shorter than its header")?;
    if word & 0x03 != 0x02 {
        return Ok(None);
    }
    let size = (word >> 2) as usize;
    let body = v.get(8..size).ok_or("compressed value shorter than its header")?;
    let tcinfo = u32_at(v, 4).ok_or("compressed value shorter than its header")?;
    let method = match tcinfo >> 30 {
        0 => ToastCompression::Pglz,
        1 => ToastCompression::Lz4,
        m => return Err(format!("unknown compression method {m}")),
    };
    decompress(method, tcinfo, body).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ptr(rawsize: i32, extsize: u32, compression: ToastCompression) -> ToastPointer {
        ToastPointer { rawsize, extsize, compression, valueid: 16500, toastrelid: 16390 }
    }

    /// `data` cut into chunks as `toast_save_datum` cuts it.
    fn chunks_of(data: &[u8]) -> Vec<(i32, Vec<u8>)> {
        data.chunks(TOAST_MAX_CHUNK_SIZE).enumerate().map(|(i, c)| (i as i32, c.to_vec())).collect()
    }

    fn plain(data: &[u8]) -> Vec<u8> {
        let mut v = (((data.len() + 4) as u32) << 2).to_le_bytes().to_vec();
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn uncompressed_values_are_checked_chunk_by_chunk() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let p = ptr(5004, 5000, ToastCompression::None);
        let mut c = chunks_of(&data);
        assert_eq!(assemble(&p, c.clone()).unwrap(), plain(&data));
        c.reverse();
        assert_eq!(assemble(&p, c.clone()).unwrap(), plain(&data), "order does not matter");
        c.pop();
        assert!(assemble(&p, c).unwrap_err().contains("2 of 3 chunks"));
        let mut c = chunks_of(&data);
        c[1].1.pop();
        assert!(assemble(&p, c).is_err(), "a short middle chunk");
        let c = chunks_of(&data);
        assert!(assemble(&ptr(5005, 5000, ToastCompression::None), c).is_err(), "raw size");
    }

    #[test]
    fn compressed_values_are_decompressed() {
        let data: Vec<u8> = b"abcdefgh".repeat(2000);
        let tcinfo = |method: u32| (data.len() as u32) | method << 30;
        // pglz
        let z = pglz::compress(&data, &pglz::Strategy::ALWAYS).unwrap();
        let mut stored = tcinfo(0).to_le_bytes().to_vec();
        stored.extend_from_slice(&z);
        let p = ptr(data.len() as i32 + 4, stored.len() as u32, ToastCompression::Pglz);
        assert_eq!(assemble(&p, chunks_of(&stored)).unwrap(), plain(&data));
        // LZ4, and the same value compressed inline.
        let z = lz4_flex::block::compress(&data);
        let mut stored = tcinfo(1).to_le_bytes().to_vec();
        stored.extend_from_slice(&z);
        let p = ptr(data.len() as i32 + 4, stored.len() as u32, ToastCompression::Lz4);
        assert_eq!(assemble(&p, chunks_of(&stored)).unwrap(), plain(&data));
        let mut inline = ((((stored.len() + 4) as u32) << 2) | 0x02).to_le_bytes().to_vec();
        inline.extend_from_slice(&stored);
        assert_eq!(inline_plain(&inline).unwrap(), Some(plain(&data)));
        // Damaged compressed data is refused, not rendered.
        let last = inline.len() - 1;
        inline[last] ^= 0xFF;
        inline.truncate(last - 3);
        let n = inline.len() as u32;
        inline[..4].copy_from_slice(&((n << 2) | 0x02).to_le_bytes());
        assert!(inline_plain(&inline).is_err());
        // Plain and short varlenas are left as they are; a header longer
        // than its bytes is an error.
        assert_eq!(inline_plain(&plain(b"xy")).unwrap(), None);
        assert_eq!(inline_plain(&[0x07, b'a', b'b', b'c']).unwrap(), None);
        assert!(inline_plain(&[0x42, 0x00, 0x00, 0x00]).is_err());
    }

    #[test]
    fn chunk_rows_parse() {
        // chunk_id 16500, chunk_seq 2, chunk_data "hi" with a 1-byte header.
        let mut t = vec![0u8; 23];
        t[18..20].copy_from_slice(&3u16.to_le_bytes());
        t[22] = 24;
        t.push(0);
        t.extend_from_slice(&16500u32.to_le_bytes());
        t.extend_from_slice(&2i32.to_le_bytes());
        t.extend_from_slice(&[(3 << 1) | 1, b'h', b'i']);
        assert_eq!(Chunk::parse(&t), Some(Chunk { value_id: 16500, seq: 2, data: b"hi" }));
        assert_eq!(Chunk::parse(&t[..t.len() - 1]), None);
    }
}
