//! Arrays as catalogs store them: the header of `ArrayType` (`array.h`:
//! `vl_len_`, `ndim`, `dataoffset`, `elemtype`, then `dims[ndim]`,
//! `lbound[ndim]`, an optional null bitmap and the MAXALIGNed elements),
//! with the checks of `array_recv`, `ArrayGetNItems` and
//! `ArrayCheckBounds` (arrayfuncs.c, arrayutils.c), and the two arrays the
//! catalog rows need: the one-element `anyarray` of
//! `pg_attribute.attmissingval` and the `int2vector` of `pg_index.indkey`.
//! The element bytes end up in a type's output function, so every size,
//! count and offset is checked against the bytes, and anything that does
//! not add up is refused.

use std::borrow::Cow;

use crate::bytes::{maxalign, Cursor};
// `ArrayType`'s offsets count the 4-byte header.
use crate::layout::{VARATT_SHORT_MAX, VARHDRSZ, VARHDRSZ_SHORT};

/// Most dimensions an array may have (`MAXDIM`, array.h).
pub const MAXDIM: usize = 6;
/// Most elements an array may have (`MaxArraySize`: `MaxAllocSize /
/// sizeof(Datum)`).
pub const MAX_ARRAY_SIZE: usize = 0x3FFF_FFFF / 8;
/// `sizeof(ArrayType)`: length word, ndim, dataoffset, elemtype.
pub const SIZE_OF_ARRAY_TYPE: usize = 16;
/// Bits of a compressed varlena's `va_tcinfo` holding the raw size
/// (`VARLENA_EXTSIZE_BITS`).
pub const RAWSIZE_BITS: u32 = (1 << 30) - 1;
/// Most bytes one compressed byte can expand to: 255 for LZ4 (a match
/// length grows by at most 255 per byte), about 90 for pglz.
pub const MAX_EXPANSION: usize = 255;
/// `int2`'s type OID (`INT2OID`), the element type of an `int2vector`.
pub const INT2OID: u32 = 21;
/// `oid`'s type OID (`OIDOID`), the element type of an `oidvector`.
pub const OIDOID: u32 = 26;

/// The bytes of a varlena after its length word, as the server sees them
/// once detoasted (`pg_detoast_datum`): a short header is dropped, a
/// compressed value decompressed. Offsets into an `ArrayType` are then
/// offsets into these bytes plus [`VARHDRSZ`].
pub fn detoasted_body(v: &[u8]) -> Result<Cow<'_, [u8]>, String> {
    let b0 = *v.first().ok_or("an empty value")?;
    if b0 == 0x01 {
        return Err("a TOAST pointer".into());
    }
    if b0 & 0x01 == 0x01 {
        // 1-byte header: its length counts itself.
        let size = usize::from(b0 >> 1);
        let body = v.get(VARHDRSZ_SHORT..size).filter(|_| size == v.len());
        return body.map(Cow::Borrowed).ok_or_else(|| format!("short header of {size} bytes"));
    }
    let word = Cursor::new(v).u32().ok_or("a value shorter than its header")?;
    let size = (word >> 2) as usize;
    if size != v.len() || size < VARHDRSZ {
        return Err(format!("header says {size} bytes, the value has {}", v.len()));
    }
    if word & 0x03 == 0x02 {
        // Compressed inline: catalogs without a TOAST relation still
        // compress a large value in place (heap_toast_insert_or_update).
        // The raw size is allocated before decompressing: refuse one the
        // compressed bytes cannot expand to.
        let raw = Cursor::at(v, VARHDRSZ).u32().ok_or("compressed value without its size")?;
        let raw = (raw & RAWSIZE_BITS) as usize;
        if raw > size.saturating_sub(2 * VARHDRSZ).saturating_mul(MAX_EXPANSION) {
            return Err(format!("{size} compressed bytes claiming {raw}"));
        }
        let mut plain =
            crate::mine::toast::inline_plain(v)?.ok_or("a compressed value that is not one")?;
        return Ok(Cow::Owned(plain.split_off(VARHDRSZ)));
    }
    Ok(Cow::Borrowed(&v[VARHDRSZ..]))
}

/// An array's header, checked, and where its elements are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Array<'a> {
    pub elemtype: u32,
    pub dims: Vec<i32>,
    pub lbounds: Vec<i32>,
    /// Number of elements (the product of `dims`).
    pub nitems: usize,
    /// The null bitmap, one bit per element, set for non-null ones.
    nulls: Option<&'a [u8]>,
    /// The element data: from the data offset to the array's end.
    pub data: &'a [u8],
}

impl<'a> Array<'a> {
    /// Parses an array from its detoasted body ([`detoasted_body`]).
    pub fn parse(body: &'a [u8]) -> Result<Array<'a>, String> {
        let total = body.len() + VARHDRSZ;
        let mut c = Cursor::new(body);
        let (Some(ndim), Some(dataoffset), Some(elemtype)) = (c.i32(), c.i32(), c.u32()) else {
            return Err(format!("{total} bytes are too few for an array header"));
        };
        let ndim = usize::try_from(ndim)
            .ok()
            .filter(|n| *n <= MAXDIM)
            .ok_or_else(|| format!("{ndim} dimensions"))?;
        let dims = (0..ndim).map(|_| c.i32()).collect::<Option<Vec<_>>>();
        let lbounds = (0..ndim).map(|_| c.i32()).collect::<Option<Vec<_>>>();
        let (Some(dims), Some(lbounds)) = (dims, lbounds) else {
            return Err(format!("{total} bytes are too few for {ndim} dimensions"));
        };
        // ArrayGetNItems and ArrayCheckBounds.
        let mut nitems = 1usize;
        for (d, lb) in dims.iter().zip(&lbounds) {
            let d = usize::try_from(*d).map_err(|_| format!("dimension of {d}"))?;
            nitems = nitems
                .checked_mul(d)
                .filter(|n| *n <= MAX_ARRAY_SIZE)
                .ok_or("more elements than an array may have")?;
            lb.checked_add(d as i32).ok_or("upper bound out of range")?;
        }
        if ndim == 0 {
            nitems = 0;
        }
        let header = SIZE_OF_ARRAY_TYPE + 2 * 4 * ndim;
        let (nulls, data_offset) = if dataoffset == 0 {
            (None, maxalign(header).ok_or("bad header size")?)
        } else {
            // ARR_OVERHEAD_WITHNULLS: the only offset the server writes.
            let bitmap = nitems.div_ceil(8);
            let expected = maxalign(header + bitmap).ok_or("bad header size")?;
            if usize::try_from(dataoffset).ok() != Some(expected) {
                return Err(format!("data offset {dataoffset}, expected 0 or {expected}"));
            }
            let b = body.get(header - VARHDRSZ..header - VARHDRSZ + bitmap);
            (Some(b.ok_or("null bitmap past the end")?), expected)
        };
        let data = body
            .get(data_offset - VARHDRSZ..)
            .ok_or_else(|| format!("data offset {data_offset} past the end ({total} bytes)"))?;
        Ok(Array { elemtype, dims, lbounds, nitems, nulls, data })
    }

    /// Whether element `i` (0-based, storage order) is NULL.
    pub fn is_null(&self, i: usize) -> bool {
        self.nulls.is_some_and(|b| b.get(i / 8).is_none_or(|byte| byte & (1 << (i % 8)) == 0))
    }
}

fn align_nominal(len: usize, attalign: u8) -> Option<usize> {
    crate::bytes::align_up(
        len,
        match attalign {
            b'c' => 1,
            b's' => 2,
            b'i' => 4,
            b'd' => 8,
            _ => return None,
        },
    )
}

/// The only element of a one-element array of type `elemtype` whose
/// elements are stored as `attlen`/`attalign` say: the bytes
/// `array_get_element(arr, 1, {1}, -1, attlen, …)` points at, as
/// `construct_array` laid them out (lower bound 1, no NULL, elements
/// never compressed nor out of line, the array ending with the aligned
/// element).
pub fn single_element(
    body: &[u8],
    elemtype: u32,
    attlen: i16,
    attalign: u8,
) -> Result<&[u8], String> {
    let a = Array::parse(body)?;
    if a.dims != [1] || a.lbounds != [1] {
        return Err(format!(
            "dimensions {:?}, lower bounds {:?}, not one element",
            a.dims, a.lbounds
        ));
    }
    if a.elemtype != elemtype {
        return Err(format!("element type {}, the column's is {elemtype}", a.elemtype));
    }
    if a.is_null(0) {
        return Err("a NULL element".into());
    }
    let d = a.data;
    let len = match attlen {
        n if n > 0 => n as usize,
        -1 => match *d.first().ok_or("no element")? {
            0x01 => return Err("an element stored out of line".into()),
            // A short header counts itself, so it is at least 1.
            b if b & 0x01 == 0x01 => usize::from(b >> 1),
            _ => {
                let word = Cursor::new(d).u32().ok_or("element header past the end")?;
                let size = (word >> 2) as usize;
                if word & 0x03 != 0 {
                    return Err("a compressed element".into());
                }
                if size < VARHDRSZ {
                    return Err(format!("element header of {size} bytes"));
                }
                size
            }
        },
        -2 => d.iter().position(|&b| b == 0).ok_or("element without its NUL")? + 1,
        n => return Err(format!("attlen {n}")),
    };
    let elem = d.get(..len).ok_or_else(|| format!("element of {len} bytes past the end"))?;
    let padded = align_nominal(len, attalign).ok_or_else(|| format!("attalign {attalign}"))?;
    if padded != d.len() {
        return Err(format!("{} bytes of data for an element of {len}", d.len()));
    }
    Ok(elem)
}

/// An `int2vector` (`pg_index.indkey`): a one-dimensional `int2` array
/// with lower bound 0 and no NULLs (the checks of `int2vectorrecv`),
/// `Int2VectorSize(n)` bytes long.
pub fn int2vector(body: &[u8]) -> Result<Vec<i16>, String> {
    let data = vector(body, INT2OID, 2)?;
    Ok(data.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect())
}

/// An `oidvector` (`pg_index.indclass`): the same shape over `oid`
/// (`oidvectorrecv`).
pub fn oidvector(body: &[u8]) -> Result<Vec<u32>, String> {
    let data = vector(body, OIDOID, 4)?;
    Ok(data.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}

/// The elements of a one-dimensional vector of `elemtype`, lower bound 0,
/// no NULLs, `width` bytes each.
fn vector(body: &[u8], elemtype: u32, width: usize) -> Result<&[u8], String> {
    let a = Array::parse(body)?;
    if a.dims.len() != 1 || a.nulls.is_some() || a.elemtype != elemtype || a.lbounds != [0] {
        return Err(format!(
            "not a vector of type {elemtype}: dimensions {:?}, lower bounds {:?}, element type {}, nulls {}",
            a.dims,
            a.lbounds,
            a.elemtype,
            a.nulls.is_some()
        ));
    }
    if a.data.len() != a.nitems * width {
        return Err(format!("{} bytes for {} elements", a.data.len(), a.nitems));
    }
    Ok(a.data)
}

/// `value` as `heap_fill_tuple` (heaptuple.c) would store it in a column
/// of storage `attstorage`: a plain varlena short enough gets a 1-byte
/// header unless the column's storage is `p` (`VARLENA_ATT_IS_PACKABLE`,
/// `VARATT_CAN_MAKE_SHORT`); anything else is kept as it is.
pub fn as_heap_stores(value: &[u8], attlen: i16, attstorage: u8) -> Vec<u8> {
    let plain_4b = value.len() >= VARHDRSZ && value[0] & 0x03 == 0;
    if attlen == -1 && attstorage != b'p' && plain_4b {
        let short = value.len() - VARHDRSZ + VARHDRSZ_SHORT;
        if short <= VARATT_SHORT_MAX {
            let mut v = Vec::with_capacity(short);
            v.push(((short as u8) << 1) | 0x01);
            v.extend_from_slice(&value[VARHDRSZ..]);
            return v;
        }
    }
    value.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body (after the length word) of a one-dimensional array.
    fn body(elemtype: u32, dim: i32, lbound: i32, nulls: Option<u8>, data: &[u8]) -> Vec<u8> {
        let mut b = vec![];
        b.extend_from_slice(&1i32.to_le_bytes());
        let dataoffset = if nulls.is_some() { 32i32 } else { 0 };
        b.extend_from_slice(&dataoffset.to_le_bytes());
        b.extend_from_slice(&elemtype.to_le_bytes());
        b.extend_from_slice(&dim.to_le_bytes());
        b.extend_from_slice(&lbound.to_le_bytes());
        // Data at MAXALIGN(24 + 1) = 32 after a bitmap, else at 24.
        if let Some(n) = nulls {
            b.push(n);
            b.resize(32 - VARHDRSZ, 0);
        }
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn one_element_arrays() {
        let b = body(23, 1, 1, None, &42i32.to_le_bytes());
        assert_eq!(single_element(&b, 23, 4, b'i').unwrap(), &42i32.to_le_bytes());
        assert!(single_element(&b, 20, 4, b'i').unwrap_err().contains("element type"));
        assert!(single_element(&b, 23, 8, b'd').is_err(), "element longer than the data");
        assert!(single_element(&b, 23, 2, b's').is_err(), "data longer than the element");
        let b = body(23, 1, 0, None, &42i32.to_le_bytes());
        assert!(single_element(&b, 23, 4, b'i').is_err(), "lower bound 0");
        let b = body(23, 2, 1, None, &[0; 8]);
        assert!(single_element(&b, 23, 4, b'i').is_err(), "two elements");
        // A bitmap saying "not NULL", then one saying NULL.
        let b = body(23, 1, 1, Some(1), &7i32.to_le_bytes());
        assert_eq!(single_element(&b, 23, 4, b'i').unwrap(), &7i32.to_le_bytes());
        let b = body(23, 1, 1, Some(0), &7i32.to_le_bytes());
        assert!(single_element(&b, 23, 4, b'i').unwrap_err().contains("NULL"));
        // A text element: 4-byte header "hello", padded to 4.
        let mut t = (9u32 << 2).to_le_bytes().to_vec();
        t.extend_from_slice(b"hello\0\0\0");
        let b = body(25, 1, 1, None, &t);
        assert_eq!(single_element(&b, 25, -1, b'i').unwrap(), &t[..9]);
        assert_eq!(as_heap_stores(&t[..9], -1, b'x'), b"\x0dhello");
        assert_eq!(as_heap_stores(&t[..9], -1, b'p'), &t[..9]);
        // A cstring element.
        let b = body(2275, 1, 1, None, b"abc\0");
        assert_eq!(single_element(&b, 2275, -2, b'c').unwrap(), b"abc\0");
    }

    #[test]
    fn int2vectors() {
        let b = body(INT2OID, 3, 0, None, &[3, 0, 2, 0, 4, 0]);
        assert_eq!(int2vector(&b).unwrap(), vec![3, 2, 4]);
        assert!(int2vector(&b[..b.len() - 1]).is_err());
        assert!(int2vector(&body(INT2OID, 3, 1, None, &[3, 0, 2, 0, 4, 0])).is_err());
        assert!(int2vector(&body(23, 3, 0, None, &[3, 0, 2, 0, 4, 0])).is_err());
        assert_eq!(int2vector(&body(INT2OID, 0, 0, None, &[])).unwrap(), Vec::<i16>::new());
        let o = body(OIDOID, 2, 0, None, &[0x3a, 0x07, 0, 0, 0x64, 0, 0, 0]);
        assert_eq!(oidvector(&o).unwrap(), vec![1850, 100]);
        assert!(oidvector(&b).is_err());
        assert!(oidvector(&o[..o.len() - 2]).is_err());
    }

    #[test]
    fn bad_headers() {
        assert!(Array::parse(&[1, 0, 0]).is_err());
        let mut b = body(23, 1, 1, None, &[0; 4]);
        b[0] = 7; // 7 dimensions
        assert!(Array::parse(&b).is_err());
        let b = body(23, -1, 1, None, &[0; 4]);
        assert!(Array::parse(&b).is_err());
        let b = body(23, 1, i32::MAX, None, &[0; 4]);
        assert!(Array::parse(&b).is_err());
        let mut b = body(23, 1, 1, Some(1), &[0; 4]);
        b[4] = 24; // a data offset that is not ARR_OVERHEAD_WITHNULLS
        assert!(Array::parse(&b).is_err());
        let b = body(23, 1, 1, None, &[]);
        assert!(single_element(&b, 23, 4, b'i').is_err());
    }

    #[test]
    fn detoasting() {
        assert_eq!(detoasted_body(b"\x0dhello").unwrap().as_ref(), b"hello");
        let mut v = (9u32 << 2).to_le_bytes().to_vec();
        v.extend_from_slice(b"hello");
        assert_eq!(detoasted_body(&v).unwrap().as_ref(), b"hello");
        assert!(detoasted_body(&v[..8]).is_err());
        assert!(detoasted_body(b"\x0fhello").is_err(), "short header longer than the value");
        assert!(detoasted_body(&[0x01, 18, 0, 0]).is_err());
        // A compressed value claiming more than its bytes can hold.
        let mut c = ((12u32 << 2) | 0x02).to_le_bytes().to_vec();
        c.extend_from_slice(&(1u32 << 29).to_le_bytes());
        c.extend_from_slice(&[0; 4]);
        assert!(detoasted_body(&c).unwrap_err().contains("claiming"));
        assert!(detoasted_body(&[]).is_err());
    }
}
