//! Heap tuples: header fields (`htup_details.h`) and splitting a tuple's
//! data area into raw column values, a port of `heap_deform_tuple`
//! (heaptuple.c) with the alignment rules of `tupmacs.h`. Values stay
//! bytes; turning them into text is the server's job.

use crate::bytes::{u16_at, u32_at};

/// Size of the fixed tuple header before the null bitmap.
pub const SIZE_OF_HEAP_TUPLE_HEADER: usize = 23;
const HEAP_HASNULL: u16 = 0x0001;
const HEAP_NATTS_MASK: u16 = 0x07FF;

// t_infomask bits on the transactions of a tuple (htup_details.h).
pub const HEAP_XMAX_KEYSHR_LOCK: u16 = 0x0010;
pub const HEAP_XMAX_EXCL_LOCK: u16 = 0x0040;
pub const HEAP_XMAX_LOCK_ONLY: u16 = 0x0080;
pub const HEAP_XMIN_COMMITTED: u16 = 0x0100;
pub const HEAP_XMIN_INVALID: u16 = 0x0200;
pub const HEAP_XMAX_COMMITTED: u16 = 0x0400;
pub const HEAP_XMAX_INVALID: u16 = 0x0800;
pub const HEAP_XMAX_IS_MULTI: u16 = 0x1000;

/// `FrozenTransactionId` and the other xids below it that are always
/// committed (`FirstNormalTransactionId` = 3).
pub const FIRST_NORMAL_XID: u32 = 3;

/// Storage layout of one column (from pg_attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrDesc {
    /// Fixed length, or -1 (varlena) / -2 (cstring).
    pub attlen: i16,
    /// `c`, `s`, `i` or `d`.
    pub attalign: u8,
    pub attbyval: bool,
    pub dropped: bool,
}

impl AsRef<AttrDesc> for AttrDesc {
    fn as_ref(&self) -> &AttrDesc {
        self
    }
}

/// One column's raw value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datum<'a> {
    Null,
    /// The tuple predates the column (fewer attributes stored): the
    /// column's "missing" value applies.
    Missing,
    /// A fixed-length value, `attlen` bytes (little-endian when by value).
    Fixed(&'a [u8]),
    /// A varlena as stored, header included (1- or 4-byte header, possibly
    /// compressed inline).
    Varlena(&'a [u8]),
    /// A pointer to a value stored out of line (TOAST), header included.
    External(&'a [u8]),
    /// A NUL-terminated string, NUL included.
    CString(&'a [u8]),
}

/// Why a tuple could not be split into columns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeformError {
    #[error("tuple of {0} bytes is shorter than its header")]
    ShortHeader(usize),
    #[error("tuple header offset {0} is invalid")]
    BadHoff(usize),
    #[error("column {0} runs past the end of the tuple")]
    Overrun(usize),
    #[error("column {0} has an invalid length")]
    BadLength(usize),
    #[error("tuple has {0} attributes, the relation {1}")]
    TooManyAttributes(usize, usize),
}

/// Header fields of a tuple (`HeapTupleHeaderData`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TupleHeader {
    pub xmin: u32,
    pub xmax: u32,
    /// `t_ctid`: the tuple's own position, or its newer version's.
    pub ctid: (u32, u16),
    pub infomask2: u16,
    pub infomask: u16,
    pub hoff: u8,
}

impl TupleHeader {
    pub fn parse(t: &[u8]) -> Option<TupleHeader> {
        let (hi, lo) = (u32::from(u16_at(t, 12)?), u32::from(u16_at(t, 14)?));
        Some(TupleHeader {
            xmin: u32_at(t, 0)?,
            xmax: u32_at(t, 4)?,
            ctid: (hi << 16 | lo, u16_at(t, 16)?),
            infomask2: u16_at(t, 18)?,
            infomask: u16_at(t, 20)?,
            hoff: *t.get(22)?,
        })
    }

    pub fn natts(&self) -> usize {
        usize::from(self.infomask2 & HEAP_NATTS_MASK)
    }

    /// What the hint bits say of xmin: `Some(true)` committed (or frozen),
    /// `Some(false)` aborted, `None` when not set.
    pub fn xmin_hint(&self) -> Option<bool> {
        match self.infomask & (HEAP_XMIN_COMMITTED | HEAP_XMIN_INVALID) {
            0 => None,
            HEAP_XMIN_INVALID => Some(false),
            _ => Some(true),
        }
    }

    /// The xid that deleted or updated the tuple, if any: not a mere row
    /// lock (`HEAP_XMAX_IS_LOCKED_ONLY`) and not marked aborted.
    pub fn deleter(&self) -> Option<u32> {
        let m = self.infomask;
        let lock_only = m & HEAP_XMAX_LOCK_ONLY != 0
            || m & (HEAP_XMAX_IS_MULTI | HEAP_XMAX_EXCL_LOCK | HEAP_XMAX_KEYSHR_LOCK)
                == HEAP_XMAX_EXCL_LOCK;
        (self.xmax != 0 && !lock_only && m & HEAP_XMAX_INVALID == 0).then_some(self.xmax)
    }

    /// Whether xmax is a MultiXactId, which only the server can resolve.
    pub fn xmax_is_multi(&self) -> bool {
        self.infomask & HEAP_XMAX_IS_MULTI != 0
    }
}

fn align(off: usize, attalign: u8) -> usize {
    let a = match attalign {
        b's' => 2,
        b'i' => 4,
        b'd' => 8,
        _ => 1,
    };
    (off + a - 1) & !(a - 1)
}

/// Total size of the varlena at the start of `v` (`VARSIZE_ANY`), and
/// whether it is an external pointer.
fn varlena_size(v: &[u8]) -> Option<(usize, bool)> {
    let b = *v.first()?;
    if b == 0x01 {
        // External: 2-byte header and a tag-dependent pointer
        // (VARTAG_ONDISK 18: 16 bytes; INDIRECT 1, EXPANDED 2/3: 8 bytes).
        let size = match *v.get(1)? {
            18 => 16,
            1..=3 => 8,
            _ => return None,
        };
        return Some((2 + size, true));
    }
    if b & 0x01 == 0x01 {
        return Some((usize::from(b >> 1), false));
    }
    let word = u32_at(v, 0)?;
    let len = (word >> 2) as usize;
    // A 4-byte header counts itself; a compressed one also its raw size
    // and method (VARHDRSZ_COMPRESSED). Anything shorter would hand a
    // negative length to whoever reads the value.
    let least = if word & 0x03 == 0x02 { 8 } else { 4 };
    (len >= least).then_some((len, false))
}

/// Splits `tuple` (header included) into one value per descriptor entry,
/// as `heap_deform_tuple` does. Entries past the tuple's own attribute
/// count are [`Datum::Missing`].
pub fn deform<'a, A: AsRef<AttrDesc>>(
    tuple: &'a [u8],
    atts: &[A],
) -> Result<Vec<Datum<'a>>, DeformError> {
    let h = TupleHeader::parse(tuple).ok_or(DeformError::ShortHeader(tuple.len()))?;
    let hoff = usize::from(h.hoff);
    if hoff < SIZE_OF_HEAP_TUPLE_HEADER || hoff > tuple.len() {
        return Err(DeformError::BadHoff(hoff));
    }
    if h.natts() > atts.len() {
        // Attributes are never removed from a relation: a tuple with more
        // than its descriptor belongs to another relation.
        return Err(DeformError::TooManyAttributes(h.natts(), atts.len()));
    }
    let natts = h.natts();
    let hasnull = h.infomask & HEAP_HASNULL != 0;
    let bitmap = &tuple[SIZE_OF_HEAP_TUPLE_HEADER..hoff];
    if hasnull && bitmap.len() < h.natts().div_ceil(8) {
        return Err(DeformError::BadHoff(hoff));
    }
    let data = &tuple[hoff..];
    let mut out = Vec::with_capacity(atts.len());
    let mut off = 0usize;
    for (i, att) in atts.iter().map(AsRef::as_ref).enumerate().take(natts) {
        if hasnull && bitmap[i >> 3] & (1 << (i & 7)) == 0 {
            out.push(Datum::Null);
            continue;
        }
        match att.attlen {
            -1 => {
                // A non-zero byte starts a short varlena, which is never
                // aligned; a zero byte is padding before an aligned one.
                if data.get(off).is_none_or(|b| *b == 0) {
                    off = align(off, att.attalign);
                }
                let v = data.get(off..).ok_or(DeformError::Overrun(i))?;
                let (len, external) = varlena_size(v).ok_or(DeformError::BadLength(i))?;
                if len == 0 {
                    return Err(DeformError::BadLength(i));
                }
                let v = v.get(..len).ok_or(DeformError::Overrun(i))?;
                out.push(if external { Datum::External(v) } else { Datum::Varlena(v) });
                off += len;
            }
            -2 => {
                off = align(off, att.attalign);
                let v = data.get(off..).ok_or(DeformError::Overrun(i))?;
                let nul = v.iter().position(|b| *b == 0).ok_or(DeformError::Overrun(i))?;
                out.push(Datum::CString(&v[..=nul]));
                off += nul + 1;
            }
            n if n > 0 => {
                off = align(off, att.attalign);
                let n = n as usize;
                let v = data.get(off..off + n).ok_or(DeformError::Overrun(i))?;
                out.push(Datum::Fixed(v));
                off += n;
            }
            _ => return Err(DeformError::BadLength(i)),
        }
    }
    out.resize(atts.len(), Datum::Missing);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn att(attlen: i16, attalign: u8, attbyval: bool) -> AttrDesc {
        AttrDesc { attlen, attalign, attbyval, dropped: false }
    }

    /// Builds a tuple header for `natts` columns with an optional bitmap.
    fn tuple(natts: u16, bitmap: Option<u8>, data: &[u8]) -> Vec<u8> {
        let mut t = vec![0u8; 23];
        t[18..20].copy_from_slice(&natts.to_le_bytes());
        let mut infomask = 0u16;
        if let Some(b) = bitmap {
            infomask |= HEAP_HASNULL;
            t.push(b);
        }
        t[20..22].copy_from_slice(&infomask.to_le_bytes());
        while !t.len().is_multiple_of(8) {
            t.push(0);
        }
        t[22] = t.len() as u8;
        t.extend_from_slice(data);
        t
    }

    #[test]
    fn fixed_varlena_nulls_and_alignment() {
        // int2 7, (pad) int4 -1, short varlena "hi", (null), pad, int8 5
        let mut d = vec![7, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF];
        d.extend_from_slice(&[(3 << 1) | 1, b'h', b'i']);
        d.extend_from_slice(&[0; 5]);
        d.extend_from_slice(&5u64.to_le_bytes());
        let atts = [
            att(2, b's', true),
            att(4, b'i', true),
            att(-1, b'i', false),
            att(4, b'i', true),
            att(8, b'd', true),
        ];
        let t = tuple(5, Some(0b10111), &d);
        let v = deform(&t, &atts).unwrap();
        assert_eq!(v[0], Datum::Fixed(&[7, 0]));
        assert_eq!(v[1], Datum::Fixed(&[0xFF; 4]));
        assert_eq!(v[2], Datum::Varlena(&[7, b'h', b'i']));
        assert_eq!(v[3], Datum::Null);
        assert_eq!(v[4], Datum::Fixed(&5u64.to_le_bytes()));
    }

    #[test]
    fn long_varlena_external_and_missing() {
        // 4-byte header varlena (aligned) of 6 bytes total, then a TOAST pointer.
        let mut d = Vec::new();
        d.extend_from_slice(&((6u32) << 2).to_le_bytes());
        d.extend_from_slice(b"ab");
        d.extend_from_slice(&[0x01, 18]);
        d.extend_from_slice(&[0xAA; 16]);
        let atts = [att(-1, b'i', false), att(-1, b'i', false), att(4, b'i', true)];
        let t = tuple(2, None, &d);
        let v = deform(&t, &atts).unwrap();
        assert_eq!(v[0], Datum::Varlena(&d[..6]));
        assert!(matches!(v[1], Datum::External(x) if x.len() == 18));
        assert_eq!(v[2], Datum::Missing);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let atts = [att(-1, b'i', false), att(8, b'd', true), att(-2, b'c', false)];
        assert!(deform(&[0; 10], &atts).is_err());
        let t = tuple(3, None, &[0xFF, 0xFF]);
        assert!(deform(&t, &atts).is_err());
        let mut state = 7u32;
        for n in 0..2000usize {
            let junk: Vec<u8> = (0..(n % 80))
                .map(|_| {
                    state = state.wrapping_mul(1103515245).wrapping_add(12345);
                    (state >> 16) as u8
                })
                .collect();
            let _ = deform(&junk, &atts);
            let t = tuple((n % 5) as u16, Some(junk.first().copied().unwrap_or(0)), &junk);
            let _ = deform(&t, &atts);
        }
    }

    #[test]
    fn headers_shorter_than_themselves_and_extra_attributes_are_refused() {
        let atts = [att(-1, b'i', false)];
        // 4-byte headers claiming 0..3 bytes, a compressed one claiming 4..7.
        for claimed in [0u32, 1, 2, 3] {
            let t = tuple(1, None, &(claimed << 2).to_le_bytes());
            assert!(deform(&t, &atts).is_err(), "{claimed}");
        }
        for claimed in [4u32, 7] {
            let mut d = ((claimed << 2) | 0x02).to_le_bytes().to_vec();
            d.extend_from_slice(&[0; 8]);
            assert!(deform(&tuple(1, None, &d), &atts).is_err(), "{claimed}");
        }
        let ok = tuple(1, None, &(4u32 << 2).to_le_bytes());
        assert_eq!(deform(&ok, &atts).unwrap(), vec![Datum::Varlena(&[16, 0, 0, 0])]);
        // More attributes than the relation has: another relation's tuple.
        let two = tuple(2, None, &[(2 << 1) | 1, b'a', (2 << 1) | 1, b'b']);
        assert_eq!(deform(&two, &atts), Err(DeformError::TooManyAttributes(2, 1)));
    }
}
