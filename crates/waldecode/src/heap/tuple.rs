//! Heap tuples: header fields (`htup_details.h`) and splitting a tuple's
//! data area into raw column values, a port of `heap_deform_tuple`
//! (heaptuple.c) with the alignment rules of `tupmacs.h`. Values stay
//! bytes; turning them into text is the server's job. The inverse,
//! [`form`], lays out result rows of a few built-in types exactly as
//! `heap_form_tuple` does, on any thread: the server only copies them.

use crate::bytes::{u16_at, u32_at};
use std::ops::Range;

use crate::layout::{MAXIMUM_ALIGNOF, VARATT_SHORT_MAX, VARHDRSZ};

/// Size of the fixed tuple header before the null bitmap.
pub const SIZE_OF_HEAP_TUPLE_HEADER: usize = 23;
const HEAP_HASNULL: u16 = 0x0001;
const HEAP_HASVARWIDTH: u16 = 0x0002;
const HEAP_NATTS_MASK: u16 = 0x07FF;
/// The longest varlena: 1 GB less one byte (`MaxAllocSize`).
pub const MAX_VARLENA: usize = 0x3FFF_FFFF;

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

/// One value of a row [`form`] lays out, of a built-in type whose
/// storage is fixed: `Int4` for `int4` and `xid` (4 bytes, by value,
/// `i`-aligned), `Int8` for `int8` and `pg_lsn` (8 bytes, by value,
/// `d`-aligned), `Text` for the bytes of a `text` (varlena, `i`-aligned,
/// storage `x`, so packable into a 1-byte header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field<'a> {
    Null,
    Int4(u32),
    Int8(u64),
    Text(&'a [u8]),
}

/// Why a row could not be laid out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("a result text of {0} bytes is longer than a text value can be")]
    TextTooLong(usize),
    #[error("a row of {0} columns has more than a tuple can hold")]
    TooManyColumns(usize),
}

/// Appends the heap tuple of `fields` to `out`, byte for byte what
/// `heap_form_tuple` makes of them: the header with `t_ctid` invalid and
/// no transaction fields (`t_choice`, where a composite datum keeps its
/// length and type, is left zero for the caller), the null bitmap when a
/// field is NULL, `t_hoff` MAXALIGNed, and each value aligned as its type
/// is (relative to the data, which `t_hoff` aligns), zero padding between.
/// Texts of up to 126 bytes get a 1-byte header, longer ones a 4-byte one.
/// The tuple starts at a multiple of 8 bytes into `out` (zero padding
/// before it), which is returned; on error `out` is as it was.
pub fn form(fields: &[Field<'_>], out: &mut Vec<u8>) -> Result<Range<usize>, FormError> {
    let natts = u16::try_from(fields.len())
        .ok()
        .filter(|n| *n <= HEAP_NATTS_MASK)
        .ok_or(FormError::TooManyColumns(fields.len()))?;
    // Where each value starts in the data and where it ends: the sizes
    // first (heap_compute_data_size), so the tuple is grown once.
    let place = |off: usize, f: &Field<'_>| -> (usize, usize) {
        let (attalign, len) = match f {
            Field::Null => return (off, off),
            Field::Int4(_) => (b'i', 4),
            Field::Int8(_) => (b'd', 8),
            // A short header is never aligned.
            Field::Text(b) if b.len() < VARATT_SHORT_MAX => (b'c', 1 + b.len()),
            Field::Text(b) => (b'i', VARHDRSZ + b.len()),
        };
        let at = align(off, attalign);
        (at, at + len)
    };
    let (mut data_len, mut hasnull, mut longest) = (0, false, 0);
    for f in fields {
        data_len = place(data_len, f).1;
        match f {
            Field::Null => hasnull = true,
            Field::Text(b) => longest = longest.max(b.len()),
            _ => {}
        }
    }
    if longest > MAX_VARLENA - VARHDRSZ {
        return Err(FormError::TextTooLong(longest));
    }
    let bitmap = if hasnull { fields.len().div_ceil(8) } else { 0 };
    let hoff = align(SIZE_OF_HEAP_TUPLE_HEADER + bitmap, b'd');
    let start = align(out.len(), b'd');
    out.resize(start + hoff + data_len, 0);
    let (head, data) = out[start..].split_at_mut(hoff);
    let mut infomask = if hasnull { HEAP_HASNULL } else { 0 };
    let mut off = 0;
    for (i, f) in fields.iter().enumerate() {
        let (at, end) = place(off, f);
        off = end;
        let v = &mut data[at..end];
        match *f {
            Field::Null => continue,
            Field::Int4(x) => v.copy_from_slice(&x.to_le_bytes()),
            Field::Int8(x) => v.copy_from_slice(&x.to_le_bytes()),
            Field::Text(b) => {
                infomask |= HEAP_HASVARWIDTH;
                let size = v.len();
                let (header, body) = v.split_at_mut(size - b.len());
                if header.len() == 1 {
                    // SET_VARSIZE_SHORT, little-endian.
                    header[0] = ((size as u8) << 1) | 0x01;
                } else {
                    // SET_VARSIZE_4B, little-endian.
                    header.copy_from_slice(&((size as u32) << 2).to_le_bytes());
                }
                body.copy_from_slice(b);
            }
        }
        if hasnull {
            head[SIZE_OF_HEAP_TUPLE_HEADER + i / 8] |= 1 << (i % 8);
        }
    }
    let t = head;
    // t_ctid: InvalidBlockNumber, InvalidOffsetNumber.
    t[12..16].copy_from_slice(&[0xFF; 4]);
    t[18..20].copy_from_slice(&natts.to_le_bytes());
    t[20..22].copy_from_slice(&infomask.to_le_bytes());
    t[22] = hoff as u8;
    debug_assert_eq!(hoff % MAXIMUM_ALIGNOF, 0);
    Ok(start..out.len())
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

    /// The descriptor [`form`] lays `fields` out with.
    fn atts_of(fields: &[Field<'_>], nulls_as: &[AttrDesc]) -> Vec<AttrDesc> {
        fields
            .iter()
            .zip(nulls_as)
            .map(|(f, n)| match f {
                Field::Null => *n,
                Field::Int4(_) => att(4, b'i', true),
                Field::Int8(_) => att(8, b'd', true),
                Field::Text(_) => att(-1, b'i', false),
            })
            .collect()
    }

    #[test]
    fn formed_rows_have_the_servers_layout() {
        // xid 7, text "hi" (short), NULL int8, int8 5, text of 200 bytes
        // (4-byte header, aligned), int4 9.
        let long = vec![b'x'; 200];
        let fields = [
            Field::Int4(7),
            Field::Text(b"hi"),
            Field::Null,
            Field::Int8(5),
            Field::Text(&long),
            Field::Int4(9),
        ];
        let mut out = vec![0xEE];
        let at = form(&fields, &mut out).unwrap();
        assert_eq!(at, 8..out.len());
        assert_eq!(&out[1..8], &[0; 7]);
        let t = &out[8..];
        // 23-byte header, 1 byte of bitmap, MAXALIGNed: t_hoff 24.
        assert_eq!(t[22], 24);
        assert_eq!(u16::from_le_bytes([t[18], t[19]]), 6);
        assert_eq!(u16::from_le_bytes([t[20], t[21]]), HEAP_HASNULL | HEAP_HASVARWIDTH);
        assert_eq!(t[23], 0b111011);
        assert_eq!(&t[12..18], &[0xFF, 0xFF, 0xFF, 0xFF, 0, 0]);
        assert_eq!(&t[..12], &[0; 12]);
        let mut d = vec![7, 0, 0, 0, (3 << 1) | 1, b'h', b'i', 0];
        d.extend_from_slice(&5u64.to_le_bytes());
        d.extend_from_slice(&(204u32 << 2).to_le_bytes());
        d.extend_from_slice(&long);
        d.extend_from_slice(&9u32.to_le_bytes());
        assert_eq!(&t[24..], &d[..]);
        // No NULL: no bitmap, t_hoff 24 all the same; no text: no varwidth.
        let mut out = Vec::new();
        form(&[Field::Int8(1), Field::Int4(2)], &mut out).unwrap();
        assert_eq!((out[22], out[20], out.len()), (24, 0, 36));
    }

    #[test]
    fn formed_rows_deform_to_their_fields() {
        let mut state = 11u32;
        let mut next = move || {
            state = state.wrapping_mul(1103515245).wrapping_add(12345);
            state >> 8
        };
        let text = vec![b'a'; 300];
        for _ in 0..2000 {
            let n = 1 + (next() % 20) as usize;
            let fields: Vec<Field<'_>> = (0..n)
                .map(|_| match next() % 4 {
                    0 => Field::Null,
                    1 => Field::Int4(next()),
                    2 => Field::Int8(u64::from(next()) << 20 | 3),
                    _ => Field::Text(&text[..(next() % 300) as usize]),
                })
                .collect();
            let mut out = Vec::new();
            form(&fields, &mut out).unwrap();
            let atts = atts_of(&fields, &vec![att(8, b'd', true); n]);
            let values = deform(&out, &atts).unwrap();
            for (f, v) in fields.iter().zip(&values) {
                match (f, v) {
                    (Field::Null, Datum::Null) => {}
                    (Field::Int4(x), Datum::Fixed(b)) => assert_eq!(&x.to_le_bytes()[..], *b),
                    (Field::Int8(x), Datum::Fixed(b)) => assert_eq!(&x.to_le_bytes()[..], *b),
                    (Field::Text(x), Datum::Varlena(b)) => {
                        let head = if x.len() < VARATT_SHORT_MAX { 1 } else { VARHDRSZ };
                        assert_eq!(&b[head..], *x);
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
    }

    #[test]
    fn rows_that_cannot_be_tuples_are_errors() {
        let mut out = vec![1, 2];
        let many = vec![Field::Int4(1); 2048];
        assert_eq!(form(&many, &mut out), Err(FormError::TooManyColumns(2048)));
        assert_eq!(out, [1, 2]);
    }
}
